/* Log-mel spectrogram; see mel.h. */
#include "speech/mel.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "speech/whisper_model.h"

#define PAD_END (WHISPER_SAMPLE_RATE * WHISPER_CHUNK_SECONDS)
#define PAD_SIDE (WHISPER_N_FFT / 2)
#define FFT_WORK (8 * WHISPER_N_FFT)

typedef struct mel_tables {
    float cos_v[WHISPER_N_FFT];
    float sin_v[WHISPER_N_FFT];
    float hann[WHISPER_N_FFT];
} mel_tables;

static void tables_init(mel_tables *t)
{
    for (int i = 0; i < WHISPER_N_FFT; i++) {
        double th = (2 * M_PI * i) / WHISPER_N_FFT;
        t->sin_v[i] = sinf((float)th);
        t->cos_v[i] = cosf((float)th);
        t->hann[i] = (float)(0.5 * (1.0 - cosf((float)((2.0 * M_PI * i) / WHISPER_N_FFT))));
    }
}

/* Complex spectrum (re, im pairs) of n real values, n = 400 / 2^k; odd
 * lengths by direct summation, even ones by splitting into even and odd
 * samples. work holds at least 6n floats. */
static void fft_real(const float *in, int n, float *out, float *work, const mel_tables *t)
{
    if (n == 1) {
        out[0] = in[0];
        out[1] = 0;
        return;
    }
    int step = WHISPER_N_FFT / n;
    if (n % 2) {
        for (int k = 0; k < n; k++) {
            float re = 0, im = 0;
            for (int j = 0; j < n; j++) {
                int idx = (k * j * step) % WHISPER_N_FFT;
                re += in[j] * t->cos_v[idx];
                im -= in[j] * t->sin_v[idx];
            }
            out[2 * k] = re;
            out[2 * k + 1] = im;
        }
        return;
    }
    int h = n / 2;
    float *ev = work, *od = work + h, *ef = work + n, *of = work + 2 * n;
    for (int i = 0; i < h; i++) {
        ev[i] = in[2 * i];
        od[i] = in[2 * i + 1];
    }
    fft_real(ev, h, ef, work + 3 * n, t);
    fft_real(od, h, of, work + 3 * n, t);
    for (int k = 0; k < h; k++) {
        float wr = t->cos_v[k * step];
        float wi = -t->sin_v[k * step];
        float orr = of[2 * k], oi = of[2 * k + 1];
        float tr = wr * orr - wi * oi;
        float ti = wr * oi + wi * orr;
        out[2 * k] = ef[2 * k] + tr;
        out[2 * k + 1] = ef[2 * k + 1] + ti;
        out[2 * (k + h)] = ef[2 * k] - tr;
        out[2 * (k + h) + 1] = ef[2 * k + 1] - ti;
    }
}

typedef struct mel_job {
    const mel_tables *t;
    const float *padded; /* PAD_SIDE reflected + audio + zeros */
    int64_t n_avail;     /* samples of padded holding reflection or audio */
    int n_frames_fft;    /* frames computed; the rest are silence */
    const float *filters;
    mel_spectrogram *mel;
    float *scratch; /* per thread: FFT_WORK + 2 * WHISPER_N_FFT * 2 floats */
} mel_job;

#define SCRATCH_PER_THREAD (FFT_WORK + 4 * WHISPER_N_FFT)

