/* Spatial operators on NHWC tensors: MAX_POOL_2D, RESIZE_BILINEAR, MEAN. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision/tflite_internal.h"

static sl_status need_rank4(tflite_interp *it, const tl_node *n, const tl_tensor *t,
                            sl_error *err)
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

/* --- MAX_POOL_2D --------------------------------------------------------- */

typedef struct pool_state {
    int in_h, in_w, c, out_h, out_w;
    int kh, kw, sh, sw, pad_top, pad_left;
    float lo, hi;
} pool_state;

static sl_status max_pool_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 1, 1, 1, 1, err);
    if (st)
        return st;
    const tflite_options *o = &n->op->opt;
    tl_tensor *x = tl_input(it, n, 0);
    if ((st = need_rank4(it, n, x, err)) || (st = tl_check_activation(it, n, o->activation, err)))
        return st;
    if (o->activation == TFLITE_ACT_TANH)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "fused TANH after a pool");
    pool_state *s = tl_alloc_state(sizeof *s);
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    s->in_h = x->shape[1];
    s->in_w = x->shape[2];
    s->c = x->shape[3];
    s->kh = o->filter_h;
    s->kw = o->filter_w;
    s->sh = o->stride_h;
    s->sw = o->stride_w;
    if (!tl_conv_geometry(o->padding, s->in_h, s->kh, s->sh, 1, &s->out_h, &s->pad_top) ||
        !tl_conv_geometry(o->padding, s->in_w, s->kw, s->sw, 1, &s->out_w, &s->pad_left))
        return tl_fail(it, n, err, SL_ERR_FORMAT, "filter %dx%d, stride %dx%d, padding %d do not"
                       " fit a %dx%d input", s->kw, s->kh, s->sw, s->sh, (int)o->padding, s->in_w,
                       s->in_h);
    tl_activation_range(o->activation, &s->lo, &s->hi);
    int32_t shape[4] = {x->shape[0], s->out_h, s->out_w, s->c};
    return tl_set_shape(it, n, tl_output(it, n, 0), 4, shape, err);
}

typedef struct spatial_job {
    const void *state;
    const float *in;
    float *out;
} spatial_job;

static void max_pool_rows(void *ctx, int64_t begin, int64_t end, int ith)
{
    (void)ith;
    const spatial_job *j = ctx;
    const pool_state *s = j->state;
    int c = s->c;
    for (int64_t r = begin; r < end; r++) {
        int64_t b = r / s->out_h;
        int oy = (int)(r % s->out_h);
        const float *img = j->in + b * s->in_h * s->in_w * c;
        for (int ox = 0; ox < s->out_w; ox++) {
            float *restrict dst = j->out + (r * s->out_w + ox) * c;
            for (int k = 0; k < c; k++)
                dst[k] = -FLT_MAX;
            /* Padded cells take no part (SAME pads with "nothing", not zeros). */
            for (int ky = 0; ky < s->kh; ky++) {
                int iy = oy * s->sh - s->pad_top + ky;
                if (iy < 0 || iy >= s->in_h)
                    continue;
                for (int kx = 0; kx < s->kw; kx++) {
                    int ix = ox * s->sw - s->pad_left + kx;
                    if (ix < 0 || ix >= s->in_w)
                        continue;
                    const float *restrict src = img + ((int64_t)iy * s->in_w + ix) * c;
                    for (int k = 0; k < c; k++)
                        dst[k] = src[k] > dst[k] ? src[k] : dst[k];
                }
            }
            for (int k = 0; k < c; k++)
                dst[k] = tl_clamp(dst[k], s->lo, s->hi);
        }
    }
}

static void max_pool_eval(tflite_interp *it, tl_node *n)
{
    const pool_state *s = n->state;
    tl_tensor *out = tl_output(it, n, 0);
    spatial_job j = {s, tl_input(it, n, 0)->data, out->data};
    tl_parallel(it, (int64_t)out->shape[0] * s->out_h, 1, 4, max_pool_rows, &j);
}

const tl_kernel tl_kernel_max_pool_2d = {TFLITE_OP_MAX_POOL_2D, 5, max_pool_prepare, max_pool_eval};

