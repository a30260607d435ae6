/* Silero VAD and the energy fallback; see vad.h. */
#include "speech/vad.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/fp16.h"

#define VAD_MAGIC 0x67676d6cu
#define VAD_WINDOW 512
#define VAD_PAD 64
#define VAD_NFFT 256
#define VAD_HOP 128
#define VAD_FRAMES 4 /* (512 + 2*64 - 256) / 128 + 1 */
#define VAD_BINS 129
#define VAD_HIDDEN 128
#define VAD_SR 16000

typedef struct conv_layer {
    int in, out, stride;
    float *w; /* [out][in][3] */
    float *b;
} conv_layer;

struct vad_model {
    float *basis; /* [258][256] */
    conv_layer enc[4];
    float *w_ih, *w_hh; /* [512][128] */
    float *b_ih, *b_hh;
    float *final_w; /* [128] */
    float final_b;
    float *store;
};

typedef struct vreader {
    const char *path;
    const unsigned char *p;
    size_t size, off;
} vreader;

static sl_status rd_i32(vreader *r, const char *what, int32_t *v, sl_error *err)
{
    if (r->size - r->off < 4)
        return sl_fail(err, SL_ERR_FORMAT, "%s: truncated at byte %zu reading %s", r->path,
                       r->off, what);
    uint32_t u = (uint32_t)r->p[r->off] | (uint32_t)r->p[r->off + 1] << 8 |
                 (uint32_t)r->p[r->off + 2] << 16 | (uint32_t)r->p[r->off + 3] << 24;
    memcpy(v, &u, 4);
    r->off += 4;
    return SL_OK;
}

#define TRY(x)                                                                           \
    do {                                                                                 \
        sl_status st_ = (x);                                                             \
        if (st_ != SL_OK)                                                                \
            return st_;                                                                  \
    } while (0)

typedef struct vslot {
    const char *name;
    int64_t n;   /* elements */
    float **dst; /* NULL: the final bias scalar */
    int done;
} vslot;

static sl_status expect_i32(vreader *r, const char *what, int32_t want, sl_error *err)
{
    int32_t v = 0;
    size_t at = r->off;
    TRY(rd_i32(r, what, &v, err));
    if (v != want)
        return sl_fail(err, SL_ERR_UNSUPPORTED,
                       "%s: %s is %d at byte %zu; this Silero VAD build expects %d", r->path,
                       what, v, at, want);
    return SL_OK;
}

