/* Whisper encoder and decoder; see whisper.h. */
#include "speech/whisper.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "llm/attn_f16.h"
#include "llm/fp16.h"
#include "llm/matmul.h"
#include "llm/quant.h"

#define KEY_PAD 256
#define LN_EPS 1e-5f

struct whisper_state {
    const whisper_model *m;
    thread_pool *pool;
    matmul_ctx *mm;
    int n_seq;
    bool key_padding;
    bool encoder_bf16;
    int kv_chunks;
    float *attn_scratch;
    size_t attn_scratch_n;

    int n_ctx, S, n_text_ctx;
    /* encoder */
    float *enc_out;  /* [n_ctx][S] */
    float *e_x, *e_cur, *e_q, *e_k, *e_v, *e_att, *e_hid;
    float *im2col;   /* [2*n_ctx][3*max(n_mels, S)] */
    float *conv1;    /* [2*n_ctx][S] */
    float *scores;   /* [n_ctx][n_ctx + pad] */
    bool encoded;
    /* cross keys/values in F16, [layer][head][n_ctx][d]: one stream per head */
    uint16_t *cross_k, *cross_v;
    /* self caches in F16: [seq][layer][n_text_ctx][S] */
    uint16_t *kv_k, *kv_v;
    /* decoder scratch for up to n_text_ctx tokens */
    float *d_x, *d_cur, *d_q, *d_k, *d_v, *d_att, *d_hid, *d_scores, *d_row;
};

/* ---------------------------------------------------------------- helpers */

static float *alloc_f(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes);
    return p;
}

static uint16_t *alloc_h(size_t n)
{
    size_t bytes = (n * sizeof(uint16_t) + 63) / 64 * 64;
    uint16_t *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes);
    return p;
}

static void round_f16(float *x, size_t n)
{
    uint16_t tmp[1024];
    for (size_t i = 0; i < n; i += 1024) {
        int64_t k = n - i < 1024 ? (int64_t)(n - i) : 1024;
        f32_to_fp16_row(x + i, tmp, k);
        fp16_to_f32_row(tmp, x + i, k);
    }
}

typedef struct rows_job {
    int kind; /* 0 layer norm, 1 gelu, 2 softmax rows */
    float *x;
    float *y;
    int64_t rows, cols;
    int64_t ldx, ldy;
    const float *w, *b;
    const float *gelu;
    /* softmax */
    float scale;
    int n_zero_keys;
    int causal_base; /* row r sees keys <= causal_base + r; <0: no mask */
} rows_job;

static void layer_norm_row(const float *x, float *y, int64_t n, const float *w, const float *b)
{
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += x[i];
    float mean = (float)(sum / (double)n);
    double sum2 = 0;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] - mean;
        y[i] = v;
        sum2 += (double)(v * v);
    }
    float var = (float)(sum2 / (double)n);
    float scale = 1.0f / sqrtf(var + LN_EPS);
    for (int64_t i = 0; i < n; i++)
        y[i] = y[i] * scale * w[i] + b[i];
}

static void gelu_row(const float *x, float *y, int64_t n, const float *t)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        if (v <= -10.0f)
            y[i] = 0.0f;
        else if (v >= 10.0f)
            y[i] = v;
        else
            y[i] = t[f32_to_fp16(v)];
    }
}

/* exp(x) for x <= 0 within a few ulp (Cody-Waite reduction and a degree-6
 * polynomial): written branch-free so the compiler vectorises the softmax,
 * where libm's expf was a fifth of the encoder's time. */
