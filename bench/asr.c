/* Speech recognition speed: Whisper encoder time for one 30-s window,
 * decoder time per token and the real-time factor, at 1 and 2 threads, for
 * random-weight models with tiny.en's and base.en's shapes in F16 and Q8_0,
 * written at run time by ../shared/tools/gen_tiny_whisper.py (skipped when
 * it or numpy's python is absent). Each figure is the minimum of 3 runs;
 * the anchors are whisper.cpp's figures on the same shapes
 * (../shared/anchors.md), printed as speed ratios (> 1: we are faster).
 *
 * Decode ms/token is whisper-bench's figure: the mean of 256 single-token
 * decodes at positions 0..255 (each with its logits).
 *
 * Decode streams the decoder's matrices, the output projection and the
 * cross keys/values (F16) once per token: those bytes over the decode time,
 * as a share of the read bandwidth measured in the same run, say how far
 * from the memory limit a figure is (on this shared machine the bandwidth
 * itself varies 2x with what else runs).
 *
 * real-time factor = (mel + encoder + 100 decoded tokens) / 30 s. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include <unistd.h>

#include "speech/whisper.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

typedef struct anchor {
    const char *preset, *ftype;
    double enc[2], dec[2]; /* ms at 1 and 2 threads */
} anchor;

static const anchor anchors[] = {
    {"tiny.en", "f16", {1301, 678}, {3.85, 2.99}},
    {"tiny.en", "q8_0", {971, 496}, {2.75, 2.04}},
    {"base.en", "f16", {2978, 1688}, {6.92, 5.40}},
    {"base.en", "q8_0", {2221, 1201}, {5.19, 3.54}},
};

/* Read bandwidth: the best of 5 sums over 256 MiB (beyond any cache). */
static double read_bandwidth_gbs(void)
{
    size_t n = (size_t)256 << 20;
    uint64_t *buf = malloc(n);
    if (!buf)
        return 0;
    for (size_t i = 0; i < n / 8; i++)
        buf[i] = i;
    double best = 1e30;
    volatile uint64_t sink = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_ms();
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t i = 0; i < n / 8; i += 4) {
            s0 += buf[i];
            s1 += buf[i + 1];
            s2 += buf[i + 2];
            s3 += buf[i + 3];
        }
        sink += s0 + s1 + s2 + s3;
        best = fmin(best, now_ms() - t0);
    }
    free(buf);
    return (double)n / best / 1e6;
}

static double qmatrix_bytes(const qmatrix *q)
{
    return (double)q->rows * (double)q->row_stride;
}

/* Bytes one decoded token reads: decoder matrices, output projection, cross
 * keys and values in F16. */
static double decode_bytes(const whisper_model *m)
{
    double b = qmatrix_bytes(&m->d_te);
    for (int l = 0; l < m->hp.n_text_layer; l++) {
        const whisper_layer_weights *w = &m->dec[l];
        const qmatrix *qs[] = {&w->attn.q, &w->attn.k, &w->attn.v, &w->attn.out,
                               &w->cross.q, &w->cross.out, &w->mlp0, &w->mlp1};
        for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
            b += qmatrix_bytes(qs[i]);
    }
    b += 2.0 * m->hp.n_text_layer * (double)m->hp.n_audio_ctx * m->hp.n_audio_state * 2.0;
    return b;
}