static void mel_worker(void *ctx, int ith, int nth)
{
    mel_job *j = ctx;
    float *in = j->scratch + (size_t)ith * SCRATCH_PER_THREAD;
    float *out = in + WHISPER_N_FFT;
    float *work = out + 2 * WHISPER_N_FFT;
    mel_spectrogram *mel = j->mel;
    for (int i = ith; i < mel->n_len; i += nth) {
        if (i >= j->n_frames_fft) {
            for (int m = 0; m < mel->n_mel; m++)
                mel->data[(size_t)m * mel->n_len + i] = -10.0f;
            continue;
        }
        int64_t off = (int64_t)i * WHISPER_HOP;
        int64_t avail = j->n_avail - off;
        int lim = avail < WHISPER_N_FFT ? (int)avail : WHISPER_N_FFT;
        for (int k = 0; k < lim; k++)
            in[k] = j->t->hann[k] * j->padded[off + k];
        for (int k = lim; k < WHISPER_N_FFT; k++)
            in[k] = 0;
        fft_real(in, WHISPER_N_FFT, out, work, j->t);
        for (int k = 0; k < WHISPER_N_FREQ; k++)
            out[k] = out[2 * k] * out[2 * k] + out[2 * k + 1] * out[2 * k + 1];
        for (int m = 0; m < mel->n_mel; m++) {
            const float *f = j->filters + (size_t)m * WHISPER_N_FREQ;
            double sum = 0.0;
            int k = 0;
            for (; k < WHISPER_N_FREQ - 3; k += 4)
                sum += out[k] * f[k] + out[k + 1] * f[k + 1] + out[k + 2] * f[k + 2] +
                       out[k + 3] * f[k + 3];
            for (; k < WHISPER_N_FREQ; k++)
                sum += out[k] * f[k];
            mel->data[(size_t)m * mel->n_len + i] = (float)log10(sum > 1e-10 ? sum : 1e-10);
        }
    }
}

void mel_free(mel_spectrogram *mel)
{
    if (!mel)
        return;
    free(mel->data);
    memset(mel, 0, sizeof *mel);
}

sl_status mel_from_pcm(const float *pcm, size_t n, int n_mels, const float *filters,
                       mel_spectrogram *out, thread_pool *pool, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if ((!pcm && n) || !filters || n_mels < 1 || n_mels > 256)
        return sl_fail(err, SL_ERR_ARG, "mel_from_pcm: bad arguments (n_mels %d)", n_mels);
    if (n > (size_t)INT_MAX / 2 - PAD_END)
        return sl_fail(err, SL_ERR_LIMIT, "mel_from_pcm: %zu samples is too long", n);
    int64_t n_pad = (int64_t)n + PAD_END + 2 * PAD_SIDE;
    int n_len = (int)((n_pad - WHISPER_N_FFT) / WHISPER_HOP);
    float *padded = calloc((size_t)n_pad, sizeof *padded);
    mel_tables *t = malloc(sizeof *t);
    int nth = thread_pool_threads(pool);
    float *scratch = malloc((size_t)nth * SCRATCH_PER_THREAD * sizeof(float));
    float *data = malloc((size_t)n_mels * (size_t)n_len * sizeof(float));
    if (!padded || !t || !scratch || !data) {
        free(padded);
        free(t);
        free(scratch);
        free(data);
        return sl_fail(err, SL_ERR_NOMEM, "mel_from_pcm: out of memory for %zu samples", n);
    }
    tables_init(t);
    if (n)
        memcpy(padded + PAD_SIDE, pcm, n * sizeof(float));
    int64_t n_reflect = n > 1 ? (int64_t)n - 1 : 0;
    if (n_reflect > PAD_SIDE)
        n_reflect = PAD_SIDE;
    for (int64_t i = 0; i < n_reflect; i++)
        padded[PAD_SIDE - n_reflect + i] = pcm[n_reflect - i];

    out->n_mel = n_mels;
    out->n_len = n_len;
    int64_t org = ((int64_t)n + PAD_SIDE - WHISPER_N_FFT) / WHISPER_HOP; /* C truncation */
    out->n_len_org = (int)(1 + org);
    out->data = data;

    mel_job j = {
        .t = t,
        .padded = padded,
        .n_avail = (int64_t)n + PAD_SIDE,
        .filters = filters,
        .mel = out,
        .scratch = scratch,
    };
    int64_t nf = j.n_avail / WHISPER_HOP + 1;
    j.n_frames_fft = nf < n_len ? (int)nf : n_len;
    thread_pool_run(pool, mel_worker, &j);

    double mmax = -1e20;
    size_t total = (size_t)n_mels * (size_t)n_len;
    for (size_t i = 0; i < total; i++)
        if (data[i] > mmax)
            mmax = data[i];
    mmax -= 8.0;
    for (size_t i = 0; i < total; i++) {
        float v = data[i] < mmax ? (float)mmax : data[i];
        data[i] = (float)((v + 4.0) / 4.0);
    }
    free(padded);
    free(t);
    free(scratch);
    return SL_OK;
}
