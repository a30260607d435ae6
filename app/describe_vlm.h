/* describe and ask with a vision-language model.
 *
 * Latency is what a blind user feels, so describe answers in two passes:
 * first the picture cut to a single tile plus the overview (two tile
 * encodes) and a request for one short sentence, which is printed and
 * spoken at once; then, unless the profile's verbosity is brief, the full
 * tiling and a request for details. ask and --prompt-template make one
 * pass with the full tiling. */
#ifndef SIGHTLINE_APP_DESCRIBE_VLM_H
#define SIGHTLINE_APP_DESCRIBE_VLM_H

#include "app/app_speech.h"
#include "app/llm_session.h"
#include "vision/vision.h"

typedef struct vlm_request {
    const char *model, *mmproj;
    const char *source;          /* the file or camera, for history and JSON */
    const char *question;        /* ask: the user's question; describe: NULL */
    const char *prompt_template; /* a raw prompt with <__media__>: one exact pass */
    llm_cli_options llm;         /* sampling (greedy by default here) */
    int32_t n_predict;           /* 0: from the verbosity */
    bool json;
    bool show_prompt;            /* print each prompt on stderr */
    speak_request say;
} vlm_request;

int describe_with_model(const app_context *app, const vlm_request *q, const frame *pic,
                        int64_t started);

#endif
