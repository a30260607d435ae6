/* CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED. Convolutions run as
 * matrix products on weights packed at creation (tflite_kern.h): 1x1
 * stride-1 convolutions read the input directly, the others through an
 * im2col buffer filled block by block in each thread's scratch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision/tflite_internal.h"

/* A constant FLOAT32 weight input of the expected rank. */
static sl_status const_weights(tflite_interp *it, const tl_node *n, int i, int rank,
                               tl_tensor **out, sl_error *err)
{
    tl_tensor *t = tl_input(it, n, i);
    if (!t || !t->is_const)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "input %d must be constant weights", i);
    if (t->rank != rank)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "weights '%s' have rank %d (%d expected)",
                       t->info->name, t->rank, rank);
    *out = t;
    return SL_OK;
}

/* The optional bias: NULL when omitted, else a constant FLOAT32 vector of n. */
static sl_status optional_bias(tflite_interp *it, const tl_node *n, int i, int64_t count,
                               const float **out, sl_error *err)
{
    *out = NULL;
    tl_tensor *t = tl_input(it, n, i);
    if (!t)
        return SL_OK;
    if (t->type != TFLITE_FLOAT32 || !t->is_const || t->count != count)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "bias '%s' must be %lld constant floats",
                       t->info->name, (long long)count);
    *out = t->data;
    return SL_OK;
}

static sl_status need_nhwc(tflite_interp *it, const tl_node *n, const tl_tensor *t, sl_error *err)
{
    if (t->rank != 4)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "input '%s' has rank %d (NHWC expected)",
                       t->info->name, t->rank);
    for (int d = 0; d < 4; d++)
        if (t->shape[d] <= 0)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "input '%s' has an empty dimension %d",
                           t->info->name, d);
    return SL_OK;
}

/* --- CONV_2D ------------------------------------------------------------- */

typedef struct conv_state {
    int batch, in_h, in_w, in_c, out_h, out_w, out_c;
    int kh, kw, sh, sw, dh, dw, pad_top, pad_left;
    int K;
    bool direct;        /* 1x1, stride 1: the input is the matrix */
    int64_t block_rows; /* im2col rows per block */
    float lo, hi;
    float *packed;      /* panels of TL_PANEL channels x K */
    float *bias;        /* padded to whole panels */
} conv_state;

