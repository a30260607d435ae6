/* The ViT forward pass for one tile (SigLIP as llama.cpp's build_vit runs
 * it, tools/mtmd/clip.cpp at d8a24cc): patch embedding (the convolution as
 * one product over all patches), learned position embedding, pre-norm
 * blocks (LayerNorm, multi-head attention, LayerNorm, GELU MLP), the final
 * LayerNorm, then the projector's connector.
 *
 * Products go through llm/matmul.h on the encoder's thread pool; the row
 * operations in between (norms, bias, activation, softmax) are split over
 * the same pool by rows, attention by heads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "llm/cpu_features.h"
#include "llm/fp16.h"
#include "vision/clip_internal.h"
#include "vision/clip_simd_internal.h"

/* The row operations, plain C or AVX-512 (chosen once per encoder). */
typedef struct row_kernels {
    void (*softmax)(float *s, int64_t rows, int64_t n, float scale);
    void (*norm)(const float *x, float *y, int64_t n, float eps, const float *w, const float *b);
    void (*act)(float *d, const float *b, int64_t n, const uint16_t *table, bool clamp);
} row_kernels;

struct clip_encoder {
    const clip_model *m;
    row_kernels rk;
    thread_pool *pool;
    matmul_ctx *mm;
    int nth;
    float *patches; /* n x 3*P*P */
    float *x;       /* the residual stream, n x e */
    float *h;       /* n x e */
    float *q, *k, *v, *attn; /* n x e */
    float *ff;      /* n x f */
    float *scores;  /* nth x n x n */
    uint16_t *kv_half;    /* nth x (K_h, V_h^T) in F16 or BF16 */
    matmul_ctx **head_mm; /* nth contexts without a pool, for attention */
    matmul_precision precision;
    float *proj;    /* the projector's scratch */
};

/* ---- row operations, split over the pool ---- */

typedef enum row_op {
    ROW_NORM,     /* dst = LN(src) * w + b */
    ROW_BIAS,     /* dst += b */
    ROW_ADD_BIAS, /* dst += src + b */
    ROW_ACT,      /* dst = act(dst + b) */
    ROW_EMBED,    /* dst += b + pos[row] */
} row_op;

typedef struct row_job {
    row_op op;
    const row_kernels *rk;
    const clip_model *m;
    int64_t rows, cols;
    const float *src;
    float *dst;
    const float *w, *b, *pos;
} row_job;

static void layer_norm_row(const float *x, float *y, int64_t n, float eps, const float *w,
                           const float *b)
{
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        sum += x[i];
    float mean = (float)(sum / (double)n);
    double var = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float d = x[i] - mean;
        y[i] = d;
        var += (double)d * d;
    }
    float scale = 1.0f / sqrtf((float)(var / (double)n) + eps);
    for (int64_t i = 0; i < n; i++) {
        float v = y[i] * scale;
        if (w)
            v *= w[i];
        if (b)
            v += b[i];
        y[i] = v;
    }
}

static void act_row(float *d, const float *b, int64_t n, const uint16_t *table, bool clamp)
{
    for (int64_t i = 0; i < n; i++)
        d[i] = clip_act_scalar(b ? d[i] + b[i] : d[i], table, clamp);
}

static void row_worker(void *ctx, int ith, int nth)
{
    const row_job *j = ctx;
    int64_t r0, r1;
    thread_pool_split(j->rows, 1, ith, nth, &r0, &r1);
    int64_t n = j->cols;
    for (int64_t r = r0; r < r1; r++) {
        float *d = j->dst + r * n;
        const float *s = j->src ? j->src + r * n : NULL;
        switch (j->op) {
        case ROW_NORM:
            j->rk->norm(s, d, n, j->m->eps, j->w, j->b);
            break;
        case ROW_BIAS:
            for (int64_t i = 0; i < n; i++)
                d[i] += j->b[i];
            break;
        case ROW_ADD_BIAS:
            if (j->b)
                for (int64_t i = 0; i < n; i++)
                    d[i] += s[i] + j->b[i];
            else
                for (int64_t i = 0; i < n; i++)
                    d[i] += s[i];
            break;
        case ROW_ACT:
            j->rk->act(d, j->b, n, j->m->act_table, j->m->ffn_op == CLIP_FFN_GELU);
            break;
        case ROW_EMBED: {
            const float *p = j->pos + r * n;
            for (int64_t i = 0; i < n; i++)
                d[i] = (j->b ? d[i] + j->b[i] : d[i]) + p[i];
            break;
        }
        }
    }
}

