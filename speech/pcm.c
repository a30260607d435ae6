#include "speech/pcm.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "speech/resample.h"

static int rate_ok(int rate)
{
    return rate >= 1 && rate <= PCM_MAX_RATE;
}

sl_status pcm_s16_alloc(pcm_s16 *p, int rate, int channels, size_t frames, sl_error *err)
{
    memset(p, 0, sizeof *p);
    if (!rate_ok(rate) || channels < 1 || channels > PCM_MAX_CHANNELS)
        return sl_fail(err, SL_ERR_ARG, "audio buffer: %d Hz, %d channels is out of range",
                       rate, channels);
    if (frames > SIZE_MAX / sizeof(int16_t) / (size_t)channels)
        return sl_fail(err, SL_ERR_NOMEM, "audio buffer: %zu frames is too large", frames);
    size_t n = frames * (size_t)channels;
    p->samples = calloc(n ? n : 1, sizeof(int16_t));
    if (!p->samples)
        return sl_fail(err, SL_ERR_NOMEM, "audio buffer: cannot allocate %zu samples", n);
    p->rate = rate;
    p->channels = channels;
    p->frames = frames;
    return SL_OK;
}

void pcm_s16_free(pcm_s16 *p)
{
    if (!p)
        return;
    free(p->samples);
    memset(p, 0, sizeof *p);
}

double pcm_s16_seconds(const pcm_s16 *p)
{
    return p->rate > 0 ? (double)p->frames / p->rate : 0.0;
}

double pcm_f32_seconds(const pcm_f32 *p)
{
    return p->rate > 0 ? (double)p->count / p->rate : 0.0;
}

sl_status pcm_f32_alloc(pcm_f32 *p, int rate, size_t count, sl_error *err)
{
    memset(p, 0, sizeof *p);
    if (!rate_ok(rate))
        return sl_fail(err, SL_ERR_ARG, "audio buffer: %d Hz is out of range", rate);
    if (count > SIZE_MAX / sizeof(float))
        return sl_fail(err, SL_ERR_NOMEM, "audio buffer: %zu samples is too large", count);
    p->samples = calloc(count ? count : 1, sizeof(float));
    if (!p->samples)
        return sl_fail(err, SL_ERR_NOMEM, "audio buffer: cannot allocate %zu samples", count);
    p->rate = rate;
    p->count = count;
    p->capacity = count ? count : 1;
    return SL_OK;
}

void pcm_f32_free(pcm_f32 *p)
{
    if (!p)
        return;
    free(p->samples);
    memset(p, 0, sizeof *p);
}

sl_status pcm_f32_reserve(pcm_f32 *p, size_t extra, sl_error *err)
{
    if (extra > SIZE_MAX / sizeof(float) - p->count)
        return sl_fail(err, SL_ERR_NOMEM, "audio buffer: %zu more samples is too large", extra);
    size_t need = p->count + extra;
    if (need <= p->capacity)
        return SL_OK;
    size_t cap = p->capacity ? p->capacity : 4096;
    while (cap < need)
        cap = cap > SIZE_MAX / sizeof(float) / 2 ? need : cap * 2;
    float *grown = realloc(p->samples, cap * sizeof(float));
    if (!grown)
        return sl_fail(err, SL_ERR_NOMEM, "audio buffer: cannot grow to %zu samples", cap);
    p->samples = grown;
    p->capacity = cap;
    return SL_OK;
}

sl_status pcm_f32_append(pcm_f32 *p, const float *samples, size_t n, sl_error *err)
{
    if (n == 0)
        return SL_OK;
    sl_status st = pcm_f32_reserve(p, n, err);
    if (st != SL_OK)
        return st;
    memcpy(p->samples + p->count, samples, n * sizeof(float));
    p->count += n;
    return SL_OK;
}

void pcm_f32_consume(pcm_f32 *p, size_t n)
{
    if (n >= p->count) {
        p->count = 0;
        return;
    }
    memmove(p->samples, p->samples + n, (p->count - n) * sizeof(float));
    p->count -= n;
}

void pcm_downmix_f32(const float *in, size_t frames, int channels, float *out)
{
    if (channels == 1) {
        if (in != out)
            memmove(out, in, frames * sizeof(float));
        return;
    }
    float scale = 1.0f / (float)channels;
    /* Frame i is read before out[i] is written and out[i] never lies past
     * in[i * channels], so working in place is safe. */
    for (size_t i = 0; i < frames; i++) {
        const float *f = in + i * (size_t)channels;
        float sum = 0.0f;
        for (int c = 0; c < channels; c++)
            sum += f[c];
        out[i] = sum * scale;
    }
}

int16_t pcm_sample_to_s16(float x)
{
    float s = x * 32768.0f;
    if (!(s > -32768.0f)) /* also maps NaN to the floor instead of undefined behaviour */
        return INT16_MIN;
    if (s >= 32767.0f)
        return INT16_MAX;
    return (int16_t)lrintf(s);
}

sl_status pcm_s16_to_f32_mono(const pcm_s16 *in, pcm_f32 *out, sl_error *err)
{
    if (in->channels < 1 || in->channels > PCM_MAX_CHANNELS || (in->frames > 0 && !in->samples)) {
        memset(out, 0, sizeof *out);
        return sl_fail(err, SL_ERR_ARG, "audio buffer: %d channels is out of range",
                       in->channels);
    }
    sl_status st = pcm_f32_alloc(out, in->rate, in->frames, err);
    if (st != SL_OK)
        return st;
    const int ch = in->channels;
    for (size_t i = 0; i < in->frames; i++) {
        const int16_t *f = in->samples + i * (size_t)ch;
        int32_t sum = 0;
        for (int c = 0; c < ch; c++)
            sum += f[c];
        out->samples[i] = (float)sum * (1.0f / 32768.0f) / (float)ch;
    }
    return SL_OK;
}

sl_status pcm_f32_to_s16(const pcm_f32 *in, pcm_s16 *out, sl_error *err)
{
    sl_status st = pcm_s16_alloc(out, in->rate, 1, in->count, err);
    if (st != SL_OK)
        return st;
    for (size_t i = 0; i < in->count; i++)
        out->samples[i] = pcm_sample_to_s16(in->samples[i]);
    return SL_OK;
}

sl_status pcm_s16_to_speech(const pcm_s16 *in, pcm_f32 *out, sl_error *err)
{
    pcm_f32 mono;
    sl_status st = pcm_s16_to_f32_mono(in, &mono, err);
    if (st != SL_OK || mono.rate == SPEECH_RATE) {
        *out = mono;
        return st;
    }
    st = resample_f32(&mono, SPEECH_RATE, out, err);
    pcm_f32_free(&mono);
    return st;
}

double pcm_s16_rms(const pcm_s16 *p)
{
    if (p->channels < 1 || !p->samples)
        return 0.0;
    size_t n = p->frames * (size_t)p->channels;
    if (n == 0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (double)p->samples[i] * p->samples[i];
    return sqrt(sum / (double)n);
}

double pcm_f32_rms(const pcm_f32 *p)
{
    if (p->count == 0 || !p->samples)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < p->count; i++)
        sum += (double)p->samples[i] * p->samples[i];
    return sqrt(sum / (double)p->count);
}