static sl_status parse_vad(vad_model *m, vreader *r, sl_error *err)
{
    if (r->size >= 4 && memcmp(r->p, "GGUF", 4) == 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: is a GGUF file, not a whisper.cpp VAD model",
                       r->path);
    int32_t magic = 0, len = 0;
    TRY(rd_i32(r, "magic", &magic, err));
    if ((uint32_t)magic != VAD_MAGIC)
        return sl_fail(err, SL_ERR_FORMAT, "%s: bad magic 0x%08x at byte 0 (expected ggml)",
                       r->path, (unsigned)magic);
    TRY(rd_i32(r, "model type length", &len, err));
    if (len < 1 || len > 64 || (size_t)len > r->size - r->off)
        return sl_fail(err, SL_ERR_FORMAT, "%s: model type length %d at byte 4 is invalid",
                       r->path, len);
    char type[65];
    memcpy(type, r->p + r->off, (size_t)len);
    type[len] = 0;
    r->off += (size_t)len;
    if (strncmp(type, "silero", 6) != 0)
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: model type '%s' is not Silero VAD",
                       r->path, type);
    int32_t ver[3];
    for (int i = 0; i < 3; i++)
        TRY(rd_i32(r, "version", &ver[i], err));
    TRY(expect_i32(r, "window size", VAD_WINDOW, err));
    int32_t ctx = 0;
    TRY(rd_i32(r, "context size", &ctx, err));
    TRY(expect_i32(r, "encoder layer count", 4, err));
    static const int chans[4][3] = {{129, 128, 3}, {128, 64, 3}, {64, 64, 3}, {64, 128, 3}};
    for (int i = 0; i < 4; i++) {
        TRY(expect_i32(r, "encoder input channels", chans[i][0], err));
        TRY(expect_i32(r, "encoder output channels", chans[i][1], err));
        TRY(expect_i32(r, "encoder kernel size", chans[i][2], err));
    }
    TRY(expect_i32(r, "lstm input size", 128, err));
    TRY(expect_i32(r, "lstm hidden size", VAD_HIDDEN, err));
    TRY(expect_i32(r, "final conv input", 128, err));
    TRY(expect_i32(r, "final conv output", 1, err));

    static const int strides[4] = {1, 2, 2, 1};
    size_t total = 258 * 256 + 4 * VAD_HIDDEN * VAD_HIDDEN * 2 + 8 * VAD_HIDDEN + VAD_HIDDEN;
    for (int i = 0; i < 4; i++)
        total += (size_t)chans[i][0] * chans[i][1] * 3 + (size_t)chans[i][1];
    m->store = calloc(total, sizeof(float));
    if (!m->store)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", r->path);
    float *p = m->store;
    m->basis = p;
    p += 258 * 256;
    for (int i = 0; i < 4; i++) {
        conv_layer *c = &m->enc[i];
        c->in = chans[i][0];
        c->out = chans[i][1];
        c->stride = strides[i];
        c->w = p;
        p += (size_t)c->in * c->out * 3;
        c->b = p;
        p += c->out;
    }
    m->w_ih = p;
    p += 4 * VAD_HIDDEN * VAD_HIDDEN;
    m->w_hh = p;
    p += 4 * VAD_HIDDEN * VAD_HIDDEN;
    m->b_ih = p;
    p += 4 * VAD_HIDDEN;
    m->b_hh = p;
    p += 4 * VAD_HIDDEN;
    m->final_w = p;

    float *fb = &m->final_b;
    vslot slots[] = {
        {"_model.stft.forward_basis_buffer", 258 * 256, &m->basis, 0},
        {"_model.encoder.0.reparam_conv.weight", 129 * 128 * 3, &m->enc[0].w, 0},
        {"_model.encoder.0.reparam_conv.bias", 128, &m->enc[0].b, 0},
        {"_model.encoder.1.reparam_conv.weight", 128 * 64 * 3, &m->enc[1].w, 0},
        {"_model.encoder.1.reparam_conv.bias", 64, &m->enc[1].b, 0},
        {"_model.encoder.2.reparam_conv.weight", 64 * 64 * 3, &m->enc[2].w, 0},
        {"_model.encoder.2.reparam_conv.bias", 64, &m->enc[2].b, 0},
        {"_model.encoder.3.reparam_conv.weight", 64 * 128 * 3, &m->enc[3].w, 0},
        {"_model.encoder.3.reparam_conv.bias", 128, &m->enc[3].b, 0},
        {"_model.decoder.rnn.weight_ih", 512 * 128, &m->w_ih, 0},
        {"_model.decoder.rnn.weight_hh", 512 * 128, &m->w_hh, 0},
        {"_model.decoder.rnn.bias_ih", 512, &m->b_ih, 0},
        {"_model.decoder.rnn.bias_hh", 512, &m->b_hh, 0},
        {"_model.decoder.decoder.2.weight", 128, &m->final_w, 0},
        {"_model.decoder.decoder.2.bias", 1, &fb, 0},
    };
    size_t n_slots = sizeof slots / sizeof slots[0], n_done = 0;
    while (r->off < r->size) {
        size_t rec = r->off;
        int32_t nd = 0, nl = 0, tt = 0;
        TRY(rd_i32(r, "tensor n_dims", &nd, err));
        TRY(rd_i32(r, "tensor name length", &nl, err));
        TRY(rd_i32(r, "tensor type", &tt, err));
        if (nd < 0 || nd > 4 || nl < 1 || nl > 128)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: tensor record at byte %zu has n_dims %d / name length %d",
                           r->path, rec, nd, nl);
        int64_t n = 1;
        for (int i = 0; i < nd; i++) {
            int32_t d = 0;
            TRY(rd_i32(r, "tensor dimension", &d, err));
            if (d < 1 || d > 1 << 20)
                return sl_fail(err, SL_ERR_FORMAT, "%s: tensor at byte %zu has dimension %d",
                               r->path, rec, d);
            n *= d;
            if (n > (int64_t)1 << 24)
                return sl_fail(err, SL_ERR_FORMAT, "%s: tensor at byte %zu is too large",
                               r->path, rec);
        }
        if ((size_t)nl > r->size - r->off)
            return sl_fail(err, SL_ERR_FORMAT, "%s: tensor name at byte %zu runs past the end",
                           r->path, r->off);
        char name[129];
        memcpy(name, r->p + r->off, (size_t)nl);
        name[nl] = 0;
        r->off += (size_t)nl;
        vslot *s = NULL;
        for (size_t i = 0; i < n_slots; i++)
            if (strcmp(slots[i].name, name) == 0)
                s = &slots[i];
        if (!s)
            return sl_fail(err, SL_ERR_FORMAT, "%s: unknown tensor '%s' at byte %zu", r->path,
                           name, rec);
        if (s->done)
            return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' appears twice", r->path, name);
        if (n != s->n)
            return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' has %lld elements, expected %lld",
                           r->path, name, (long long)n, (long long)s->n);
        if (tt != 0 && tt != 1)
            return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' has type %d (F32 or F16 expected)",
                           r->path, name, tt);
        size_t bytes = (size_t)n * (tt == 0 ? 4 : 2);
        if (bytes > r->size - r->off)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: tensor '%s' data at byte %zu runs past the end of the file",
                           r->path, name, r->off);
        float *dst = *s->dst;
        for (int64_t i = 0; i < n; i++) {
            const unsigned char *q = r->p + r->off + (size_t)i * (tt == 0 ? 4 : 2);
            if (tt == 0) {
                uint32_t u = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                             (uint32_t)q[3] << 24;
                memcpy(&dst[i], &u, 4);
            } else {
                dst[i] = fp16_to_f32((uint16_t)(q[0] | q[1] << 8));
            }
            if (!isfinite(dst[i]))
                return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value",
                               r->path, name);
        }
        r->off += bytes;
        s->done = 1;
        n_done++;
    }
    for (size_t i = 0; i < n_slots; i++)
        if (!slots[i].done)
            return sl_fail(err, SL_ERR_FORMAT, "%s: tensor '%s' is missing (%zu of %zu present)",
                           r->path, slots[i].name, n_done, n_slots);
    return SL_OK;
}