static void rows_run(clip_encoder *e, row_op op, int64_t rows, int64_t cols, const float *src,
                     float *dst, const float *w, const float *b)
{
    row_job j = {.op = op, .rk = &e->rk, .m = e->m, .rows = rows, .cols = cols, .src = src,
                 .dst = dst, .w = w, .b = b, .pos = e->m->pos.data};
    thread_pool_run_independent(e->pool, row_worker, &j);
}

/* ---- attention, split by heads ----
 *
 * Like llama.cpp's CPU flash attention, K and V are rounded to F16 (to
 * bfloat16 under MATMUL_PRECISION_BF16) and both products go through
 * matmul: scores = Q_h K_h^T with K_h as the "weights", then
 * out_h = P V_h with V_h^T as the weights. Each thread takes whole heads
 * with its own matmul context (no pool: the heads are the parallelism). */

typedef struct attn_job {
    const clip_model *m;
    const float *q, *k, *v;
    float *out;
    clip_encoder *e;
    tensor_type kv_type;
    sl_status status;
} attn_job;

static void softmax_rows(float *s, int64_t rows, int64_t n, float scale)
{
    for (int64_t r = 0; r < rows; r++) {
        float *row = s + r * n;
        float mx = -INFINITY;
        for (int64_t i = 0; i < n; i++) {
            row[i] *= scale;
            mx = row[i] > mx ? row[i] : mx;
        }
        double sum = 0.0;
        for (int64_t i = 0; i < n; i++) {
            float ex = expf(row[i] - mx);
            row[i] = ex;
            sum += ex;
        }
        float inv = (float)(1.0 / sum);
        for (int64_t i = 0; i < n; i++)
            row[i] *= inv;
    }
}

static inline uint16_t to_half(tensor_type t, float f)
{
    return t == TENSOR_BF16 ? f32_to_bf16(f) : f32_to_fp16(f);
}

static void attn_worker(void *ctx, int ith, int nth)
{
    attn_job *j = ctx;
    const clip_model *m = j->m;
    clip_encoder *e = j->e;
    int64_t n = m->n_patches, dm = m->n_embd, d = dm / m->n_head;
    float *s = e->scores + (size_t)ith * (size_t)n * (size_t)n;
    uint16_t *kh = e->kv_half + (size_t)ith * 2 * (size_t)n * (size_t)d;
    uint16_t *vt = kh + (size_t)n * (size_t)d;
    matmul_ctx *mm = e->head_mm[ith];
    float scale = 1.0f / sqrtf((float)d);
    for (int h = ith; h < m->n_head; h += nth) {
        for (int64_t t = 0; t < n; t++) {
            const float *vr = j->v + t * dm + h * d;
            if (j->kv_type == TENSOR_BF16)
                f32_to_bf16_row(j->k + t * dm + h * d, kh + t * d, d);
            else
                f32_to_fp16_row(j->k + t * dm + h * d, kh + t * d, d);
            for (int64_t c = 0; c < d; c++)
                vt[c * n + t] = to_half(j->kv_type, vr[c]);
        }
        qmatrix kw = {.type = j->kv_type, .rows = n, .cols = d, .data = kh};
        qmatrix vw = {.type = j->kv_type, .rows = d, .cols = n, .data = vt};
        sl_status st = matmul(mm, &kw, j->q + h * d, dm, n, s, n, NULL);
        if (st == SL_OK) {
            e->rk.softmax(s, n, n, scale);
            st = matmul(mm, &vw, s, n, n, j->out + h * d, dm, NULL);
        }
        if (st != SL_OK)
            j->status = st;
    }
}

/* ---- the encoder ---- */

static float *alloc_floats(size_t n)
{
    return malloc((n ? n : 1) * sizeof(float));
}

