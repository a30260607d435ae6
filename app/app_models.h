/* Where the model files a mode needs are found: the command's flag first,
 * then the config file, then the models folder.
 *
 *   config file   $XDG_CONFIG_HOME/sightline/config (~/.config/sightline/config),
 *                 lines `KEY = PATH`, `#` comments; keys are the role names below
 *   models folder $SIGHTLINE_MODELS, else `models_dir` from the config, else
 *                 $XDG_DATA_HOME/sightline/models (~/.local/share/sightline/models),
 *                 where scripts/get-models.sh puts the downloads
 *
 * In the folder a role takes the first file, by name order, that matches its
 * pattern (see app_models.c), so `SmolVLM-256M...` wins over `SmolVLM-500M...`
 * unless the config names one. */
#ifndef SIGHTLINE_APP_MODELS_H
#define SIGHTLINE_APP_MODELS_H

#include "app/cli.h"
#include "llm/gguf.h"

typedef enum model_role {
    MODEL_VLM,        /* config key vlm:     SmolVLM text GGUF */
    MODEL_VLM_MMPROJ, /* config key mmproj:  its mmproj GGUF */
    MODEL_LLM,        /* config key llm:     a text model for summaries and answers */
    MODEL_WHISPER,    /* config key whisper: a whisper.cpp model (ggml-*.bin) */
    MODEL_VAD,        /* config key vad:     Silero VAD in whisper.cpp's format */
} model_role;

const char *model_role_key(model_role role);

/* The path for role: flag if given, else the config's, else a file in the
 * models folder; *out is NULL when there is none (the caller says how to
 * get one). *out is malloc'ed. */
void app_find_model(model_role role, const char *flag, char **out);

/* The models folder (malloc'ed), whether or not it exists. */
char *app_models_dir(void);

/* Opens a GGUF model file; on failure prints the one-line error and
 * returns the exit code: 3 when the file cannot be read, 6 when it is not
 * a valid model. */
int app_open_gguf(const char *path, gguf_file **out);

#endif
