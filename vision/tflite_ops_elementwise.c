/* Element-wise operators: ADD, PRELU, LOGISTIC, DEQUANTIZE. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision/tflite_fp16.h"
#include "vision/tflite_internal.h"

/* Two inputs broadcast against each other, NumPy's rules (shapes aligned at
 * the right; a dimension of 1 repeats). */
typedef struct broadcast {
    int rank;
    int32_t shape[TFLITE_MAX_RANK];
    int64_t stride_a[TFLITE_MAX_RANK], stride_b[TFLITE_MAX_RANK];
    enum { BC_SAME, BC_B_PER_CHANNEL, BC_GENERAL } kind;
} broadcast;

static bool broadcast_shapes(const tl_tensor *a, const tl_tensor *b, broadcast *bc)
{
    int rank = a->rank > b->rank ? a->rank : b->rank;
    int64_t sa = 1, sb = 1;
    bc->rank = rank;
    for (int i = rank - 1; i >= 0; i--) {
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        int32_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        bc->shape[i] = da > db ? da : db;
        bc->stride_a[i] = da == 1 ? 0 : sa;
        bc->stride_b[i] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
    }
    bool same = a->count == b->count && a->rank == b->rank;
    for (int i = 0; same && i < a->rank; i++)
        same = a->shape[i] == b->shape[i];
    int64_t out_count = 1;
    for (int i = 0; i < rank; i++)
        out_count *= bc->shape[i];
    if (same)
        bc->kind = BC_SAME;
    else if (rank > 0 && a->count == out_count && b->count == bc->shape[rank - 1])
        bc->kind = BC_B_PER_CHANNEL;
    else
        bc->kind = BC_GENERAL;
    return true;
}

/* Offsets into a and b of flat output index i. */
static void broadcast_offsets(const broadcast *bc, int64_t i, int64_t *oa, int64_t *ob)
{
    int64_t a = 0, b = 0;
    for (int d = bc->rank - 1; d >= 0; d--) {
        int64_t c = i % bc->shape[d];
        i /= bc->shape[d];
        a += c * bc->stride_a[d];
        b += c * bc->stride_b[d];
    }
    *oa = a;
    *ob = b;
}

/* --- ADD ----------------------------------------------------------------- */

typedef struct add_state {
    broadcast bc;
    float lo, hi;
} add_state;

static sl_status add_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 2, 2, 1, 2, err);
    if (st)
        return st;
    st = tl_check_activation(it, n, n->op->opt.activation, err);
    if (st)
        return st;
    tl_tensor *a = tl_input(it, n, 0), *b = tl_input(it, n, 1);
    add_state *s = tl_alloc_state(sizeof *s);
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    if (!broadcast_shapes(a, b, &s->bc))
        return tl_fail(it, n, err, SL_ERR_FORMAT, "inputs '%s' and '%s' do not broadcast",
                       a->info->name, b->info->name);
    tl_activation_range(n->op->opt.activation, &s->lo, &s->hi);
    return tl_set_shape(it, n, tl_output(it, n, 0), s->bc.rank, s->bc.shape, err);
}

typedef struct add_job {
    const add_state *s;
    const float *a, *b;
    float *out;
    int64_t channels;
} add_job;

static void add_range(void *ctx, int64_t begin, int64_t end, int ith)
{
    (void)ith;
    const add_job *j = ctx;
    const add_state *s = j->s;
    const float *restrict a = j->a, *restrict b = j->b;
    float *restrict out = j->out;
    float lo = s->lo, hi = s->hi;
    switch (s->bc.kind) {
    case BC_SAME:
        for (int64_t i = begin; i < end; i++)
            out[i] = tl_clamp(a[i] + b[i], lo, hi);
        break;
    case BC_B_PER_CHANNEL:
        for (int64_t i = begin; i < end; i++)
            out[i] = tl_clamp(a[i] + b[i % j->channels], lo, hi);
        break;
    case BC_GENERAL:
        for (int64_t i = begin; i < end; i++) {
            int64_t oa, ob;
            broadcast_offsets(&s->bc, i, &oa, &ob);
            out[i] = tl_clamp(a[oa] + b[ob], lo, hi);
        }
        break;
    }
}

static void add_eval(tflite_interp *it, tl_node *n)
{
    const add_state *s = n->state;
    tl_tensor *out = tl_output(it, n, 0);
    add_job j = {s, tl_input(it, n, 0)->data, tl_input(it, n, 1)->data, out->data,
                 s->bc.rank ? s->bc.shape[s->bc.rank - 1] : 1};
    tl_parallel(it, out->count, 64, 16384, add_range, &j);
    if (n->op->opt.activation == TFLITE_ACT_TANH)
        tl_apply_activation(TFLITE_ACT_TANH, out->data, out->count);
}

const tl_kernel tl_kernel_add = {TFLITE_OP_ADD, 11, add_prepare, add_eval};

/* --- PRELU --------------------------------------------------------------- */

static sl_status prelu_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 2, 2, 1, 2, err);
    if (st)
        return st;
    tl_tensor *x = tl_input(it, n, 0), *alpha = tl_input(it, n, 1);
    add_state *s = tl_alloc_state(sizeof *s); /* lo and hi unused */
    if (!s)
        return tl_fail(it, n, err, SL_ERR_NOMEM, "out of memory");
    n->state = s;
    if (!broadcast_shapes(x, alpha, &s->bc))
        return tl_fail(it, n, err, SL_ERR_FORMAT, "alpha '%s' does not broadcast to the input",
                       alpha->info->name);
    return tl_set_shape(it, n, tl_output(it, n, 0), s->bc.rank, s->bc.shape, err);
}

