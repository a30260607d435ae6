/* Voice activity detection.
 *
 * Silero VAD v6.2.0 from whisper.cpp's ggml container
 * (ggml-silero-v6.2.0.bin): per 512-sample window at 16 kHz (the last one
 * zero-padded), a 256-point STFT magnitude (reflect-padded by 64), four 1-D
 * convolutions with ReLU, an LSTM cell (128) carried from window to window,
 * and a sigmoid output: the probability that the window holds speech.
 * Computed as whisper.cpp does (convolution inputs rounded to F16 like its
 * im2col), so the probabilities agree with whisper.cpp's to ~1e-5.
 *
 * vad_segments turns probabilities into speech segments with whisper.cpp's
 * rules (threshold with hysteresis, minimum speech and silence, merging of
 * gaps under 200 ms, padding), in centiseconds like whisper.cpp reports.
 *
 * Without a model, vad_energy_probs gives the same kind of per-window
 * scores from signal energy against an adaptive noise floor: a fallback
 * that finds utterances separated by pauses in quiet rooms, not speech in
 * noise. */
#ifndef SIGHTLINE_SPEECH_VAD_H
#define SIGHTLINE_SPEECH_VAD_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"

typedef struct vad_model vad_model;

sl_status vad_model_load(const char *path, vad_model **out, sl_error *err);
void vad_model_free(vad_model *m);
int vad_model_window(const vad_model *m); /* samples per probability: 512 */

/* One probability per window of pcm (16 kHz mono): *probs (malloc'ed, free
 * it) gets ceil(n / window) values, starting from a zero LSTM state. */
sl_status vad_speech_probs(const vad_model *m, const float *pcm, size_t n, float **probs,
                           size_t *n_probs, sl_error *err);

typedef struct vad_params {
    float threshold;          /* 0.5 */
    int min_speech_ms;        /* 250 */
    int min_silence_ms;       /* 100 */
    float max_speech_s;       /* longer speech is split; 0 or huge: never */
    int speech_pad_ms;        /* 30 */
} vad_params;

vad_params vad_default_params(void);

typedef struct vad_segment {
    int64_t t0_cs, t1_cs; /* centiseconds from the start */
} vad_segment;

/* Segments from per-window probabilities (window samples each). *segs is
 * malloc'ed (NULL when there are none). */
sl_status vad_segments(const float *probs, size_t n_probs, int window, const vad_params *p,
                       vad_segment **segs, size_t *n_segs, sl_error *err);

/* The energy fallback: per window, a score in [0, 1] from the window's RMS
 * level in dB relative to the noise floor (the 10th percentile of window
 * levels): 0.5 at 10 dB above it, saturating 6 dB either side; windows
 * under -60 dBFS score 0. */
sl_status vad_energy_probs(const float *pcm, size_t n, int window, float **probs,
                           size_t *n_probs, sl_error *err);

#endif
