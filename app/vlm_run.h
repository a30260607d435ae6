/* A picture and a prompt through a vision-language model (SmolVLM: a text
 * GGUF and its mmproj): the prompt is cut at the picture marker, text runs
 * are tokenized and decoded, each tile's embeddings are decoded in their
 * place, then the answer is generated. describe and ask share it. */
#ifndef SIGHTLINE_APP_VLM_RUN_H
#define SIGHTLINE_APP_VLM_RUN_H

#include "app/llm_session.h"
#include "vision/vision.h"

/* Where the picture goes in a prompt (llama.cpp's marker). */
#define VLM_MEDIA_MARKER "<__media__>"

typedef struct vlm_session {
    llm_session text;
    clip_model *clip;
    clip_encoder *enc;
    chat_template_kind kind;
} vlm_session;

/* What a run fed the model, for --json: token runs and image chunks. */
typedef struct vlm_record_chunk {
    bool image;
    int32_t *ids; /* text: the run's token ids */
    size_t n;     /* text: ids; image: embedding rows */
    int tile;
} vlm_record_chunk;

typedef struct vlm_record {
    vlm_record_chunk *chunks;
    size_t count;
    int n_tiles;
    double encode_ms; /* all tiles */
    double prompt_ms; /* text and embeddings through the decoder */
} vlm_record;

void vlm_record_free(vlm_record *r);

/* Loads both files and checks that they belong together: an mmproj given
 * as the text model or the reverse, and mismatched embedding sizes, are
 * one-line errors. Prints the error and returns the exit code. */
int vlm_session_open(const app_context *app, const char *model, const char *mmproj,
                     const llm_cli_options *o, vlm_session *s);
void vlm_session_close(vlm_session *s);

/* The prompt for a user turn holding the picture and `request`, in the
 * model's chat template, with an optional system text (personal context).
 * malloc'ed. */
sl_status vlm_chat_prompt(const vlm_session *s, const char *system, const char *request,
                          char **out, sl_error *err);

/* Evaluates prompt (exactly one VLM_MEDIA_MARKER) with pic at the
 * context's start; longest_edge as clip_preprocess takes it (0 = the
 * model's own, more tiles; clip_image_size for one tile and the overview).
 * On success the context holds everything but the last text run, whose
 * ids come back in *tail for llm_generate. */
sl_status vlm_eval_prompt(vlm_session *s, const char *prompt, const frame *pic,
                          int longest_edge, vlm_record *rec, int32_t **tail, size_t *n_tail,
                          sl_error *err);

#endif