/* --- RESIZE_BILINEAR ----------------------------------------------------- */

typedef struct resize_state {
    int in_h, in_w, c, out_h, out_w;
    /* Per output row then per output column: the two source indices and the
     * weight of the second. */
    int32_t *lo, *hi;
    float *frac;
} resize_state;

/* TensorFlow's mapping of an output index to input coordinates. */
static void resize_axis(int in, int out, bool align_corners, bool half_pixel, int32_t *lo,
                        int32_t *hi, float *frac)
{
    float scale = (align_corners && out > 1) ? (float)(in - 1) / (float)(out - 1)
                                             : (float)in / (float)out;
    for (int i = 0; i < out; i++) {
        float v = half_pixel ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
        float f = floorf(v);
        int l = (int)f, h = (int)ceilf(v);
        lo[i] = l < 0 ? 0 : (l > in - 1 ? in - 1 : l);
        hi[i] = h < 0 ? 0 : (h > in - 1 ? in - 1 : h);
        frac[i] = v - f;
    }
}

static sl_status resize_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 2, 2, 1, 1, err);
    if (st)
        return st;
    tl_tensor *x = tl_input(it, n, 0), *size = tl_input(it, n, 1);
    if ((st = need_rank4(it, n, x, err)))
        return st;
    if (!size || size->type != TFLITE_INT32 || !size->is_const || size->count != 2)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "the output size must be a constant INT32"
                       " pair");
    const tflite_options *o = &n->op->opt;
    if (o->align_corners && o->half_pixel_centers)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "align_corners and half_pixel_centers are"
                       " exclusive");
    const int32_t *hw = size->data;
    if (hw[0] <= 0 || hw[1] <= 0 || hw[0] > 65536 || hw[1] > 65536)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "output size %dx%d", hw[1], hw[0]);
    int oh = hw[0], ow = hw[1];
    size_t bytes = sizeof(resize_state) + (size_t)(oh + ow) * (2 * sizeof(int32_t) + sizeof(float));
    resize_state *s = tl_alloc_state(bytes);
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    s->in_h = x->shape[1];
    s->in_w = x->shape[2];
    s->c = x->shape[3];
    s->out_h = oh;
    s->out_w = ow;
    s->lo = (int32_t *)(s + 1);
    s->hi = s->lo + oh + ow;
    s->frac = (float *)(s->hi + oh + ow);
    resize_axis(s->in_h, oh, o->align_corners, o->half_pixel_centers, s->lo, s->hi, s->frac);
    resize_axis(s->in_w, ow, o->align_corners, o->half_pixel_centers, s->lo + oh, s->hi + oh,
                s->frac + oh);
    int32_t shape[4] = {x->shape[0], oh, ow, s->c};
    return tl_set_shape(it, n, tl_output(it, n, 0), 4, shape, err);
}

static void resize_rows(void *ctx, int64_t begin, int64_t end, int ith)
{
    (void)ith;
    const spatial_job *j = ctx;
    const resize_state *s = j->state;
    int c = s->c;
    for (int64_t r = begin; r < end; r++) {
        int64_t b = r / s->out_h;
        int oy = (int)(r % s->out_h);
        const float *img = j->in + b * s->in_h * s->in_w * c;
        const float *row0 = img + (int64_t)s->lo[oy] * s->in_w * c;
        const float *row1 = img + (int64_t)s->hi[oy] * s->in_w * c;
        float fy = s->frac[oy];
        for (int ox = 0; ox < s->out_w; ox++) {
            int x0 = s->lo[s->out_h + ox], x1 = s->hi[s->out_h + ox];
            float fx = s->frac[s->out_h + ox];
            float w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx),
                  w11 = fy * fx;
            const float *restrict a = row0 + (int64_t)x0 * c, *restrict b2 = row0 + (int64_t)x1 * c;
            const float *restrict d = row1 + (int64_t)x0 * c, *restrict e = row1 + (int64_t)x1 * c;
            float *restrict dst = j->out + (r * s->out_w + ox) * c;
            for (int k = 0; k < c; k++)
                dst[k] = a[k] * w00 + b2[k] * w01 + d[k] * w10 + e[k] * w11;
        }
    }
}