static inline float exp_neg(float x)
{
    /* x = -min(|x|, 87) on the bit pattern: integer selects vectorise where
     * a float compare (which may trap) does not */
    int32_t xb;
    memcpy(&xb, &x, sizeof xb);
    xb &= 0x7fffffff;
    xb = xb < 0x42ae0000 ? xb : 0x42ae0000; /* 87.0f */
    xb |= (int32_t)0x80000000u;
    memcpy(&x, &xb, sizeof x);
    /* round to nearest by the 1.5 * 2^23 trick (vectorises without SSE4.1) */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187045e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* Softmax of scaled scores with n_zero extra keys whose score is 0 (and
 * whose value is 0): they only add to the denominator. Causal rows mask
 * keys after their position. */
static void softmax_row(float *s, int64_t n, float scale, int n_zero, int64_t n_visible)
{
    float mx = n_zero > 0 ? 0.0f : -INFINITY;
    for (int64_t i = 0; i < n_visible; i++) {
        s[i] *= scale;
        if (s[i] > mx)
            mx = s[i];
    }
    for (int64_t i = 0; i < n_visible; i++)
        s[i] = exp_neg(s[i] - mx);
    float part[8] = {0};
    int64_t i8 = n_visible / 8 * 8;
    for (int64_t i = 0; i < i8; i += 8)
        for (int k = 0; k < 8; k++)
            part[k] += s[i + k];
    float sum = 0;
    for (int64_t i = i8; i < n_visible; i++)
        sum += s[i];
    for (int k = 0; k < 8; k++)
        sum += part[k];
    if (n_zero > 0)
        sum += (float)n_zero * expf(-mx);
    float inv = sum > 0 ? 1.0f / sum : 0.0f;
    for (int64_t i = 0; i < n_visible; i++)
        s[i] *= inv;
    for (int64_t i = n_visible; i < n; i++)
        s[i] = 0;
}

static void rows_worker(void *ctx, int ith, int nth)
{
    rows_job *j = ctx;
    int64_t r0, r1;
    thread_pool_split(j->rows, 1, ith, nth, &r0, &r1);
    for (int64_t r = r0; r < r1; r++) {
        float *x = j->x + r * j->ldx;
        float *y = j->y + r * j->ldy;
        switch (j->kind) {
        case 0:
            layer_norm_row(x, y, j->cols, j->w, j->b);
            break;
        case 1:
            gelu_row(x, y, j->cols, j->gelu);
            break;
        default: {
            int64_t vis = j->causal_base < 0 ? j->cols : j->causal_base + r + 1;
            if (vis > j->cols)
                vis = j->cols;
            softmax_row(x, j->cols, j->scale, j->n_zero_keys, vis);
        }
        }
    }
}

static void run_rows(thread_pool *pool, rows_job *j)
{
    if (j->rows >= 16)
        thread_pool_run(pool, rows_worker, j);
    else
        rows_worker(j, 0, 1);
}

static void layer_norm(thread_pool *pool, float *x, float *y, int64_t rows, int64_t cols,
                       const float *w, const float *b)
{
    rows_job j = {.kind = 0, .x = x, .y = y, .rows = rows, .cols = cols, .ldx = cols,
                  .ldy = cols, .w = w, .b = b};
    run_rows(pool, &j);
}

static void gelu(thread_pool *pool, const whisper_model *m, float *x, int64_t rows, int64_t cols)
{
    rows_job j = {.kind = 1, .x = x, .y = x, .rows = rows, .cols = cols, .ldx = cols,
                  .ldy = cols, .gelu = m->gelu_table};
    run_rows(pool, &j);
}

static void add_bias(float *x, int64_t rows, int64_t cols, const float *b)
{
    if (!b)
        return;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            x[r * cols + c] += b[c];
}

static void add_into(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] += y[i];
}

/* Multi-head attention: out[i][h*d..] = softmax(q_i . k_j * scale) v_j.
 * q rows n_q (stride S), k/v rows n_kv (stride S). scores holds n_q rows of
 * n_kv floats. causal_base < 0: every key visible. */
static sl_status attention(whisper_state *st, int n_q, int n_kv, int n_head, const float *q,
                           const float *k, const float *v, float scale, int n_zero,
                           int causal_base, float *scores, float *out, sl_error *err)
{
    int S = st->S;
    int d = S / n_head;
    for (int h = 0; h < n_head; h++) {
        sl_status s = gemm_f32(st->pool, GEMM_B_NK, n_q, n_kv, d, q + h * d, S, k + h * d, S,
                               scores, n_kv, err);
        if (s != SL_OK)
            return s;
        rows_job j = {.kind = 2, .x = scores, .y = scores, .rows = n_q, .cols = n_kv,
                      .ldx = n_kv, .ldy = n_kv, .scale = scale, .n_zero_keys = n_zero,
                      .causal_base = causal_base};
        run_rows(st->pool, &j);
        s = gemm_f32(st->pool, GEMM_B_KN, n_q, d, n_kv, scores, n_kv, v + h * d, S,
                     out + h * d, S, err);
        if (s != SL_OK)
            return s;
    }
    return SL_OK;
}

