/* Operators that move data without arithmetic: RESHAPE, CONCATENATION, PAD. */
#include <stdlib.h>
#include <string.h>

#include "vision/tflite_internal.h"

/* A constant INT32 vector input (shapes, paddings, axes, sizes). */
static sl_status const_ints(tflite_interp *it, const tl_node *n, int i, const int32_t **v,
                            int64_t *len, sl_error *err)
{
    tl_tensor *t = tl_input(it, n, i);
    if (!t)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "input %d is missing", i);
    if (t->type != TFLITE_INT32 || !t->is_const)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "input %d ('%s') must be a constant INT32"
                       " tensor", i, t->info->name);
    *v = t->data;
    *len = t->count;
    return SL_OK;
}

/* --- RESHAPE ------------------------------------------------------------- */

static sl_status reshape_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 1, 2, 1, 1, err);
    if (st)
        return st;
    tl_tensor *x = tl_input(it, n, 0), *out = tl_output(it, n, 0);
    int32_t shape[TFLITE_MAX_RANK];
    int rank;
    const int32_t *src = NULL;
    int64_t len = 0;
    if (tl_input(it, n, 1)) {
        st = const_ints(it, n, 1, &src, &len, err);
        if (st)
            return st;
        if (tl_input(it, n, 1)->rank != 1)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "the new shape is not a vector");
    } else if (n->op->opt.new_shape_rank >= 0) {
        src = n->op->opt.new_shape;
        len = n->op->opt.new_shape_rank;
    } else {
        src = out->info->shape;
        len = out->info->rank;
    }
    if (len > TFLITE_MAX_RANK)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "new shape of rank %lld", (long long)len);
    rank = (int)len;
    int64_t known = 1;
    int wild = -1;
    for (int i = 0; i < rank; i++) {
        shape[i] = src[i];
        if (shape[i] == -1 && wild < 0) {
            wild = i;
        } else if (shape[i] <= 0) {
            return tl_fail(it, n, err, SL_ERR_FORMAT, "new shape has dimension %d of %d", i,
                           shape[i]);
        } else {
            if (known > TL_MAX_BYTES / shape[i])
                return tl_fail(it, n, err, SL_ERR_FORMAT, "new shape is too large");
            known *= shape[i];
        }
    }
    if (wild >= 0) {
        if (x->count % known)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "%lld elements do not fit the new shape",
                           (long long)x->count);
        shape[wild] = (int32_t)(x->count / known);
        known *= shape[wild];
    }
    if (known != x->count)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "new shape holds %lld elements, the input %lld",
                       (long long)known, (long long)x->count);
    return tl_set_shape(it, n, out, rank, shape, err);
}

static void reshape_eval(tflite_interp *it, tl_node *n)
{
    tl_tensor *x = tl_input(it, n, 0), *out = tl_output(it, n, 0);
    if (out->data != x->data)
        memcpy(out->data, x->data, (size_t)out->count * sizeof(float));
}

const tl_kernel tl_kernel_reshape = {TFLITE_OP_RESHAPE, 17, reshape_prepare, reshape_eval};

/* --- CONCATENATION ------------------------------------------------------- */

typedef struct concat_state {
    int axis;
    int64_t outer; /* product of the dimensions before the axis */
} concat_state;

static sl_status concat_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    int n_in = n->op->n_inputs;
    sl_status st = tl_check_io(it, n, 1, 4096, 1, n_in, err);
    if (st)
        return st;
    st = tl_check_activation(it, n, n->op->opt.activation, err);
    if (st)
        return st;
    tl_tensor *first = tl_input(it, n, 0);
    int rank = first->rank, axis = n->op->opt.axis;
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis >= rank)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "axis %d of a rank-%d input", n->op->opt.axis,
                       rank);
    int32_t shape[TFLITE_MAX_RANK];
    memcpy(shape, first->shape, sizeof shape);
    int64_t along = 0;
    for (int i = 0; i < n_in; i++) {
        tl_tensor *t = tl_input(it, n, i);
        if (t->rank != rank)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "input %d has rank %d, input 0 rank %d", i,
                           t->rank, rank);
        for (int d = 0; d < rank; d++)
            if (d != axis && t->shape[d] != shape[d])
                return tl_fail(it, n, err, SL_ERR_FORMAT,
                               "input %d differs from input 0 in dimension %d", i, d);
        along += t->shape[axis];
    }
    if (along > INT32_MAX)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "concatenated axis is too long");
    shape[axis] = (int32_t)along;
    concat_state *s = tl_alloc_state(sizeof *s);
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    s->axis = axis;
    s->outer = 1;
    for (int d = 0; d < axis; d++)
        s->outer *= shape[d];
    return tl_set_shape(it, n, tl_output(it, n, 0), rank, shape, err);
}