static void resize_eval(tflite_interp *it, tl_node *n)
{
    const resize_state *s = n->state;
    tl_tensor *out = tl_output(it, n, 0);
    spatial_job j = {s, tl_input(it, n, 0)->data, out->data};
    tl_parallel(it, (int64_t)out->shape[0] * s->out_h, 1, 4, resize_rows, &j);
}

const tl_kernel tl_kernel_resize_bilinear = {TFLITE_OP_RESIZE_BILINEAR, 15, resize_prepare,
                                             resize_eval};

/* --- MEAN ---------------------------------------------------------------- */

typedef struct mean_state {
    int rank;
    int32_t in_shape[TFLITE_MAX_RANK];
    int64_t out_stride[TFLITE_MAX_RANK]; /* 0 on reduced axes */
    float count;                         /* elements per output */
} mean_state;

static sl_status mean_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 2, 2, 1, 1, err);
    if (st)
        return st;
    tl_tensor *x = tl_input(it, n, 0), *axes = tl_input(it, n, 1);
    if (!axes || axes->type != TFLITE_INT32 || !axes->is_const || axes->rank > 1)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "axes must be a constant INT32 vector");
    bool reduced[TFLITE_MAX_RANK] = {false};
    const int32_t *a = axes->data;
    for (int64_t i = 0; i < axes->count; i++) {
        int64_t ax = a[i] < 0 ? (int64_t)a[i] + x->rank : a[i];
        if (ax < 0 || ax >= x->rank)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "axis %d of a rank-%d input", a[i],
                           x->rank);
        reduced[ax] = true;
    }
    mean_state *s = tl_alloc_state(sizeof *s);
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    s->rank = x->rank;
    int32_t shape[TFLITE_MAX_RANK];
    int out_rank = 0;
    int64_t per_out = 1;
    for (int d = 0; d < x->rank; d++) {
        s->in_shape[d] = x->shape[d];
        if (reduced[d]) {
            per_out *= x->shape[d];
            if (n->op->opt.keep_dims)
                shape[out_rank++] = 1;
        } else {
            shape[out_rank++] = x->shape[d];
        }
    }
    int64_t stride = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        s->out_stride[d] = reduced[d] ? 0 : stride;
        if (!reduced[d])
            stride *= x->shape[d];
    }
    if (per_out == 0)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "mean over an empty axis");
    s->count = (float)per_out;
    return tl_set_shape(it, n, tl_output(it, n, 0), out_rank, shape, err);
}

static void mean_eval(tflite_interp *it, tl_node *n)
{
    const mean_state *s = n->state;
    tl_tensor *x = tl_input(it, n, 0), *out = tl_output(it, n, 0);
    const float *src = x->data;
    float *dst = out->data;
    memset(dst, 0, (size_t)out->count * sizeof(float));
    int r = s->rank;
    /* Innermost axis kept (NHWC mean over H and W): add whole pixels. */
    if (r > 0 && s->out_stride[r - 1] == 1) {
        int64_t row = s->in_shape[r - 1];
        for (int64_t i = 0; i < x->count; i += row) {
            int64_t rest = i / row, off = 0;
            for (int d = r - 2; d >= 0; d--) {
                off += (rest % s->in_shape[d]) * s->out_stride[d];
                rest /= s->in_shape[d];
            }
            float *restrict o = dst + off;
            const float *restrict v = src + i;
            for (int64_t k = 0; k < row; k++)
                o[k] += v[k];
        }
    } else {
        for (int64_t i = 0; i < x->count; i++) {
            int64_t rest = i, off = 0;
            for (int d = r - 1; d >= 0; d--) {
                off += (rest % s->in_shape[d]) * s->out_stride[d];
                rest /= s->in_shape[d];
            }
            dst[off] += src[i];
        }
    }
    for (int64_t i = 0; i < out->count; i++)
        dst[i] /= s->count;
}

const tl_kernel tl_kernel_mean = {TFLITE_OP_MEAN, 27, mean_prepare, mean_eval};