/* Attention for the decoder's few queries the way whisper.cpp's CPU flash
 * attention computes it with F16 keys and values (llm/attn_f16.h): keys
 * visited in order with an online softmax, and the weighted sum of values
 * kept in F16, rounded after every key. That rounding moves logits by a few
 * hundredths, more than the tolerance, so it is reproduced. */
typedef struct f16_attn_job {
    int n_q, n_kv, n_head, d, S;
    const float *q;          /* rows of S floats (F16 values), head h at h*d */
    const uint16_t *k, *v;   /* rows of S (head h at h*d); or, head_major,
                                [head][n_kv][d] (cross attention) */
    bool head_major;
    float scale;
    int n_zero;      /* zero keys after the n_kv real ones */
    int n_keys;      /* key slots whisper.cpp visits: real, masked and zero */
    int n_chunks;    /* key chunks combined in F32 (whisper.cpp's split-KV path) */
    int causal_base;
    float *out;
    float *scratch; /* one chunk of scores per thread */
} f16_attn_job;

/* Floats of scratch one thread needs: per head a chunk of scores, the
 * chunk's sum and the combined sum, and M/S pairs. */
static size_t f16_attn_thread_floats(int n_head, int S, int chunk)
{
    return (size_t)n_head * (size_t)chunk + 2 * (size_t)S + 4 * (size_t)n_head + 16;
}

static void f16_attn_worker(void *ctx, int ith, int nth)
{
    f16_attn_job *j = ctx;
    int64_t b, e;
    thread_pool_split((int64_t)j->n_q * j->n_head, 1, ith, nth, &b, &e);
    const int d = j->d, H = j->n_head;
    int chunk = (j->n_keys + j->n_chunks - 1) / j->n_chunks;
    float *sc = j->scratch + (size_t)ith * f16_attn_thread_floats(H, j->S, chunk);
    float *acc = sc + (size_t)H * chunk, *fin = acc + j->S;
    float *M = fin + j->S, *Ssum = M + H, *Mf = Ssum + H, *Sf = Mf + H;
    size_t ks = j->head_major ? (size_t)d : (size_t)j->S;
    size_t head_stride = j->head_major ? (size_t)j->n_kv * d : (size_t)d;
    /* the heads of one query go through the kernels together */
    for (int64_t it = b; it < e;) {
        int qi = (int)(it / H), h0 = (int)(it % H);
        int h1 = (int)((int64_t)(qi + 1) * H < e ? H : e - (int64_t)qi * H);
        int g = h1 - h0;
        it += g;
        const float *q = j->q + (size_t)qi * j->S;
        const uint16_t *kb = j->k + (size_t)h0 * head_stride;
        const uint16_t *vb = j->v + (size_t)h0 * head_stride;
        int vis = j->causal_base < 0 ? j->n_kv : j->causal_base + qi + 1;
        if (vis > j->n_kv)
            vis = j->n_kv;
        for (int x = 0; x < g; x++) {
            Mf[x] = -INFINITY;
            Sf[x] = 0;
        }
        memset(fin, 0, (size_t)g * d * sizeof(float));
        for (int c0 = 0; c0 < j->n_keys; c0 += chunk) {
            int c1 = c0 + chunk < j->n_keys ? c0 + chunk : j->n_keys;
            /* in a chunk the visible keys come first, then the zero keys;
             * masked ones are skipped as whisper.cpp skips them */
            int r1 = c1 < vis ? c1 : vis;
            int n_real = r1 > c0 ? r1 - c0 : 0;
            int z0 = c0 > j->n_kv ? c0 : j->n_kv;
            int z1 = c1 < j->n_kv + j->n_zero ? c1 : j->n_kv + j->n_zero;
            int n_zero = z1 > z0 ? z1 - z0 : 0;
            for (int x = 0; x < g; x++) {
                M[x] = -INFINITY;
                Ssum[x] = 0;
                attn_f16_scores(q + (size_t)(h0 + x) * d, kb + (size_t)x * head_stride +
                                (size_t)c0 * ks, ks, n_real, d, j->scale, sc + (size_t)x * chunk);
            }
            memset(acc, 0, (size_t)g * d * sizeof(float));
            attn_f16_accumulate(g, sc, (size_t)chunk, n_real, n_zero, vb + (size_t)c0 * ks, ks,
                                head_stride, d, acc, (size_t)d, M, Ssum);
            for (int x = 0; x < g; x++) {
                if (Ssum[x] == 0.0f)
                    continue;
                float Mn = fmaxf(Mf[x], M[x]);
                float so = expf(Mf[x] - Mn), sn = expf(M[x] - Mn);
                float *fx = fin + (size_t)x * d, *ax = acc + (size_t)x * d;
                for (int c = 0; c < d; c++)
                    fx[c] = fx[c] * so + ax[c] * sn;
                Sf[x] = Sf[x] * so + Ssum[x] * sn;
                Mf[x] = Mn;
            }
        }
        for (int x = 0; x < g; x++) {
            float inv = Sf[x] == 0.0f ? 0.0f : 1.0f / Sf[x];
            float *o = j->out + (size_t)qi * j->S + (size_t)(h0 + x) * d;
            for (int c = 0; c < d; c++)
                o[c] = fin[(size_t)x * d + c] * inv;
        }
    }
}