static sl_status conv_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 2, 3, 1, 2, err);
    if (st)
        return st;
    const tflite_options *o = &n->op->opt;
    tl_tensor *x = tl_input(it, n, 0), *w = NULL;
    if ((st = need_nhwc(it, n, x, err)) || (st = const_weights(it, n, 1, 4, &w, err)) ||
        (st = tl_check_activation(it, n, o->activation, err)))
        return st;
    int out_c = w->shape[0], kh = w->shape[1], kw = w->shape[2], in_c = w->shape[3];
    if (in_c != x->shape[3])
        return tl_fail(it, n, err, SL_ERR_FORMAT, "filter '%s' expects %d input channels, the"
                       " input has %d", w->info->name, in_c, x->shape[3]);
    const float *bias;
    if ((st = optional_bias(it, n, 2, out_c, &bias, err)))
        return st;
    int out_h, out_w, pad_top, pad_left;
    if (!tl_conv_geometry(o->padding, x->shape[1], kh, o->stride_h, o->dilation_h, &out_h,
                          &pad_top) ||
        !tl_conv_geometry(o->padding, x->shape[2], kw, o->stride_w, o->dilation_w, &out_w,
                          &pad_left))
        return tl_fail(it, n, err, SL_ERR_FORMAT, "filter %dx%d, stride %dx%d, dilation %dx%d,"
                       " padding %d do not fit a %dx%d input", kw, kh, o->stride_w, o->stride_h,
                       o->dilation_w, o->dilation_h, (int)o->padding, x->shape[2], x->shape[1]);
    int64_t K = (int64_t)kh * kw * in_c;
    if (K > (1 << 20))
        return tl_fail(it, n, err, SL_ERR_LIMIT, "a %lld-element filter window is too large",
                       (long long)K);
    int panels = (out_c + TL_PANEL - 1) / TL_PANEL;
    size_t packed_floats = (size_t)panels * TL_PANEL * (size_t)K;
    conv_state *s = tl_alloc_state(sizeof *s + 64 + (packed_floats + (size_t)panels * TL_PANEL)
                                   * sizeof(float));
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory for packed weights");
    n->state = s;
    *s = (conv_state){
        .batch = x->shape[0], .in_h = x->shape[1], .in_w = x->shape[2], .in_c = in_c,
        .out_h = out_h, .out_w = out_w, .out_c = out_c, .kh = kh, .kw = kw,
        .sh = o->stride_h, .sw = o->stride_w, .dh = o->dilation_h, .dw = o->dilation_w,
        .pad_top = pad_top, .pad_left = pad_left, .K = (int)K,
    };
    s->direct = kh == 1 && kw == 1 && s->sh == 1 && s->sw == 1;
    tl_activation_range(o->activation, &s->lo, &s->hi);
    /* The state block is 64-byte aligned; so is the struct's end rounded up. */
    s->packed = (float *)((uint8_t *)s + (sizeof *s + 63) / 64 * 64);
    s->bias = s->packed + packed_floats;
    const float *wd = w->data;
    for (int p = 0; p < panels; p++)
        for (int64_t k = 0; k < K; k++)
            for (int j = 0; j < TL_PANEL; j++) {
                int oc = p * TL_PANEL + j;
                s->packed[((int64_t)p * K + k) * TL_PANEL + j] = oc < out_c ? wd[oc * K + k] : 0;
            }
    for (int oc = 0; oc < out_c; oc++)
        s->bias[oc] = bias ? bias[oc] : 0.0f;
    if (!s->direct) {
        int64_t rows = 32768 / K;
        rows = rows < 8 ? 8 : rows > 256 ? 256 : rows;
        rows = (rows + it->kern->rows - 1) / it->kern->rows * it->kern->rows;
        s->block_rows = rows;
        if ((st = tl_request_scratch(it, rows * K, err)))
            return st;
    }
    int32_t shape[4] = {s->batch, out_h, out_w, out_c};
    return tl_set_shape(it, n, tl_output(it, n, 0), 4, shape, err);
}

typedef struct conv_job {
    tflite_interp *it;
    const conv_state *s;
    const float *in;
    float *out;
} conv_job;

static void conv_direct_range(void *ctx, int64_t begin, int64_t end, int ith)
{
    (void)ith;
    const conv_job *j = ctx;
    const conv_state *s = j->s;
    tl_gemm_args g = {
        .M = end - begin, .K = s->K, .N = s->out_c,
        .A = j->in + begin * s->in_c, .lda = s->in_c,
        .B = s->packed, .bias = s->bias,
        .C = j->out + begin * s->out_c, .ldc = s->out_c,
        .lo = s->lo, .hi = s->hi,
    };
    j->it->kern->gemm(&g);
}

/* Fills `rows` im2col rows starting at output pixel m (over all images). */
static void im2col(const conv_state *s, const float *in, int64_t m, int64_t rows, float *dst)
{
    const int64_t per_image = (int64_t)s->out_h * s->out_w;
    const int ic = s->in_c;
    for (int64_t r = 0; r < rows; r++, m++) {
        int64_t b = m / per_image, pix = m % per_image;
        int oy = (int)(pix / s->out_w), ox = (int)(pix % s->out_w);
        const float *img = in + b * s->in_h * s->in_w * ic;
        float *row = dst + r * s->K;
        for (int ky = 0; ky < s->kh; ky++) {
            int iy = oy * s->sh - s->pad_top + ky * s->dh;
            for (int kx = 0; kx < s->kw; kx++) {
                int ix = ox * s->sw - s->pad_left + kx * s->dw;
                float *cell = row + ((int64_t)ky * s->kw + kx) * ic;
                if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w)
                    memset(cell, 0, (size_t)ic * sizeof(float));
                else
                    memcpy(cell, img + ((int64_t)iy * s->in_w + ix) * ic,
                           (size_t)ic * sizeof(float));
            }
        }
    }
}