sl_status vad_model_load(const char *path, vad_model **out, sl_error *err)
{
    *out = NULL;
    if (!path)
        return sl_fail(err, SL_ERR_ARG, "vad: no model path");
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            if (cap >= (size_t)64 << 20) {
                fclose(f);
                free(buf);
                return sl_fail(err, SL_ERR_FORMAT, "%s: larger than any Silero VAD model", path);
            }
            cap = cap ? cap * 2 : 1 << 20;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                fclose(f);
                free(buf);
                return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + size, 1, cap - size, f);
        size += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return sl_fail(err, SL_ERR_IO, "%s: read error", path);
    }
    vad_model *m = calloc(1, sizeof *m);
    if (!m) {
        free(buf);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    }
    vreader r = {path, buf, size, 0};
    sl_status s = parse_vad(m, &r, err);
    free(buf);
    if (s != SL_OK) {
        vad_model_free(m);
        return s;
    }
    *out = m;
    return SL_OK;
}

void vad_model_free(vad_model *m)
{
    if (!m)
        return;
    free(m->store);
    free(m);
}

int vad_model_window(const vad_model *m)
{
    (void)m;
    return VAD_WINDOW;
}

/* ---------------------------------------------------------------- inference */

static float f16v(float x)
{
    return fp16_to_f32(f32_to_fp16(x));
}