/* n_keys: the key slots whisper.cpp's kernel walks (>= n_kv + n_zero). */
static sl_status attention_f16acc(whisper_state *st, int n_q, int n_kv, int n_keys, int n_head,
                                  const float *q, const uint16_t *k, const uint16_t *v,
                                  bool head_major, float scale,
                                  int n_zero, int causal_base, float *out, sl_error *err)
{
    f16_attn_job j = {n_q, n_kv, n_head, st->S / n_head, st->S, q, k, v, head_major, scale,
                      n_zero, n_keys, 1, causal_base, out, NULL};
    /* whisper.cpp splits a single query's keys over its threads from 512 on */
    if (n_q == 1 && n_keys >= 512 && st->kv_chunks > 1)
        j.n_chunks = st->kv_chunks;
    int nth = thread_pool_threads(st->pool);
    size_t need = (size_t)nth * f16_attn_thread_floats(n_head, st->S,
                                                       (n_keys + j.n_chunks - 1) / j.n_chunks);
    if (need > st->attn_scratch_n) {
        free(st->attn_scratch);
        st->attn_scratch = alloc_f(need);
        st->attn_scratch_n = st->attn_scratch ? need : 0;
        if (!st->attn_scratch)
            return sl_fail(err, SL_ERR_NOMEM, "whisper: out of memory for attention scores");
    }
    j.scratch = st->attn_scratch;
    if (n_q * n_head > 1)
        /* shares never wait on each other: when another process keeps
         * a worker off its core, the caller runs that share itself */
        thread_pool_run_independent(st->pool, f16_attn_worker, &j);
    else
        f16_attn_worker(&j, 0, 1);
    return SL_OK;
}

static int pad_keys(const whisper_state *st, int n)
{
    if (!st->key_padding)
        return 0;
    return (n + KEY_PAD - 1) / KEY_PAD * KEY_PAD - n;
}

/* ---------------------------------------------------------------- state */

void whisper_state_free(whisper_state *st)
{
    if (!st)
        return;
    matmul_ctx_destroy(st->mm);
    free(st->attn_scratch);
    free(st->cross_k);
    free(st->cross_v);
    free(st->kv_k);
    free(st->kv_v);
    float *bufs[] = {st->enc_out, st->e_x, st->e_cur, st->e_q, st->e_k, st->e_v, st->e_att,
                     st->e_hid, st->im2col, st->conv1, st->scores, st->d_x, st->d_cur, st->d_q, st->d_k, st->d_v,
                     st->d_att, st->d_hid, st->d_scores, st->d_row};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(st);
}