static void conv_im2col_range(void *ctx, int64_t begin, int64_t end, int ith)
{
    const conv_job *j = ctx;
    const conv_state *s = j->s;
    float *scratch = tl_scratch(j->it, ith);
    for (int64_t m = begin; m < end; m += s->block_rows) {
        int64_t rows = end - m < s->block_rows ? end - m : s->block_rows;
        im2col(s, j->in, m, rows, scratch);
        tl_gemm_args g = {
            .M = rows, .K = s->K, .N = s->out_c,
            .A = scratch, .lda = s->K,
            .B = s->packed, .bias = s->bias,
            .C = j->out + m * s->out_c, .ldc = s->out_c,
            .lo = s->lo, .hi = s->hi,
        };
        j->it->kern->gemm(&g);
    }
}

static void conv_eval(tflite_interp *it, tl_node *n)
{
    const conv_state *s = n->state;
    tl_tensor *out = tl_output(it, n, 0);
    conv_job j = {it, s, tl_input(it, n, 0)->data, out->data};
    int64_t M = (int64_t)s->batch * s->out_h * s->out_w;
    /* About 64k multiply-adds per thread at least, or threads cost more
     * than they save. */
    int64_t min_rows = 65536 / ((int64_t)s->K * s->out_c + 1) + 1;
    if (s->direct)
        tl_parallel(it, M, it->kern->rows, min_rows, conv_direct_range, &j);
    else
        tl_parallel(it, M, it->kern->rows, min_rows, conv_im2col_range, &j);
    if (n->op->opt.activation == TFLITE_ACT_TANH)
        tl_apply_activation(TFLITE_ACT_TANH, out->data, out->count);
}

const tl_kernel tl_kernel_conv_2d = {TFLITE_OP_CONV_2D, 1, conv_prepare, conv_eval};

/* --- DEPTHWISE_CONV_2D --------------------------------------------------- */

typedef struct dw_state {
    int batch, in_h, in_w, in_c, out_h, out_w, out_c, multiplier;
    int kh, kw, sh, sw, dh, dw, pad_top, pad_left;
    float lo, hi;
    const float *w; /* the constant filter, kh x kw x out_c */
    float *bias;    /* out_c entries */
} dw_state;

static sl_status dw_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 2, 3, 1, 2, err);
    if (st)
        return st;
    const tflite_options *o = &n->op->opt;
    tl_tensor *x = tl_input(it, n, 0), *w = NULL;
    if ((st = need_nhwc(it, n, x, err)) || (st = const_weights(it, n, 1, 4, &w, err)) ||
        (st = tl_check_activation(it, n, o->activation, err)))
        return st;
    int kh = w->shape[1], kw = w->shape[2], out_c = w->shape[3], in_c = x->shape[3];
    if (w->shape[0] != 1 || out_c % in_c != 0)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "filter '%s' [%d,%d,%d,%d] does not fit %d"
                       " input channels", w->info->name, w->shape[0], kh, kw, out_c, in_c);
    int multiplier = out_c / in_c;
    if (o->depth_multiplier != 0 && o->depth_multiplier != multiplier)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "depth multiplier %d, but the filter gives %d",
                       o->depth_multiplier, multiplier);
    const float *bias;
    if ((st = optional_bias(it, n, 2, out_c, &bias, err)))
        return st;
    int out_h, out_w, pad_top, pad_left;
    if (!tl_conv_geometry(o->padding, x->shape[1], kh, o->stride_h, o->dilation_h, &out_h,
                          &pad_top) ||
        !tl_conv_geometry(o->padding, x->shape[2], kw, o->stride_w, o->dilation_w, &out_w,
                          &pad_left))
        return tl_fail(it, n, err, SL_ERR_FORMAT, "filter %dx%d, stride %dx%d, dilation %dx%d,"
                       " padding %d do not fit a %dx%d input", kw, kh, o->stride_w, o->stride_h,
                       o->dilation_w, o->dilation_h, (int)o->padding, x->shape[2], x->shape[1]);
    dw_state *s = tl_alloc_state(sizeof *s + (size_t)out_c * sizeof(float));
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    *s = (dw_state){
        .batch = x->shape[0], .in_h = x->shape[1], .in_w = x->shape[2], .in_c = in_c,
        .out_h = out_h, .out_w = out_w, .out_c = out_c, .multiplier = multiplier,
        .kh = kh, .kw = kw, .sh = o->stride_h, .sw = o->stride_w, .dh = o->dilation_h,
        .dw = o->dilation_w, .pad_top = pad_top, .pad_left = pad_left, .w = w->data,
    };
    s->bias = (float *)(s + 1);
    for (int c = 0; c < out_c; c++)
        s->bias[c] = bias ? bias[c] : 0.0f;
    tl_activation_range(o->activation, &s->lo, &s->hi);
    int32_t shape[4] = {s->batch, out_h, out_w, out_c};
    return tl_set_shape(it, n, tl_output(it, n, 0), 4, shape, err);
}

