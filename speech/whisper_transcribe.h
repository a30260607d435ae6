/* Whole-file transcription with Whisper, following whisper.cpp's
 * whisper_full: 30-second windows that seek by the last timestamp token,
 * whisper.cpp's logit rules (suppressed specials, timestamp pairing,
 * monotonic timestamps, the first timestamp within max_initial_ts, blank
 * suppression at the start), greedy decoding or beam search, temperature
 * fallback when a window's average log-probability or repetition
 * (entropy) says it failed, no-speech detection, the previous window's
 * text as context, and language detection for multilingual models.
 *
 * Where whisper.cpp is not reproducible we choose the deterministic
 * reading: its beam search draws the beam candidates at random from the
 * distribution; ours takes the top beam_size tokens by log-probability
 * (OpenAI's beam search). Sampling at temperature > 0 uses our own seeded
 * generator, so those paths match whisper.cpp in distribution only. */
#ifndef SIGHTLINE_SPEECH_WHISPER_TRANSCRIBE_H
#define SIGHTLINE_SPEECH_WHISPER_TRANSCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/threadpool.h"
#include "speech/whisper.h"

typedef enum whisper_strategy {
    WHISPER_STRATEGY_GREEDY = 0,
    WHISPER_STRATEGY_BEAM = 1,
} whisper_strategy;

typedef struct whisper_params {
    whisper_strategy strategy;
    int beam_size;         /* beam width (whisper-cli -bs; 5) */
    int best_of;           /* candidates sampled at temperature > 0 (-bo; 5) */
    float temperature;     /* first temperature (0) */
    float temperature_inc; /* fallback step (0.2); 0 disables fallback (-nf) */
    float logprob_thold;   /* a window fails below this average log-prob (-1) */
    float no_speech_thold; /* p(no speech) above this with a failed window: silence (0.6) */
    float entropy_thold;   /* a window repeating itself below this entropy fails (2.4) */
    float max_initial_ts;  /* seconds: latest first timestamp (1.0) */
    bool no_timestamps;    /* -nt */
    bool suppress_blank;
    bool translate;
    const char *language; /* "en", "de", ...; NULL, "" or "auto" detects */
    int offset_ms;
    int duration_ms; /* 0: to the end */
    int max_decode_tokens; /* per window; 0: whisper.cpp's n_text_ctx/2 - 4 */
    uint64_t seed;   /* for sampling at temperature > 0 */
    int reference_threads; /* whisper.cpp thread count whose decoder numerics to
                              reproduce (whisper_state_set_kv_chunks); 1 */
} whisper_params;

whisper_params whisper_default_params(whisper_strategy strategy);

typedef struct whisper_segment {
    int64_t t0_ms, t1_ms;
    char *text; /* UTF-8 bytes of the text tokens, NUL-terminated */
    int32_t *tokens;
    int n_tokens;
    float no_speech_prob;
} whisper_segment;

typedef struct whisper_result {
    whisper_segment *segments;
    int n_segments;
    int lang_id; /* whisper_lang_code(); 0 (en) for English-only models */
    int n_windows;
    int n_fallbacks; /* windows decoded again at a higher temperature */
} whisper_result;

void whisper_result_free(whisper_result *r);

/* Called after each window with the share of the audio done (0..100);
 * returning false stops the work with SL_ERR_CANCELLED. */
typedef bool (*whisper_progress_fn)(void *user, int percent);

/* pool may be NULL. pcm: mono float samples at 16 kHz. n == 0 or silence
 * gives no segments. */
sl_status whisper_transcribe(const whisper_model *model, thread_pool *pool, const float *pcm,
                             size_t n, const whisper_params *params, whisper_progress_fn progress,
                             void *user, whisper_result *out, sl_error *err);

/* Language probabilities of the window at mel frame `offset` (encodes it):
 * probs[0..whisper_lang_count()) (may be NULL); returns the best in *lang.
 * English-only models: SL_ERR_MODEL. */
sl_status whisper_detect_language(whisper_state *st, const mel_spectrogram *mel, int offset,
                                  float *probs, int *lang, sl_error *err);

/* Applies whisper.cpp's logit rules for a sequence `prev` (the tokens
 * decoded so far in this window, not the prompt) and turns logits into
 * log-probabilities in place; exposed for tests and for the teacher-forcing
 * comparison. seek_delta_min: timestamps below this many 20-ms steps are
 * suppressed (monotonic timestamps), 0 for none. */
void whisper_apply_logit_rules(const whisper_model *model, const whisper_params *p,
                               const int32_t *prev, int n_prev, int seek_delta_min,
                               float temperature, float *logits, float *logprobs);

#endif
