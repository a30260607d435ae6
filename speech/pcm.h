/* Audio in memory.
 *
 * pcm_s16 is what speakers and WAV files take: interleaved 16-bit samples at
 * any rate and channel count (speech synthesis makes 22050 Hz mono).
 * pcm_f32 is what recognition takes: one channel of float samples in
 * [-1, 1], at SPEECH_RATE when it comes from the speech input paths
 * (microphone, file decoding, wav_read_speech).
 *
 * Whoever receives a buffer owns its samples and releases them with
 * pcm_s16_free / pcm_f32_free; freeing a zeroed buffer is fine. */
#ifndef SIGHTLINE_SPEECH_PCM_H
#define SIGHTLINE_SPEECH_PCM_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"

/* The sample rate of every recognizer input (Whisper, VAD, pocketsphinx). */
#define SPEECH_RATE 16000

/* Sane bounds for rates and channel counts read from files and devices. */
#define PCM_MAX_RATE 768000
#define PCM_MAX_CHANNELS 64

typedef struct pcm_s16 {
    int rate;        /* frames per second */
    int channels;    /* samples per frame, interleaved */
    size_t frames;   /* samples holds frames * channels values */
    int16_t *samples;
} pcm_s16;

typedef struct pcm_f32 {
    int rate;
    size_t count;    /* samples in use */
    size_t capacity; /* samples allocated; pcm_f32_append grows it */
    float *samples;
} pcm_f32;

/* Allocates zeroed frames (frames may be 0). */
sl_status pcm_s16_alloc(pcm_s16 *p, int rate, int channels, size_t frames, sl_error *err);
void pcm_s16_free(pcm_s16 *p);

/* Duration in seconds. */
double pcm_s16_seconds(const pcm_s16 *p);
double pcm_f32_seconds(const pcm_f32 *p);

/* Allocates count zeroed samples (count may be 0). */
sl_status pcm_f32_alloc(pcm_f32 *p, int rate, size_t count, sl_error *err);
void pcm_f32_free(pcm_f32 *p);

/* Makes room for `extra` more samples after count, growing geometrically. */
sl_status pcm_f32_reserve(pcm_f32 *p, size_t extra, sl_error *err);

/* Appends n samples (pcm_f32_reserve, then a copy). */
sl_status pcm_f32_append(pcm_f32 *p, const float *samples, size_t n, sl_error *err);

/* Drops the first n samples (all of them when n >= count), keeping the rest
 * and the allocation: how a stream hands out chunks. */
void pcm_f32_consume(pcm_f32 *p, size_t n);

/* Averages the channels of interleaved float frames into mono:
 * out[i] = mean(in[i * channels + c]). in and out may be the same array. */
void pcm_downmix_f32(const float *in, size_t frames, int channels, float *out);

/* int16 <-> float: x / 32768, and back with rounding and clipping, so a
 * round trip from int16 is exact. */
static inline float pcm_sample_to_f32(int16_t s)
{
    return (float)s * (1.0f / 32768.0f);
}

int16_t pcm_sample_to_s16(float x);

/* Mono float at the same rate: channels averaged, x / 32768. */
sl_status pcm_s16_to_f32_mono(const pcm_s16 *in, pcm_f32 *out, sl_error *err);

/* Mono int16 at the same rate. */
sl_status pcm_f32_to_s16(const pcm_f32 *in, pcm_s16 *out, sl_error *err);

/* What a recognizer takes: mono float at SPEECH_RATE (downmixed, then
 * resampled with resample.h when the rate differs). */
sl_status pcm_s16_to_speech(const pcm_s16 *in, pcm_f32 *out, sl_error *err);

/* Root mean square of all samples, on the scale of the type (int16 units
 * for pcm_s16); 0 for an empty buffer. */
double pcm_s16_rms(const pcm_s16 *p);
double pcm_f32_rms(const pcm_f32 *p);

#endif