sl_status clip_encoder_create(const clip_model *m, thread_pool *pool, clip_encoder **out,
                              sl_error *err)
{
    *out = NULL;
    clip_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return sl_fail(err, SL_ERR_NOMEM, "clip encoder: no memory");
    e->m = m;
    e->pool = pool;
    e->rk = (row_kernels){softmax_rows, layer_norm_row, act_row};
#if defined(SL_HAVE_X86_SIMD)
    if (simd_level_active() == SIMD_AVX512)
        e->rk = (row_kernels){clip_softmax_rows_avx512, clip_layer_norm_avx512,
                              clip_act_row_avx512};
#endif
    e->nth = thread_pool_threads(pool);
    sl_status st = matmul_ctx_create(pool, &e->mm, err);
    if (st != SL_OK) {
        free(e);
        return st;
    }
    size_t n = (size_t)m->n_patches, ne = n * (size_t)m->n_embd;
    size_t pp = 3 * (size_t)m->patch_size * (size_t)m->patch_size;
    e->patches = alloc_floats(n * pp);
    e->x = alloc_floats(ne);
    e->h = alloc_floats(ne);
    e->q = alloc_floats(ne);
    e->k = alloc_floats(ne);
    e->v = alloc_floats(ne);
    e->attn = alloc_floats(ne);
    e->ff = alloc_floats(n * (size_t)m->n_ff);
    e->scores = alloc_floats((size_t)e->nth * n * n);
    e->kv_half = malloc((size_t)e->nth * 2 * ne / (size_t)m->n_head * sizeof(uint16_t) + 64);
    e->head_mm = calloc((size_t)e->nth, sizeof *e->head_mm);
    for (int i = 0; e->head_mm && i < e->nth && st == SL_OK; i++)
        st = matmul_ctx_create(NULL, &e->head_mm[i], err);
    if (st != SL_OK) {
        clip_encoder_free(e);
        return st;
    }
    e->proj = alloc_floats(m->proj->scratch_floats(m));
    if (!e->patches || !e->x || !e->h || !e->q || !e->k || !e->v || !e->attn || !e->ff ||
        !e->scores || !e->proj || !e->kv_half || !e->head_mm) {
        clip_encoder_free(e);
        return sl_fail(err, SL_ERR_NOMEM, "%s: no memory for the encoder's activations",
                       m->path);
    }
    *out = e;
    return SL_OK;
}

void clip_encoder_free(clip_encoder *e)
{
    if (!e)
        return;
    matmul_ctx_destroy(e->mm);
    if (e->head_mm)
        for (int i = 0; i < e->nth; i++)
            matmul_ctx_destroy(e->head_mm[i]);
    free(e->head_mm);
    free(e->kv_half);
    float *bufs[] = {e->patches, e->x, e->h, e->q, e->k, e->v, e->attn, e->ff, e->scores,
                     e->proj};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(e);
}

void clip_encoder_set_precision(clip_encoder *e, matmul_precision p)
{
    matmul_ctx_set_precision(e->mm, p);
    for (int i = 0; i < e->nth; i++)
        matmul_ctx_set_precision(e->head_mm[i], p);
    e->precision = p;
}

/* Each patch's pixels in the convolution kernel's order (c, y, x). */
static void im2col(const clip_model *m, const float *px, float *out)
{
    int p = m->patch_size, s = m->image_size, side = m->n_patches_side;
    size_t plane = (size_t)s * (size_t)s;
    for (int py = 0; py < side; py++)
        for (int pxi = 0; pxi < side; pxi++) {
            float *o = out + ((size_t)py * side + pxi) * 3 * (size_t)p * p;
            for (int c = 0; c < 3; c++)
                for (int ky = 0; ky < p; ky++) {
                    const float *src = px + c * plane + (size_t)(py * p + ky) * s + pxi * p;
                    memcpy(o + ((size_t)c * p + ky) * p, src, (size_t)p * sizeof(float));
                }
        }
}