typedef struct dw_job {
    tflite_interp *it;
    const dw_state *s;
    const float *in;
    float *out;
} dw_job;

/* Multiplier above 1: output channel c reads input channel c / multiplier. */
static void dw_row_multiplier(const dw_state *s, const float *img, int oy, float *out)
{
    for (int ox = 0; ox < s->out_w; ox++) {
        float *o = out + (int64_t)ox * s->out_c;
        for (int c = 0; c < s->out_c; c++)
            o[c] = s->bias[c];
        for (int ky = 0; ky < s->kh; ky++) {
            int iy = oy * s->sh - s->pad_top + ky * s->dh;
            if (iy < 0 || iy >= s->in_h)
                continue;
            for (int kx = 0; kx < s->kw; kx++) {
                int ix = ox * s->sw - s->pad_left + kx * s->dw;
                if (ix < 0 || ix >= s->in_w)
                    continue;
                const float *ip = img + ((int64_t)iy * s->in_w + ix) * s->in_c;
                const float *wp = s->w + ((int64_t)ky * s->kw + kx) * s->out_c;
                for (int c = 0; c < s->out_c; c++)
                    o[c] += ip[c / s->multiplier] * wp[c];
            }
        }
        for (int c = 0; c < s->out_c; c++)
            o[c] = tl_clamp(o[c], s->lo, s->hi);
    }
}

static void dw_rows(void *ctx, int64_t begin, int64_t end, int ith)
{
    (void)ith;
    const dw_job *j = ctx;
    const dw_state *s = j->s;
    tl_dw_args a = {
        .in_h = s->in_h, .in_w = s->in_w, .c = s->in_c, .w = s->w, .bias = s->bias,
        .kh = s->kh, .kw = s->kw, .sh = s->sh, .sw = s->sw, .dh = s->dh, .dw = s->dw,
        .pad_top = s->pad_top, .pad_left = s->pad_left, .out_w = s->out_w,
        .lo = s->lo, .hi = s->hi,
    };
    for (int64_t r = begin; r < end; r++) {
        int64_t b = r / s->out_h;
        int oy = (int)(r % s->out_h);
        const float *img = j->in + b * s->in_h * s->in_w * s->in_c;
        float *out = j->out + r * s->out_w * s->out_c;
        if (s->multiplier == 1) {
            a.in = img;
            j->it->kern->dw_row(&a, oy, out);
        } else {
            dw_row_multiplier(s, img, oy, out);
        }
    }
}

static void dw_eval(tflite_interp *it, tl_node *n)
{
    const dw_state *s = n->state;
    tl_tensor *out = tl_output(it, n, 0);
    dw_job j = {it, s, tl_input(it, n, 0)->data, out->data};
    int64_t per_row = (int64_t)s->out_w * s->out_c * s->kh * s->kw;
    tl_parallel(it, (int64_t)s->batch * s->out_h, 1, 32768 / (per_row + 1) + 1, dw_rows, &j);
    if (n->op->opt.activation == TFLITE_ACT_TANH)
        tl_apply_activation(TFLITE_ACT_TANH, out->data, out->count);
}