static float sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* 1-D convolution, kernel 3, padding 1, ReLU; x [in][len] -> y [out][len']
 * with inputs rounded to F16 as ggml's im2col does for F16 kernels. */
static int conv_relu(const conv_layer *c, const float *x, int len, float *y)
{
    int ol = (len + 2 - 3) / c->stride + 1;
    for (int o = 0; o < c->out; o++)
        for (int t = 0; t < ol; t++) {
            float s = 0;
            for (int i = 0; i < c->in; i++)
                for (int k = 0; k < 3; k++) {
                    int src = t * c->stride + k - 1;
                    if (src < 0 || src >= len)
                        continue;
                    s += c->w[((size_t)o * c->in + i) * 3 + k] * f16v(x[(size_t)i * len + src]);
                }
            s += c->b[o];
            y[(size_t)o * ol + t] = s > 0 ? s : 0;
        }
    return ol;
}

static float vad_window(const vad_model *m, const float *win, float *h, float *c)
{
    float padded[VAD_WINDOW + 2 * VAD_PAD];
    for (int i = 0; i < VAD_WINDOW; i++)
        padded[VAD_PAD + i] = f16v(win[i]);
    for (int i = 1; i <= VAD_PAD; i++) {
        padded[VAD_PAD - i] = padded[VAD_PAD + i];
        padded[VAD_PAD + VAD_WINDOW - 1 + i] = padded[VAD_PAD + VAD_WINDOW - 1 - i];
    }
    float mag[VAD_BINS * VAD_FRAMES];
    for (int t = 0; t < VAD_FRAMES; t++) {
        const float *x = padded + t * VAD_HOP;
        for (int b = 0; b < VAD_BINS; b++) {
            const float *re = m->basis + (size_t)b * VAD_NFFT;
            const float *im = m->basis + (size_t)(b + VAD_BINS) * VAD_NFFT;
            float sr = 0, si = 0;
            for (int k = 0; k < VAD_NFFT; k++) {
                sr += re[k] * x[k];
                si += im[k] * x[k];
            }
            mag[b * VAD_FRAMES + t] = sqrtf(sr * sr + si * si);
        }
    }
    float a[128 * VAD_FRAMES], bb[128 * VAD_FRAMES];
    int len = conv_relu(&m->enc[0], mag, VAD_FRAMES, a);
    len = conv_relu(&m->enc[1], a, len, bb);
    len = conv_relu(&m->enc[2], bb, len, a);
    len = conv_relu(&m->enc[3], a, len, bb);
    float x[VAD_HIDDEN];
    for (int i = 0; i < VAD_HIDDEN; i++)
        x[i] = bb[(size_t)i * len]; /* first time step */
    float gates[4 * VAD_HIDDEN];
    for (int g = 0; g < 4 * VAD_HIDDEN; g++) {
        float si = 0, sh = 0;
        for (int k = 0; k < VAD_HIDDEN; k++) {
            si += m->w_ih[(size_t)g * VAD_HIDDEN + k] * x[k];
            sh += m->w_hh[(size_t)g * VAD_HIDDEN + k] * h[k];
        }
        gates[g] = (si + m->b_ih[g]) + (sh + m->b_hh[g]);
    }
    float out = 0;
    for (int k = 0; k < VAD_HIDDEN; k++) {
        float ig = sigmoid(gates[k]);
        float fg = sigmoid(gates[VAD_HIDDEN + k]);
        float gg = tanhf(gates[2 * VAD_HIDDEN + k]);
        float og = sigmoid(gates[3 * VAD_HIDDEN + k]);
        c[k] = fg * c[k] + ig * gg;
        h[k] = og * tanhf(c[k]);
    }
    for (int k = 0; k < VAD_HIDDEN; k++) {
        float r = h[k] > 0 ? h[k] : 0;
        out += m->final_w[k] * f16v(r);
    }
    return sigmoid(out + m->final_b);
}

sl_status vad_speech_probs(const vad_model *m, const float *pcm, size_t n, float **probs,
                           size_t *n_probs, sl_error *err)
{
    *probs = NULL;
    *n_probs = 0;
    if (!m || (!pcm && n))
        return sl_fail(err, SL_ERR_ARG, "vad: no model or no samples");
    size_t nw = (n + VAD_WINDOW - 1) / VAD_WINDOW;
    float *p = malloc((nw ? nw : 1) * sizeof(float));
    if (!p)
        return sl_fail(err, SL_ERR_NOMEM, "vad: out of memory for %zu windows", nw);
    float h[VAD_HIDDEN] = {0}, c[VAD_HIDDEN] = {0}, win[VAD_WINDOW];
    for (size_t w = 0; w < nw; w++) {
        size_t off = w * VAD_WINDOW, k = n - off < VAD_WINDOW ? n - off : VAD_WINDOW;
        memcpy(win, pcm + off, k * sizeof(float));
        for (size_t i = k; i < VAD_WINDOW; i++)
            win[i] = 0;
        p[w] = vad_window(m, win, h, c);
    }
    *probs = p;
    *n_probs = nw;
    return SL_OK;
}

/* ---------------------------------------------------------------- segments */

vad_params vad_default_params(void)
{
    vad_params p = {0.5f, 250, 100, 0.0f, 30};
    return p;
}

typedef struct span {
    int64_t start, end;
} span;

static int64_t samples_to_cs(int64_t s)
{
    return (int64_t)((double)s / VAD_SR * 100.0 + 0.5);
}

sl_status vad_segments(const float *probs, size_t n_probs, int window, const vad_params *pp,
                       vad_segment **segs, size_t *n_segs, sl_error *err)
{
    *segs = NULL;
    *n_segs = 0;
    vad_params def = vad_default_params();
    const vad_params *p = pp ? pp : &def;
    if ((!probs && n_probs) || window < 1 || n_probs > (size_t)INT_MAX / (size_t)window)
        return sl_fail(err, SL_ERR_ARG, "vad: bad segment arguments");
    int64_t min_silence = (int64_t)VAD_SR * p->min_silence_ms / 1000;
    int64_t audio_len = (int64_t)n_probs * window;
    int64_t min_speech = (int64_t)VAD_SR * p->min_speech_ms / 1000;
    int64_t pad = (int64_t)VAD_SR * p->speech_pad_ms / 1000;
    int64_t max_speech = INT64_MAX / 4;
    if (p->max_speech_s > 0 && p->max_speech_s < 100000.0f) {
        max_speech = (int64_t)VAD_SR * (int64_t)p->max_speech_s - window - 2 * pad;
        if (max_speech < 0)
            max_speech = INT64_MAX / 4;
    }
    int64_t min_silence_at_max = (int64_t)VAD_SR * 98 / 1000;
    float neg = p->threshold - 0.15f;
    if (neg < 0.01f)
        neg = 0.01f;
    span *sp = malloc((n_probs + 1) * sizeof *sp);
    if (!sp)
        return sl_fail(err, SL_ERR_NOMEM, "vad: out of memory");
    size_t ns = 0;
    bool in_speech = false, has_cur = false;
    int64_t temp_end = 0, prev_end = 0, next_start = 0, cur_start = 0;
    for (size_t i = 0; i < n_probs; i++) {
        float pr = probs[i];
        int64_t cs = (int64_t)window * (int64_t)i;
        if (pr >= p->threshold && temp_end) {
            temp_end = 0;
            if (next_start < prev_end)
                next_start = cs;
        }
        if (pr >= p->threshold && !in_speech) {
            in_speech = true;
            cur_start = cs;
            has_cur = true;
            continue;
        }
        if (in_speech && cs - cur_start > max_speech) {
            if (prev_end) {
                sp[ns++] = (span){cur_start, prev_end};
                has_cur = true;
                if (next_start < prev_end) {
                    in_speech = false;
                    has_cur = false;
                } else {
                    cur_start = next_start;
                }
                prev_end = next_start = temp_end = 0;
            } else {
                sp[ns++] = (span){cur_start, cs};
                prev_end = next_start = temp_end = 0;
                in_speech = false;
                has_cur = false;
                continue;
            }
        }
        if (pr < neg && in_speech) {
            if (!temp_end)
                temp_end = cs;
            if (cs - temp_end > min_silence_at_max)
                prev_end = temp_end;
            if (cs - temp_end < min_silence)
                continue;
            if (temp_end - cur_start > min_speech)
                sp[ns++] = (span){cur_start, temp_end};
            prev_end = next_start = temp_end = 0;
            in_speech = false;
            has_cur = false;
            continue;
        }
    }
    if (has_cur && audio_len - cur_start > min_speech)
        sp[ns++] = (span){cur_start, audio_len};
    /* merge gaps under 200 ms */
    size_t w = 0;
    for (size_t i = 0; i < ns; i++) {
        if (w > 0 && sp[i].start - sp[w - 1].end < (int64_t)VAD_SR * 200 / 1000)
            sp[w - 1].end = sp[i].end;
        else
            sp[w++] = sp[i];
    }
    ns = w;
    w = 0;
    for (size_t i = 0; i < ns; i++)
        if (sp[i].end - sp[i].start >= min_speech)
            sp[w++] = sp[i];
    ns = w;
    vad_segment *out = ns ? malloc(ns * sizeof *out) : NULL;
    if (ns && !out) {
        free(sp);
        return sl_fail(err, SL_ERR_NOMEM, "vad: out of memory");
    }
    for (size_t i = 0; i < ns; i++) {
        if (i == 0)
            sp[i].start = sp[i].start > pad ? sp[i].start - pad : 0;
        if (i + 1 < ns) {
            int64_t gap = sp[i + 1].start - sp[i].end;
            if (gap < 2 * pad) {
                sp[i].end += gap / 2;
                sp[i + 1].start = sp[i + 1].start > gap / 2 ? sp[i + 1].start - gap / 2 : 0;
            } else {
                sp[i].end = sp[i].end + pad < audio_len ? sp[i].end + pad : audio_len;
                sp[i + 1].start = sp[i + 1].start > pad ? sp[i + 1].start - pad : 0;
            }
        } else {
            sp[i].end = sp[i].end + pad < audio_len ? sp[i].end + pad : audio_len;
        }
        out[i].t0_cs = samples_to_cs(sp[i].start);
        out[i].t1_cs = samples_to_cs(sp[i].end);
    }
    free(sp);
    *segs = out;
    *n_segs = ns;
    return SL_OK;
}

/* ---------------------------------------------------------------- energy */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

sl_status vad_energy_probs(const float *pcm, size_t n, int window, float **probs,
                           size_t *n_probs, sl_error *err)
{
    *probs = NULL;
    *n_probs = 0;
    if ((!pcm && n) || window < 16)
        return sl_fail(err, SL_ERR_ARG, "vad: bad energy detector arguments");
    size_t nw = (n + (size_t)window - 1) / (size_t)window;
    float *db = malloc((nw ? nw : 1) * sizeof(float));
    float *sorted = malloc((nw ? nw : 1) * sizeof(float));
    if (!db || !sorted) {
        free(db);
        free(sorted);
        return sl_fail(err, SL_ERR_NOMEM, "vad: out of memory");
    }
    for (size_t w = 0; w < nw; w++) {
        size_t off = w * (size_t)window, k = n - off < (size_t)window ? n - off : (size_t)window;
        double e = 0;
        for (size_t i = 0; i < k; i++)
            e += (double)pcm[off + i] * pcm[off + i];
        e /= (double)window;
        db[w] = (float)(10.0 * log10(e + 1e-12));
        sorted[w] = db[w];
    }
    float floor_db = -100.0f;
    if (nw) {
        qsort(sorted, nw, sizeof(float), cmp_float);
        floor_db = sorted[nw / 10];
    }
    for (size_t w = 0; w < nw; w++) {
        if (db[w] < -60.0f) {
            db[w] = 0.0f;
            continue;
        }
        float rel = db[w] - (floor_db + 10.0f);
        db[w] = 1.0f / (1.0f + expf(-rel / 2.0f));
    }
    free(sorted);
    *probs = db;
    *n_probs = nw;
    return SL_OK;
}
