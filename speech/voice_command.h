/* Voice commands without Whisper: pocketsphinx (Debian's 0.8+5prealpha, the
 * en-us acoustic model) restricted to a finite-state grammar of the
 * appliance's command phrases (the table in voice_command.c) beside a loop
 * of garbage phones: speech that is not a command is explained by garbage
 * and rejected (README, "Voice commands": accuracy and false accepts).
 *
 * Free-form dictation is deliberately not offered: pocketsphinx's general
 * en-us language model recognises almost nothing of our synthetic speech,
 * so transcription needs Whisper.
 *
 * A recognizer owns one pocketsphinx decoder (no process-wide state); one
 * thread at a time per recognizer. Nothing is printed: pocketsphinx's log goes
 * to /dev/null. */
#ifndef SIGHTLINE_SPEECH_VOICE_COMMAND_H
#define SIGHTLINE_SPEECH_VOICE_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "llm/error.h"

typedef enum voice_command_id {
    VOICE_CMD_NONE = 0, /* not a command (garbage won), or below the threshold */
    VOICE_CMD_DESCRIBE,
    VOICE_CMD_READ,
    VOICE_CMD_WHAT_IS_THIS,
    VOICE_CMD_WHAT_COLOUR,
    VOICE_CMD_ASK, /* the appliance then listens for a question (Whisper) */
    VOICE_CMD_START_MEETING,
    VOICE_CMD_STOP_MEETING,
    VOICE_CMD_REPEAT,
    VOICE_CMD_STOP,
    VOICE_CMD_FASTER,
    VOICE_CMD_SLOWER,
    VOICE_CMD_HELP,
    VOICE_CMD_SIGN_MODE,
    VOICE_CMD_COUNT
} voice_command_id;

/* Where the Debian package pocketsphinx-en-us installs its model. */
#define VOICE_COMMAND_DEFAULT_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"

/* Default confidence threshold (see voice_command_options). */
#define VOICE_COMMAND_DEFAULT_THRESHOLD 0.5f

typedef struct voice_command_options {
    const char *model_dir; /* holds en-us/ and cmudict-en-us.dict; NULL = the default */
    /* Results with confidence below it are VOICE_CMD_NONE; 0..1. The
     * confidence is the share of the utterance's speech frames the command
     * explains (the rest went to garbage phones); a command with more than
     * one garbage phone is rejected whatever the threshold. */
    float threshold;
} voice_command_options;

void voice_command_options_default(voice_command_options *o);

typedef struct voice_command_result {
    voice_command_id id;
    const char *phrase; /* the grammar phrase heard (static), "" when none */
    float confidence;   /* 0..1 */
} voice_command_result;

typedef struct voice_command_recognizer voice_command_recognizer;

/* Loads the acoustic model and dictionary and builds the grammar.
 * SL_ERR_MODEL when the model folder or a file in it is missing or unusable
 * (naming it), SL_ERR_ARG for a threshold outside 0..1. */
sl_status voice_command_open(const voice_command_options *o, voice_command_recognizer **out,
                             sl_error *err);
void voice_command_close(voice_command_recognizer *r);

/* Whether pocketsphinx's en-us model is installed in model_dir (NULL: the
 * default), so callers can offer commands without opening a decoder. */
bool voice_command_model_present(const char *model_dir);

/* Recognises one utterance: count samples of 16 kHz mono float PCM (values
 * clipped to [-1, 1]). At most VOICE_COMMAND_MAX_SECONDS. Silence, speech
 * outside the grammar or a low confidence give VOICE_CMD_NONE (SL_OK). */
#define VOICE_COMMAND_MAX_SECONDS 30
sl_status voice_command_recognize(voice_command_recognizer *r, const float *samples,
                                  size_t count, voice_command_result *out, sl_error *err);

/* "describe", "read", ... (stable names for JSON and logs); "none" for
 * VOICE_CMD_NONE; NULL for an unknown id. */
const char *voice_command_name(voice_command_id id);

/* The grammar's phrases, for help texts and tests: index 0..n-1; NULL past
 * the end. *id_out (may be NULL) gets the phrase's command. */
const char *voice_command_phrase(size_t index, voice_command_id *id_out);

#endif