const tl_kernel tl_kernel_depthwise_conv_2d = {TFLITE_OP_DEPTHWISE_CONV_2D, 2, dw_prepare,
                                               dw_eval};

/* --- FULLY_CONNECTED ----------------------------------------------------- */

typedef struct fc_state {
    int64_t batch;
    int in, out;
    float lo, hi;
    const float *w;
    float *bias;
} fc_state;

static sl_status fc_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 2, 3, 1, 2, err);
    if (st)
        return st;
    const tflite_options *o = &n->op->opt;
    tl_tensor *x = tl_input(it, n, 0), *w = NULL;
    if ((st = const_weights(it, n, 1, 2, &w, err)) ||
        (st = tl_check_activation(it, n, o->activation, err)))
        return st;
    if (o->weights_format != 0)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "weights format %d", o->weights_format);
    int n_out = w->shape[0], n_in = w->shape[1];
    if (n_in <= 0 || x->count % n_in != 0)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "%lld input values are not rows of %d",
                       (long long)x->count, n_in);
    const float *bias;
    if ((st = optional_bias(it, n, 2, n_out, &bias, err)))
        return st;
    fc_state *s = tl_alloc_state(sizeof *s + (size_t)n_out * sizeof(float));
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    s->batch = x->count / n_in;
    s->in = n_in;
    s->out = n_out;
    s->w = w->data;
    s->bias = (float *)(s + 1);
    for (int i = 0; i < n_out; i++)
        s->bias[i] = bias ? bias[i] : 0.0f;
    tl_activation_range(o->activation, &s->lo, &s->hi);
    int32_t shape[TFLITE_MAX_RANK];
    int rank;
    if (o->keep_num_dims) {
        if (x->rank == 0 || x->shape[x->rank - 1] != n_in)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "keep_num_dims needs a last dimension of %d",
                           n_in);
        rank = x->rank;
        memcpy(shape, x->shape, sizeof shape);
        shape[rank - 1] = n_out;
    } else {
        if (s->batch > INT32_MAX)
            return tl_fail(it, n, err, SL_ERR_LIMIT, "too many rows");
        rank = 2;
        shape[0] = (int32_t)s->batch;
        shape[1] = n_out;
    }
    return tl_set_shape(it, n, tl_output(it, n, 0), rank, shape, err);
}

typedef struct fc_job {
    const fc_state *s;
    const float *in;
    float *out;
} fc_job;

static void fc_range(void *ctx, int64_t begin, int64_t end, int ith)
{
    (void)ith;
    const fc_job *j = ctx;
    const fc_state *s = j->s;
    for (int64_t i = begin; i < end; i++) {
        int64_t b = i / s->out;
        int o = (int)(i % s->out);
        const float *restrict x = j->in + b * s->in;
        const float *restrict w = s->w + (int64_t)o * s->in;
        float acc = 0.0f;
        for (int k = 0; k < s->in; k++)
            acc += x[k] * w[k];
        j->out[i] = tl_clamp(acc + s->bias[o], s->lo, s->hi);
    }
}

static void fc_eval(tflite_interp *it, tl_node *n)
{
    const fc_state *s = n->state;
    tl_tensor *out = tl_output(it, n, 0);
    fc_job j = {s, tl_input(it, n, 0)->data, out->data};
    tl_parallel(it, s->batch * s->out, 1, 65536 / (s->in + 1) + 1, fc_range, &j);
    if (n->op->opt.activation == TFLITE_ACT_TANH)
        tl_apply_activation(TFLITE_ACT_TANH, out->data, out->count);
}

const tl_kernel tl_kernel_fully_connected = {TFLITE_OP_FULLY_CONNECTED, 8, fc_prepare, fc_eval};