sl_status whisper_state_create(const whisper_model *m, thread_pool *pool, int n_seq,
                               whisper_state **out, sl_error *err)
{
    *out = NULL;
    if (!m || n_seq < 1 || n_seq > 16)
        return sl_fail(err, SL_ERR_ARG, "whisper: bad state arguments (n_seq %d)", n_seq);
    if (!m->has_weights)
        return sl_fail(err, SL_ERR_MODEL, "%s: the file holds a vocabulary but no weights",
                       m->path);
    whisper_state *st = calloc(1, sizeof *st);
    if (!st)
        return sl_fail(err, SL_ERR_NOMEM, "whisper: out of memory");
    st->m = m;
    st->pool = pool;
    st->n_seq = n_seq;
    st->key_padding = true;
    st->kv_chunks = 1;
    st->encoder_bf16 = false;
    const whisper_hparams *hp = &m->hp;
    size_t n_ctx = (size_t)hp->n_audio_ctx, S = (size_t)hp->n_audio_state;
    size_t T = (size_t)hp->n_text_ctx, L = (size_t)hp->n_text_layer;
    st->n_ctx = (int)n_ctx;
    st->S = (int)S;
    st->n_text_ctx = (int)T;
    size_t cmax = (size_t)(hp->n_mels > hp->n_audio_state ? hp->n_mels : hp->n_audio_state);
    size_t kv_max = n_ctx > T ? n_ctx : T;
    sl_status s = matmul_ctx_create(pool, &st->mm, err);
    if (s != SL_OK) {
        free(st);
        return s;
    }
    st->enc_out = alloc_f(n_ctx * S);
    st->e_x = alloc_f(n_ctx * S);
    st->e_cur = alloc_f(n_ctx * S);
    st->e_q = alloc_f(n_ctx * S);
    st->e_k = alloc_f(n_ctx * S);
    st->e_v = alloc_f(n_ctx * S);
    st->e_att = alloc_f(n_ctx * S);
    st->e_hid = alloc_f(n_ctx * 4 * S);
    st->im2col = alloc_f(2 * n_ctx * 3 * cmax);
    st->conv1 = alloc_f(2 * n_ctx * S);
    st->scores = alloc_f(n_ctx * n_ctx);
    st->cross_k = alloc_h(L * n_ctx * S);
    st->cross_v = alloc_h(L * n_ctx * S);
    st->kv_k = alloc_h((size_t)n_seq * L * T * S);
    st->kv_v = alloc_h((size_t)n_seq * L * T * S);
    st->d_x = alloc_f(T * S);
    st->d_cur = alloc_f(T * S);
    st->d_q = alloc_f(T * S);
    st->d_k = alloc_f(T * S);
    st->d_v = alloc_f(T * S);
    st->d_att = alloc_f(T * S);
    st->d_hid = alloc_f(T * 4 * S);
    st->d_scores = alloc_f(T * kv_max);
    st->d_row = alloc_f(S);
    if (!st->enc_out || !st->e_x || !st->e_cur || !st->e_q || !st->e_k || !st->e_v ||
        !st->e_att || !st->e_hid || !st->im2col || !st->conv1 || !st->scores || !st->cross_k ||
        !st->cross_v || !st->kv_k || !st->kv_v || !st->d_x || !st->d_cur || !st->d_q ||
        !st->d_k || !st->d_v || !st->d_att || !st->d_hid || !st->d_scores || !st->d_row) {
        whisper_state_free(st);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for the inference state", m->path);
    }
    *out = st;
    return SL_OK;
}

void whisper_state_set_key_padding(whisper_state *st, bool on)
{
    st->key_padding = on;
}

void whisper_state_set_fast_encoder(whisper_state *st, bool on)
{
    st->encoder_bf16 = on;
}

void whisper_state_set_kv_chunks(whisper_state *st, int n)
{
    st->kv_chunks = n < 1 ? 1 : n > 64 ? 64 : n;
}

int whisper_state_n_seq(const whisper_state *st)
{
    return st->n_seq;
}

const whisper_model *whisper_state_model(const whisper_state *st)
{
    return st->m;
}

const float *whisper_encoder_output(const whisper_state *st)
{
    return st->encoded ? st->enc_out : NULL;
}

/* ---------------------------------------------------------------- encoder */

static sl_status mm(whisper_state *st, const qmatrix *w, const float *x, int64_t batch,
                    float *y, const float *bias, sl_error *err)
{
    sl_status s = matmul(st->mm, w, x, w->cols, batch, y, w->rows, err);
    if (s == SL_OK)
        add_bias(y, batch, w->rows, bias);
    return s;
}

