/* Speaking a mode's answer: the options every speaking command shares
 * (--speak, --wav, --voice, --rate, --pitch, --volume) and what they do. */
#ifndef SIGHTLINE_APP_SPEECH_H
#define SIGHTLINE_APP_SPEECH_H

#include <stdbool.h>

#include "app/cli.h"
#include "speech/speech.h"

typedef struct speak_request {
    bool speak;          /* --speak: through the audio device */
    const char *wav;     /* --wav FILE: into a file (both may be given) */
    tts_options voice;   /* --voice, --rate, --pitch, --volume */
} speak_request;

void speak_request_init(speak_request *r);

/* If argv[*i] is one of the speech options, consumes it (and its value),
 * advancing *i, and returns 1; returns 0 for other arguments and
 * -EXIT_USAGE after printing a usage error for a bad value. */
int speak_parse_option(const command *cmd, int argc, char **argv, int *i, speak_request *r);

/* Checks before the slow work that --wav can be written, so a typo in the
 * path does not cost a whole reading. Prints the error; returns the exit
 * code. */
int speak_check_output(const speak_request *r);

/* Speaks text as requested (nothing when neither --speak nor --wav).
 * Errors are printed once; returns the exit code. */
int speak_text(const app_context *app, const speak_request *r, const char *text);

/* The lines of the help that describe these options. */
#define SPEAK_OPTIONS_HELP                                                                  \
    "  --speak        also say it through the speaker\n"                                    \
    "  --wav FILE     write the speech to FILE (16-bit mono WAV)\n"        \
    "  --voice V      espeak-ng voice, e.g. en, en-us, de, fr (default en)\n"               \
    "  --rate WPM     speaking rate, 80 to 450 words a minute (default 175)\n"              \
    "  --pitch P      0 to 100 (default 50)\n"                                              \
    "  --volume V     0 to 200 (default 100)\n"

#endif