static sl_status encoder_block(clip_encoder *e, const clip_layer *l, sl_error *err)
{
    const clip_model *m = e->m;
    int64_t n = m->n_patches, d = m->n_embd;
    sl_status st;
    rows_run(e, ROW_NORM, n, d, e->x, e->h, l->ln1_w.data, l->ln1_b.data);
    qmatrix qkv[3] = {l->q, l->k, l->v};
    float *y[3] = {e->q, e->k, e->v};
    int64_t ldy[3] = {d, d, d};
    if ((st = matmul_many(e->mm, 3, qkv, e->h, d, n, y, ldy, err)) != SL_OK)
        return st;
    const clip_vec *bias[3] = {&l->q_b, &l->k_b, &l->v_b};
    for (int i = 0; i < 3; i++)
        if (bias[i]->data)
            rows_run(e, ROW_BIAS, n, d, NULL, y[i], NULL, bias[i]->data);
    attn_job aj = {.m = m, .q = e->q, .k = e->k, .v = e->v, .out = e->attn, .e = e,
                   .kv_type = e->precision == MATMUL_PRECISION_BF16 && simd_has_bf16_dot()
                                  ? TENSOR_BF16
                                  : TENSOR_F16,
                   .status = SL_OK};
    thread_pool_run_independent(e->pool, attn_worker, &aj);
    if (aj.status != SL_OK)
        return sl_fail(err, aj.status, "%s: attention product failed", m->path);
    if ((st = matmul(e->mm, &l->o, e->attn, d, n, e->h, d, err)) != SL_OK)
        return st;
    rows_run(e, ROW_ADD_BIAS, n, d, e->h, e->x, NULL, l->o_b.data);
    rows_run(e, ROW_NORM, n, d, e->x, e->h, l->ln2_w.data, l->ln2_b.data);
    if ((st = matmul(e->mm, &l->up, e->h, d, n, e->ff, m->n_ff, err)) != SL_OK)
        return st;
    rows_run(e, ROW_ACT, n, m->n_ff, NULL, e->ff, NULL, l->up_b.data);
    if ((st = matmul(e->mm, &l->down, e->ff, m->n_ff, n, e->h, d, err)) != SL_OK)
        return st;
    rows_run(e, ROW_ADD_BIAS, n, d, e->h, e->x, NULL, l->down_b.data);
    return SL_OK;
}

sl_status clip_encoder_run(clip_encoder *e, const float *tile_pixels, float *embd_out,
                           sl_error *err)
{
    if (!e || !tile_pixels || !embd_out)
        return sl_fail(err, SL_ERR_ARG, "clip_encoder_run: missing argument");
    const clip_model *m = e->m;
    int64_t n = m->n_patches, d = m->n_embd;
    sl_status st;
    im2col(m, tile_pixels, e->patches);
    if ((st = matmul(e->mm, &m->patch_w, e->patches, m->patch_w.cols, n, e->x, d, err)) != SL_OK)
        return st;
    rows_run(e, ROW_EMBED, n, d, NULL, e->x, NULL, m->patch_b.data);
    if (m->pre_ln_w.data || m->pre_ln_b.data) {
        rows_run(e, ROW_NORM, n, d, e->x, e->h, m->pre_ln_w.data, m->pre_ln_b.data);
        memcpy(e->x, e->h, (size_t)n * (size_t)d * sizeof(float));
    }
    for (int il = 0; il < m->n_layer; il++)
        if ((st = encoder_block(e, &m->layers[il], err)) != SL_OK)
            return st;
    float *vit_out = e->x;
    if (m->post_ln_w.data || m->post_ln_b.data) {
        rows_run(e, ROW_NORM, n, d, e->x, e->h, m->post_ln_w.data, m->post_ln_b.data);
        vit_out = e->h;
    }
    return m->proj->project(m, e->mm, vit_out, embd_out, e->proj, err);
}

sl_status clip_encode_tile(const clip_model *m, thread_pool *pool, const float *tile_pixels,
                           float *embd_out, sl_error *err)
{
    clip_encoder *e;
    sl_status st = clip_encoder_create(m, pool, &e, err);
    if (st != SL_OK)
        return st;
    st = clip_encoder_run(e, tile_pixels, embd_out, err);
    clip_encoder_free(e);
    return st;
}