static void prelu_range(void *ctx, int64_t begin, int64_t end, int ith)
{
    (void)ith;
    const add_job *j = ctx; /* same fields: input, alpha, output */
    const float *restrict x = j->a, *restrict alpha = j->b;
    float *restrict out = j->out;
    switch (j->s->bc.kind) {
    /* max(x, 0) + alpha * min(x, 0): gcc vectorises this form (min and max),
     * not a select; equal to TFLite's x >= 0 ? x : alpha * x for finite alpha. */
    case BC_SAME:
        for (int64_t i = begin; i < end; i++) {
            float v = x[i], pos = v < 0.0f ? 0.0f : v, neg = v > 0.0f ? 0.0f : v;
            out[i] = pos + neg * alpha[i];
        }
        break;
    case BC_B_PER_CHANNEL: {
        int64_t c = j->channels;
        int64_t i = begin;
        /* Whole pixels in a vectorisable loop, partial ones around them. */
        for (; i < end && i % c; i++)
            out[i] = x[i] >= 0.0f ? x[i] : x[i] * alpha[i % c];
        for (; i + c <= end; i += c)
            for (int64_t k = 0; k < c; k++) {
                float v = x[i + k], pos = v < 0.0f ? 0.0f : v, neg = v > 0.0f ? 0.0f : v;
                out[i + k] = pos + neg * alpha[k];
            }
        for (; i < end; i++)
            out[i] = x[i] >= 0.0f ? x[i] : x[i] * alpha[i % c];
        break;
    }
    case BC_GENERAL:
        for (int64_t i = begin; i < end; i++) {
            int64_t ox, oa;
            broadcast_offsets(&j->s->bc, i, &ox, &oa);
            out[i] = x[ox] >= 0.0f ? x[ox] : x[ox] * alpha[oa];
        }
        break;
    }
}

static void prelu_eval(tflite_interp *it, tl_node *n)
{
    const add_state *s = n->state;
    tl_tensor *out = tl_output(it, n, 0);
    add_job j = {s, tl_input(it, n, 0)->data, tl_input(it, n, 1)->data,
                 out->data, s->bc.rank ? s->bc.shape[s->bc.rank - 1] : 1};
    tl_parallel(it, out->count, 64, 16384, prelu_range, &j);
}

const tl_kernel tl_kernel_prelu = {TFLITE_OP_PRELU, 0, prelu_prepare, prelu_eval};

/* --- LOGISTIC ------------------------------------------------------------ */

static sl_status logistic_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 1, 1, 1, 1, err);
    if (st)
        return st;
    tl_tensor *x = tl_input(it, n, 0);
    return tl_set_shape(it, n, tl_output(it, n, 0), x->rank, x->shape, err);
}

static void logistic_eval(tflite_interp *it, tl_node *n)
{
    const float *x = tl_input(it, n, 0)->data;
    tl_tensor *out = tl_output(it, n, 0);
    float *y = out->data;
    for (int64_t i = 0; i < out->count; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}

const tl_kernel tl_kernel_logistic = {TFLITE_OP_LOGISTIC, 0, logistic_prepare, logistic_eval};

/* --- DEQUANTIZE ---------------------------------------------------------- */

static sl_status dequantize_prepare(tflite_interp *it, tl_node *n, sl_error *err)
{
    sl_status st = tl_check_io(it, n, 1, 1, 1, 0, err);
    if (st)
        return st;
    tl_tensor *x = tl_input(it, n, 0);
    if (!x)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "input 0 is missing");
    switch (x->type) {
    case TFLITE_FLOAT16:
        break;
    case TFLITE_INT8:
    case TFLITE_UINT8:
        if (!x->info->quantized || x->info->per_channel)
            return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "input '%s' needs one scale and zero"
                           " point (per-channel dequantization is not supported)", x->info->name);
        if (x->info->q_zero_point < -65536 || x->info->q_zero_point > 65536)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "input '%s' has zero point %lld",
                           x->info->name, (long long)x->info->q_zero_point);
        break;
    default:
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "cannot dequantize %s input '%s'",
                       tflite_type_name(x->type), x->info->name);
    }
    return tl_set_shape(it, n, tl_output(it, n, 0), x->rank, x->shape, err);
}

static void dequantize_eval(tflite_interp *it, tl_node *n)
{
    tl_tensor *x = tl_input(it, n, 0);
    tl_tensor *out = tl_output(it, n, 0);
    float *y = out->data;
    if (x->type == TFLITE_FLOAT16) {
        const uint16_t *h = x->data;
        for (int64_t i = 0; i < out->count; i++)
            y[i] = tl_fp16_to_f32(h[i]);
        return;
    }
    float scale = x->info->q_scale;
    int64_t zp = x->info->q_zero_point;
    if (x->type == TFLITE_INT8) {
        const int8_t *q = x->data;
        for (int64_t i = 0; i < out->count; i++)
            y[i] = (float)((int64_t)q[i] - zp) * scale;
    } else {
        const uint8_t *q = x->data;
        for (int64_t i = 0; i < out->count; i++)
            y[i] = (float)((int64_t)q[i] - zp) * scale;
    }
}

const tl_kernel tl_kernel_dequantize = {TFLITE_OP_DEQUANTIZE, 38, dequantize_prepare,
                                        dequantize_eval};