static int bench_model(const char *path, const anchor *a)
{
    whisper_model *m = NULL;
    sl_error err = {0};
    if (whisper_model_load(path, &m, &err) != SL_OK) {
        fprintf(stderr, "asr: %s\n", err.msg);
        return 1;
    }
    size_t n = 16000 * 30;
    float *pcm = malloc(n * sizeof(float));
    float *logits = malloc((size_t)m->hp.n_vocab * sizeof(float));
    if (!pcm || !logits)
        return 1;
    for (size_t i = 0; i < n; i++)
        pcm[i] = 0.2f * sinf((float)i * 0.05f) * sinf((float)i * 0.0003f);
    /* ASR_BENCH_THREADS=1 measures one thread count */
    const char *only_t = getenv("ASR_BENCH_THREADS");
    int t_lo = only_t && *only_t ? atoi(only_t) : 1, t_hi = only_t && *only_t ? t_lo : 2;
    if (t_lo < 1 || t_hi > 2)
        t_lo = 1, t_hi = 2;
    for (int threads = t_lo; threads <= t_hi; threads++) {
        thread_pool *pool = NULL;
        whisper_state *st = NULL;
        if (thread_pool_create(threads, &pool, &err) != SL_OK ||
            whisper_state_create(m, pool, 1, &st, &err) != SL_OK) {
            fprintf(stderr, "asr: %s\n", err.msg);
            return 1;
        }
        double t_mel = 1e30, t_enc = 1e30, t_dec = 1e30;
        mel_spectrogram mel = {0};
        for (int rep = 0; rep < 3; rep++) {
            mel_free(&mel);
            double t0 = now_ms();
            if (mel_from_pcm(pcm, n, m->hp.n_mels, m->filters, &mel, pool, &err) != SL_OK)
                return 1;
            double t1 = now_ms();
            if (whisper_encode(st, &mel, 0, &err) != SL_OK)
                return 1;
            double t2 = now_ms();
            /* whisper-bench's definition: the mean over 256 single-token
             * decodes at positions 0..255 of one sequence */
            int steps = 256;
            double t3 = now_ms();
            for (int i = 0; i < steps; i++) {
                int32_t tok = (1000 + 37 * i) % m->hp.n_vocab;
                if (whisper_decode(st, 0, &tok, 1, i, logits, &err) != SL_OK)
                    return 1;
            }
            double t4 = now_ms();
            t_mel = fmin(t_mel, t1 - t0);
            t_enc = fmin(t_enc, t2 - t1);
            t_dec = fmin(t_dec, (t4 - t3) / steps);
        }
        mel_free(&mel);
        char name[128];
        snprintf(name, sizeof name, "asr_%s_%s_t%d", a->preset, a->ftype, threads);
        printf("%s_mel: %.1f ms\n", name, t_mel);
        printf("%s_encoder_30s: %.1f ms\n", name, t_enc);
        printf("%s_decode: %.2f ms/token\n", name, t_dec);
        double gbs = decode_bytes(m) / t_dec / 1e6, bw = read_bandwidth_gbs();
        printf("%s_decode_bytes_per_token: %.1f MB\n", name, decode_bytes(m) / 1e6);
        printf("%s_decode_read_rate: %.1f GB/s\n", name, gbs);
        printf("%s_read_bandwidth_now: %.1f GB/s\n", name, bw);
        printf("%s_decode_share_of_bandwidth: %.0f %%\n", name, bw > 0 ? 100.0 * gbs / bw : 0.0);
        printf("%s_rtf: %.4f x\n", name, (t_mel + t_enc + 100 * t_dec) / 30000.0);
        printf("%s_encoder_speed_vs_whispercpp: %.2f x\n", name, a->enc[threads - 1] / t_enc);
        printf("%s_decode_speed_vs_whispercpp: %.2f x\n", name, a->dec[threads - 1] / t_dec);
        fflush(stdout);
        whisper_state_free(st);
        thread_pool_destroy(pool);
    }
    free(pcm);
    free(logits);
    whisper_model_free(m);
    return 0;
}

int main(void)
{
    const char *shared = getenv("SIGHTLINE_SHARED");
    char gen[4096];
    snprintf(gen, sizeof gen, "%s/tools/gen_tiny_whisper.py", shared ? shared : "../shared");
    if (access(gen, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        printf("asr: skipped: %s or /usr/bin/python3 not found\n", gen);
        return 0;
    }
    char dir[] = "/tmp/sightline-asr-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    int rc = 0;
    for (size_t i = 0; i < sizeof anchors / sizeof anchors[0] && rc == 0; i++) {
        const anchor *a = &anchors[i];
        /* ASR_BENCH_ONLY=tiny.en-f16 measures one model */
        const char *only = getenv("ASR_BENCH_ONLY");
        char tag[64];
        snprintf(tag, sizeof tag, "%s-%s", a->preset, a->ftype);
        if (only && *only && strcmp(only, tag) != 0)
            continue;
        char path[4200], cmd[9000];
        snprintf(path, sizeof path, "%s/%s-%s.bin", dir, a->preset, a->ftype);
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 '%s' --preset %s --ftype %s '%s' 2>/dev/null", gen,
                 a->preset, a->ftype, path);
        if (system(cmd) != 0) {
            printf("asr: skipped: generating %s failed\n", path);
            rc = 0;
            break;
        }
        rc = bench_model(path, a);
        unlink(path);
    }
    rmdir(dir);
    return rc;
}