/* One pre-norm encoder block on st->e_x (in place). */
static sl_status encoder_block(whisper_state *st, const whisper_layer_weights *w, sl_error *err)
{
    const whisper_model *m = st->m;
    int n = st->n_ctx, S = st->S, H = m->hp.n_audio_head;
    size_t nS = (size_t)n * (size_t)S;
    layer_norm(st->pool, st->e_x, st->e_cur, n, S, w->attn.ln_w, w->attn.ln_b);
    qmatrix ws[3] = {w->attn.q, w->attn.k, w->attn.v};
    float *ys[3] = {st->e_q, st->e_k, st->e_v};
    int64_t ld[3] = {S, S, S};
    sl_status s = matmul_many(st->mm, 3, ws, st->e_cur, S, n, ys, ld, err);
    if (s != SL_OK)
        return s;
    add_bias(st->e_q, n, S, w->attn.q_b);
    add_bias(st->e_v, n, S, w->attn.v_b);
    round_f16(st->e_q, nS);
    round_f16(st->e_k, nS);
    round_f16(st->e_v, nS);
    float scale = 1.0f / sqrtf((float)(S / H));
    s = attention(st, n, n, H, st->e_q, st->e_k, st->e_v, scale, pad_keys(st, n), -1,
                  st->scores, st->e_att, err);
    if (s != SL_OK)
        return s;
    s = mm(st, &w->attn.out, st->e_att, n, st->e_cur, w->attn.out_b, err);
    if (s != SL_OK)
        return s;
    add_into(st->e_x, st->e_cur, nS);
    layer_norm(st->pool, st->e_x, st->e_cur, n, S, w->mlp_ln_w, w->mlp_ln_b);
    s = mm(st, &w->mlp0, st->e_cur, n, st->e_hid, w->mlp0_b, err);
    if (s != SL_OK)
        return s;
    gelu(st->pool, m, st->e_hid, n, 4 * (int64_t)S);
    s = mm(st, &w->mlp1, st->e_hid, n, st->e_cur, w->mlp1_b, err);
    if (s != SL_OK)
        return s;
    add_into(st->e_x, st->e_cur, nS);
    return SL_OK;
}

sl_status whisper_encode(whisper_state *st, const mel_spectrogram *mel, int offset, sl_error *err)
{
    const whisper_model *m = st->m;
    const whisper_hparams *hp = &m->hp;
    if (!mel || !mel->data || mel->n_mel != hp->n_mels || offset < 0)
        return sl_fail(err, SL_ERR_ARG, "%s: mel spectrogram with %d bins for a %d-bin model",
                       m->path, mel ? mel->n_mel : 0, hp->n_mels);
    st->encoded = false;
    matmul_ctx_set_precision(st->mm, st->encoder_bf16 ? MATMUL_PRECISION_BF16
                                                      : MATMUL_PRECISION_GGML);
    int n = st->n_ctx, S = st->S, C = hp->n_mels;
    int n_in = 2 * n;
    size_t nS = (size_t)n * (size_t)S;
    /* conv1: stride 1, padding 1, over 2n frames */
    float *col = st->im2col;
    for (int t = 0; t < n_in; t++) {
        float *row = col + (size_t)t * 3 * C;
        for (int c = 0; c < C; c++)
            for (int k = 0; k < 3; k++) {
                int64_t f = (int64_t)t + k - 1;
                int64_t src = (int64_t)offset + f;
                float v = 0;
                if (f >= 0 && f < n_in && src < mel->n_len)
                    v = mel->data[(size_t)c * mel->n_len + (size_t)src];
                row[c * 3 + k] = v;
            }
    }
    sl_status s = mm(st, &m->e_conv1, col, n_in, st->conv1, m->e_conv1_b, err);
    if (s != SL_OK)
        return s;
    gelu(st->pool, m, st->conv1, n_in, S);
    /* conv2: stride 2 */
    for (int t = 0; t < n; t++) {
        float *row = col + (size_t)t * 3 * S;
        for (int c = 0; c < S; c++)
            for (int k = 0; k < 3; k++) {
                int f = 2 * t + k - 1;
                row[c * 3 + k] = f >= 0 && f < n_in ? st->conv1[(size_t)f * S + c] : 0.0f;
            }
    }
    s = mm(st, &m->e_conv2, col, n, st->e_x, m->e_conv2_b, err);
    if (s != SL_OK)
        return s;
    gelu(st->pool, m, st->e_x, n, S);
    add_into(st->e_x, m->e_pe, nS);
    for (int l = 0; l < hp->n_audio_layer; l++) {
        s = encoder_block(st, &m->enc[l], err);
        if (s != SL_OK)
            return s;
    }
    layer_norm(st->pool, st->e_x, st->enc_out, n, S, m->e_ln_w, m->e_ln_b);
    matmul_ctx_set_precision(st->mm, MATMUL_PRECISION_GGML);

    /* cross keys (scaled by d^-1/4, as whisper.cpp stores them) and values */
    float kscale = powf((float)(S / hp->n_text_head), -0.25f);
    for (int l = 0; l < hp->n_text_layer; l++) {
        const whisper_attn_weights *a = &m->dec[l].cross;
        float *ck = st->e_q, *cv = st->e_k;
        qmatrix ws[2] = {a->k, a->v};
        float *ys[2] = {ck, cv};
        int64_t ld[2] = {S, S};
        s = matmul_many(st->mm, 2, ws, st->enc_out, S, n, ys, ld, err);
        if (s != SL_OK)
            return s;
        for (size_t i = 0; i < nS; i++)
            ck[i] *= kscale;
        add_bias(cv, n, S, a->v_b);
        int H = hp->n_text_head, d = S / H;
        uint16_t *kh = st->cross_k + (size_t)l * nS, *vh = st->cross_v + (size_t)l * nS;
        for (int h = 0; h < H; h++)
            for (int t = 0; t < n; t++) {
                size_t dst = ((size_t)h * n + t) * d, src = (size_t)t * S + (size_t)h * d;
                f32_to_fp16_row(ck + src, kh + dst, d);
                f32_to_fp16_row(cv + src, vh + dst, d);
            }
    }
    st->encoded = true;
    return SL_OK;
}