static void concat_eval(tflite_interp *it, tl_node *n)
{
    const concat_state *s = n->state;
    tl_tensor *out = tl_output(it, n, 0);
    float *dst = out->data;
    for (int64_t o = 0; o < s->outer; o++) {
        for (int i = 0; i < n->op->n_inputs; i++) {
            tl_tensor *t = tl_input(it, n, i);
            int64_t block = t->count / s->outer;
            memcpy(dst, (const float *)t->data + o * block, (size_t)block * sizeof(float));
            dst += block;
        }
    }
    tl_apply_activation(n->op->opt.activation, out->data, out->count);
}

const tl_kernel tl_kernel_concatenation = {TFLITE_OP_CONCATENATION, 10, concat_prepare, concat_eval};

/* --- PAD ----------------------------------------------------------------- */

typedef struct pad_state {
    int rank;
    int32_t before[TFLITE_MAX_RANK];
} pad_state;

static sl_status pad_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 2, 2, 1, 1, err);
    if (st)
        return st;
    tl_tensor *x = tl_input(it, n, 0);
    const int32_t *p = NULL;
    int64_t len = 0;
    st = const_ints(it, n, 1, &p, &len, err);
    if (st)
        return st;
    tl_tensor *pt = tl_input(it, n, 1);
    if (pt->rank != 2 || pt->shape[0] != x->rank || pt->shape[1] != 2)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "paddings must be [%d,2] for a rank-%d input",
                       x->rank, x->rank);
    pad_state *s = tl_alloc_state(sizeof *s);
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    s->rank = x->rank;
    int32_t shape[TFLITE_MAX_RANK];
    for (int d = 0; d < x->rank; d++) {
        int64_t b = p[2 * d], a = p[2 * d + 1];
        if (b < 0 || a < 0 || b + a + x->shape[d] > INT32_MAX)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "padding %lld, %lld on dimension %d",
                           (long long)b, (long long)a, d);
        s->before[d] = (int32_t)b;
        shape[d] = (int32_t)(x->shape[d] + b + a);
    }
    return tl_set_shape(it, n, tl_output(it, n, 0), x->rank, shape, err);
}

static void pad_eval(tflite_interp *it, tl_node *n)
{
    const pad_state *s = n->state;
    tl_tensor *x = tl_input(it, n, 0), *out = tl_output(it, n, 0);
    float *dst = out->data;
    const float *src = x->data;
    memset(dst, 0, (size_t)out->count * sizeof(float));
    if (x->count == 0)
        return;
    int r = s->rank;
    if (r == 0) {
        dst[0] = src[0];
        return;
    }
    /* Copy the input one innermost row at a time. */
    int64_t row = x->shape[r - 1];
    int64_t rows = x->count / row;
    int64_t out_stride[TFLITE_MAX_RANK];
    out_stride[r - 1] = 1;
    for (int d = r - 2; d >= 0; d--)
        out_stride[d] = out_stride[d + 1] * out->shape[d + 1];
    for (int64_t i = 0; i < rows; i++) {
        int64_t rest = i, off = s->before[r - 1];
        for (int d = r - 2; d >= 0; d--) {
            int64_t c = rest % x->shape[d];
            rest /= x->shape[d];
            off += (c + s->before[d]) * out_stride[d];
        }
        memcpy(dst + off, src + i * row, (size_t)row * sizeof(float));
    }
}

const tl_kernel tl_kernel_pad = {TFLITE_OP_PAD, 22, pad_prepare, pad_eval};
