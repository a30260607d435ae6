/* Text generation: a prompt through the decoder, then tokens sampled one
 * at a time until an end-of-generation token, a stop string, the token
 * limit or the end of the context, each streamed as complete UTF-8 text.
 *
 * Stop strings are matched on the generated text; text that could still
 * become a stop string is held back from the callback until it is known
 * not to, so the stop string itself never reaches the caller. */
#ifndef SIGHTLINE_LLM_GENERATE_H
#define SIGHTLINE_LLM_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/model.h"
#include "llm/sampling.h"
#include "llm/tokenizer.h"

/* Receives each piece of text as it becomes final (len may be 0 for a
 * token whose bytes are held back). Return non-zero to stop. */
typedef int (*llm_text_fn)(void *user, int32_t token, const char *text, size_t len);

typedef struct llm_generate_params {
    int32_t n_predict;        /* most new tokens; <= 0: until the context is full */
    const char *const *stop;  /* stop strings (may be NULL) */
    size_t n_stop;
    bool render_special;      /* show special tokens' text (default: hidden) */
    float *logits_after_prompt; /* if not NULL, n_vocab floats: the prompt's logits */
} llm_generate_params;

typedef enum llm_stop_reason {
    LLM_STOP_EOG,      /* the model ended its turn */
    LLM_STOP_STRING,   /* a stop string appeared */
    LLM_STOP_LENGTH,   /* n_predict tokens */
    LLM_STOP_CONTEXT,  /* the context is full */
    LLM_STOP_CALLER,   /* the callback asked to stop */
} llm_stop_reason;

typedef struct llm_generate_result {
    int32_t *tokens;   /* generated ids, the end-of-generation token excluded */
    size_t n_tokens;
    char *text;        /* the generated text, without a stop string */
    size_t text_len;
    int32_t n_prompt;
    double prompt_ms;  /* evaluating the prompt (first logits) */
    double decode_ms;  /* everything after */
    llm_stop_reason stop_reason;
} llm_generate_result;

const char *llm_stop_reason_name(llm_stop_reason r);

/* Evaluates prompt at the context's current position, then generates.
 * fn may be NULL. */
sl_status llm_generate(llm_context *ctx, const tokenizer *tok, llm_sampler *sampler,
                       const int32_t *prompt, size_t n_prompt, const llm_generate_params *params,
                       llm_text_fn fn, void *user, llm_generate_result *out, sl_error *err);

void llm_generate_result_free(llm_generate_result *r);

#endif