/* ---------------------------------------------------------------- decoder */

static uint16_t *kv_at(const whisper_state *st, uint16_t *base, int seq, int layer)
{
    size_t T = (size_t)st->n_text_ctx, S = (size_t)st->S;
    return base + (((size_t)seq * (size_t)st->m->hp.n_text_layer + (size_t)layer) * T) * S;
}

sl_status whisper_seq_copy(whisper_state *st, int src, int dst, int n_pos, sl_error *err)
{
    if (src < 0 || src >= st->n_seq || dst < 0 || dst >= st->n_seq || n_pos < 0 ||
        n_pos > st->n_text_ctx)
        return sl_fail(err, SL_ERR_ARG, "whisper: bad sequence copy %d -> %d (%d positions)",
                       src, dst, n_pos);
    if (src == dst)
        return SL_OK;
    size_t bytes = (size_t)n_pos * (size_t)st->S * sizeof(uint16_t);
    for (int l = 0; l < st->m->hp.n_text_layer; l++) {
        memcpy(kv_at(st, st->kv_k, dst, l), kv_at(st, st->kv_k, src, l), bytes);
        memcpy(kv_at(st, st->kv_v, dst, l), kv_at(st, st->kv_v, src, l), bytes);
    }
    return SL_OK;
}

sl_status whisper_decode(whisper_state *st, int seq, const int32_t *tokens, int n_tokens,
                         int n_past, float *logits, sl_error *err)
{
    const whisper_model *m = st->m;
    const whisper_hparams *hp = &m->hp;
    if (!st->encoded)
        return sl_fail(err, SL_ERR_ARG, "whisper: decode before encode");
    if (seq < 0 || seq >= st->n_seq || n_tokens < 1 || n_past < 0 ||
        n_past + n_tokens > st->n_text_ctx || !tokens)
        return sl_fail(err, SL_ERR_ARG,
                       "whisper: decode of %d tokens at position %d does not fit the text "
                       "context (%d) or sequence %d",
                       n_tokens, n_past, st->n_text_ctx, seq);
    for (int i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= hp->n_vocab)
            return sl_fail(err, SL_ERR_ARG, "whisper: token id %d is outside the vocabulary",
                           tokens[i]);
    int n = n_tokens, S = st->S, H = hp->n_text_head, A = st->n_ctx;
    size_t nS = (size_t)n * (size_t)S;
    sl_status s;
    /* token + position embeddings */
    for (int i = 0; i < n; i++) {
        const uint8_t *row = (const uint8_t *)m->d_te.data + (size_t)tokens[i] * m->d_te.row_stride;
        float *x = st->d_x + (size_t)i * S;
        s = dequantize_row(m->d_te.type, row, x, S, err);
        if (s != SL_OK)
            return s;
        const float *pe = m->d_pe + (size_t)(n_past + i) * S;
        for (int c = 0; c < S; c++)
            x[c] += pe[c];
    }
    float kqscale = powf((float)(S / H), -0.25f);
    for (int l = 0; l < hp->n_text_layer; l++) {
        const whisper_layer_weights *w = &m->dec[l];
        uint16_t *ck = kv_at(st, st->kv_k, seq, l), *cv = kv_at(st, st->kv_v, seq, l);
        /* self attention */
        layer_norm(st->pool, st->d_x, st->d_cur, n, S, w->attn.ln_w, w->attn.ln_b);
        qmatrix ws[3] = {w->attn.q, w->attn.k, w->attn.v};
        float *kn = st->d_k, *vn = st->d_v;
        float *ys[3] = {st->d_q, kn, vn};
        int64_t ld[3] = {S, S, S};
        s = matmul_many(st->mm, 3, ws, st->d_cur, S, n, ys, ld, err);
        if (s != SL_OK)
            return s;
        add_bias(st->d_q, n, S, w->attn.q_b);
        add_bias(vn, n, S, w->attn.v_b);
        for (size_t i = 0; i < nS; i++) {
            st->d_q[i] *= kqscale;
            kn[i] *= kqscale;
        }
        round_f16(st->d_q, nS);
        f32_to_fp16_row(kn, ck + (size_t)n_past * S, (int64_t)nS);
        f32_to_fp16_row(vn, cv + (size_t)n_past * S, (int64_t)nS);
        int n_self = (n_past + n + KEY_PAD - 1) / KEY_PAD * KEY_PAD;
        int self_cap = (st->n_text_ctx + KEY_PAD - 1) / KEY_PAD * KEY_PAD;
        if (!st->key_padding)
            n_self = n_past + n;
        s = attention_f16acc(st, n, n_past + n, n_self < self_cap ? n_self : self_cap, H,
                             st->d_q, ck, cv, false, 1.0f, 0, n_past, st->d_att, err);
        if (s != SL_OK)
            return s;
        s = mm(st, &w->attn.out, st->d_att, n, st->d_cur, w->attn.out_b, err);
        if (s != SL_OK)
            return s;
        add_into(st->d_x, st->d_cur, nS);
        /* cross attention */
        layer_norm(st->pool, st->d_x, st->d_cur, n, S, w->cross.ln_w, w->cross.ln_b);
        s = mm(st, &w->cross.q, st->d_cur, n, st->d_q, w->cross.q_b, err);
        if (s != SL_OK)
            return s;
        round_f16(st->d_q, nS);
        size_t AS = (size_t)A * (size_t)S;
        s = attention_f16acc(st, n, A, A + pad_keys(st, A), H, st->d_q,
                             st->cross_k + (size_t)l * AS, st->cross_v + (size_t)l * AS, true, kqscale,
                             pad_keys(st, A), -1, st->d_att, err);
        if (s != SL_OK)
            return s;
        s = mm(st, &w->cross.out, st->d_att, n, st->d_cur, w->cross.out_b, err);
        if (s != SL_OK)
            return s;
        add_into(st->d_x, st->d_cur, nS);
        /* MLP */
        layer_norm(st->pool, st->d_x, st->d_cur, n, S, w->mlp_ln_w, w->mlp_ln_b);
        s = mm(st, &w->mlp0, st->d_cur, n, st->d_hid, w->mlp0_b, err);
        if (s != SL_OK)
            return s;
        gelu(st->pool, m, st->d_hid, n, 4 * (int64_t)S);
        s = mm(st, &w->mlp1, st->d_hid, n, st->d_cur, w->mlp1_b, err);
        if (s != SL_OK)
            return s;
        add_into(st->d_x, st->d_cur, nS);
    }
    if (!logits)
        return SL_OK;
    layer_norm(NULL, st->d_x + (size_t)(n - 1) * S, st->d_row, 1, S, m->d_ln_w, m->d_ln_b);
    return matmul(st->mm, &m->d_te, st->d_row, S, 1, logits, hp->n_vocab, err);
}
