/* Choosing the next token from logits: greedy, or random sampling after
 * repetition penalties, top-k, top-p (nucleus), min-p and temperature, in
 * that order (llama.cpp's default chain), from a seeded generator so that
 * the same seed and the same logits give the same tokens on every run. */
#ifndef SIGHTLINE_LLM_SAMPLING_H
#define SIGHTLINE_LLM_SAMPLING_H

#include <stdint.h>

#include "llm/error.h"

/* xoshiro256** seeded through splitmix64: small, fast, reproducible. */
typedef struct llm_rng {
    uint64_t s[4];
} llm_rng;

void llm_rng_seed(llm_rng *rng, uint64_t seed);
uint64_t llm_rng_next(llm_rng *rng);
/* Uniform in [0, 1), 53 random bits. */
double llm_rng_uniform(llm_rng *rng);

typedef struct llm_sampling_params {
    float temperature;      /* <= 0: greedy (after penalties) */
    int32_t top_k;          /* keep the k most likely; <= 0: off */
    float top_p;            /* keep the smallest set with this much probability; >= 1: off */
    float min_p;            /* drop tokens below min_p * p(best); <= 0: off */
    float repeat_penalty;   /* > 1 discourages recent tokens; 1: off */
    float frequency_penalty; /* subtracted once per occurrence; 0: off */
    float presence_penalty; /* subtracted once if present; 0: off */
    int32_t repeat_last_n;  /* how many recent tokens the penalties look at */
    uint64_t seed;
} llm_sampling_params;

/* temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, no penalties (1.0 /
 * 0 / 0, last 64), seed 0: llama.cpp's defaults. */
llm_sampling_params llm_sampling_default_params(void);

typedef struct llm_sampler llm_sampler;

sl_status llm_sampler_create(const llm_sampling_params *params, int32_t n_vocab,
                             llm_sampler **out, sl_error *err);
void llm_sampler_free(llm_sampler *s);

/* Picks a token from n_vocab logits (not modified). Does not record it: call
 * llm_sampler_accept with the token actually used. */
sl_status llm_sampler_sample(llm_sampler *s, const float *logits, int32_t *token,
                             sl_error *err);

/* Records a token of the context (prompt or generated) for the penalties. */
void llm_sampler_accept(llm_sampler *s, int32_t token);

/* Forgets the history and restarts the generator from the seed. */
void llm_sampler_reset(llm_sampler *s);

/* Index of the largest logit (the lowest index among equals). */
int32_t llm_argmax(const float *logits, int32_t n);

#endif
