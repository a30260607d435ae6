/* Graph execution for the TFLite interpreter: operator checks, shape
 * inference, constant folding, the activation arena and invoke. */
#include "vision/tflite_interp.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/tflite_internal.h"

enum { ALIGN = 64 };

static const tl_kernel *const kernels[] = {
    &tl_kernel_add, &tl_kernel_concatenation, &tl_kernel_conv_2d, &tl_kernel_depthwise_conv_2d,
    &tl_kernel_dequantize, &tl_kernel_fully_connected, &tl_kernel_logistic,
    &tl_kernel_max_pool_2d, &tl_kernel_mean, &tl_kernel_pad, &tl_kernel_prelu,
    &tl_kernel_reshape, &tl_kernel_resize_bilinear,
};

const tl_kernel *tl_find_kernel(int code)
{
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i]->code == code)
            return kernels[i];
    return NULL;
}

static const char *op_label(const tflite_op *op, char *buf, size_t size)
{
    if (op->custom) {
        snprintf(buf, size, "custom operator '%s'", op->custom);
        return buf;
    }
    const char *name = tflite_op_name(op->code);
    if (name)
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "builtin operator %d", op->code);
    return buf;
}

sl_status tl_fail(const tflite_interp *it, const tl_node *n, sl_error *err, sl_status code,
                  const char *fmt, ...)
{
    char what[256], label[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return sl_fail(err, code, "%s: operator %d (%s): %s", it->model->path, n->index,
                   op_label(n->op, label, sizeof label), what);
}

tl_tensor *tl_input(tflite_interp *it, const tl_node *n, int i)
{
    if (i < 0 || i >= n->op->n_inputs || n->op->inputs[i] < 0)
        return NULL;
    return &it->tensors[n->op->inputs[i]];
}

tl_tensor *tl_output(tflite_interp *it, const tl_node *n, int i)
{
    if (i < 0 || i >= n->op->n_outputs)
        return NULL;
    return &it->tensors[n->op->outputs[i]];
}

sl_status tl_check_io(tflite_interp *it, const tl_node *n, int min_in, int max_in, int n_out,
                      int n_float, sl_error *err)
{
    const tflite_op *op = n->op;
    if (op->n_inputs < min_in || op->n_inputs > max_in) {
        if (min_in == max_in)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "%d inputs (%d expected)", op->n_inputs,
                           min_in);
        return tl_fail(it, n, err, SL_ERR_FORMAT, "%d inputs (%d to %d expected)", op->n_inputs,
                       min_in, max_in);
    }
    if (op->n_outputs != n_out)
        return tl_fail(it, n, err, SL_ERR_FORMAT, "%d outputs (%d expected)", op->n_outputs,
                       n_out);
    for (int i = 0; i < n_float && i < op->n_inputs; i++) {
        tl_tensor *t = tl_input(it, n, i);
        if (!t)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "input %d is missing", i);
        if (t->type != TFLITE_FLOAT32)
            return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "input %d ('%s') is %s, not FLOAT32",
                           i, t->info->name, tflite_type_name(t->type));
    }
    for (int i = 0; i < n_out; i++) {
        tl_tensor *t = tl_output(it, n, i);
        if (t->type != TFLITE_FLOAT32)
            return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "output %d ('%s') is %s, not FLOAT32",
                           i, t->info->name, tflite_type_name(t->type));
    }
    return SL_OK;
}

static void format_shape(char *buf, size_t size, int rank, const int32_t *shape)
{
    size_t at = 0;
    at += (size_t)snprintf(buf + at, size - at, "[");
    for (int i = 0; i < rank && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%d", i ? "," : "", shape[i]);
    if (at < size)
        snprintf(buf + at, size - at, "]");
}

sl_status tl_set_shape(tflite_interp *it, const tl_node *n, tl_tensor *t, int rank,
                       const int32_t *shape, sl_error *err)
{
    if (rank < 0 || rank > TFLITE_MAX_RANK)
        return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "output '%s' would have rank %d",
                       t->info->name, rank);
    int64_t count = 1;
    size_t esize = tflite_type_size(t->type);
    for (int i = 0; i < rank; i++) {
        if (shape[i] <= 0)
            return tl_fail(it, n, err, SL_ERR_FORMAT, "output '%s' would have dimension %d of %d",
                           t->info->name, i, shape[i]);
        if (count > TL_MAX_BYTES / (int64_t)esize / shape[i])
            return tl_fail(it, n, err, SL_ERR_LIMIT, "output '%s' would exceed %lld bytes",
                           t->info->name, (long long)TL_MAX_BYTES);
        count *= shape[i];
    }
    const tflite_tensor *f = t->info;
    bool same = f->rank == rank;
    for (int i = 0; same && i < rank; i++)
        same = f->shape[i] == shape[i];
    /* A rank-0 shape in the file means "unknown" for outputs of some
     * converters; a scalar result is then taken as inferred. */
    if (!same && f->rank != 0) {
        char want[96], have[96];
        format_shape(want, sizeof want, rank, shape);
        format_shape(have, sizeof have, f->rank, f->shape);
        return tl_fail(it, n, err, SL_ERR_FORMAT, "output '%s' has shape %s in the file, %s by the"
                       " operator's rules", f->name, have, want);
    }
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->shape[i] = shape[i];
    t->count = count;
    return SL_OK;
}

sl_status tl_request_scratch(tflite_interp *it, int64_t floats, sl_error *err)
{
    (void)err;
    /* Rounded so that every thread's slice starts on a cache line. */
    floats = (floats + 15) / 16 * 16;
    if (floats > it->scratch_floats)
        it->scratch_floats = floats;
    return SL_OK;
}

void *tl_alloc_state(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, ALIGN, bytes ? bytes : 1) != 0)
        return NULL;
    memset(p, 0, bytes);
    return p;
}

typedef struct parallel_job {
    int64_t n, align;
    tl_range_fn fn;
    void *ctx;
} parallel_job;

static void parallel_worker(void *ctx, int ith, int nth)
{
    parallel_job *job = ctx;
    int64_t b, e;
    thread_pool_split(job->n, job->align, ith, nth, &b, &e);
    if (b < e)
        job->fn(job->ctx, b, e, ith);
}

void tl_parallel(tflite_interp *it, int64_t n, int64_t align, int64_t min_per_thread,
                 tl_range_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (it->n_threads <= 1 || n < 2 * min_per_thread) {
        fn(ctx, 0, n, 0);
        return;
    }
    parallel_job job = {n, align, fn, ctx};
    /* Shares never wait for one another (scratch is per share, by ith): the
     * caller may run a share whose worker another process keeps off its core. */
    thread_pool_run_independent(it->pool, parallel_worker, &job);
}

bool tl_activation_range(tflite_activation act, float *lo, float *hi)
{
    switch (act) {
    case TFLITE_ACT_NONE: *lo = -INFINITY; *hi = INFINITY; return true;
    case TFLITE_ACT_RELU: *lo = 0.0f; *hi = INFINITY; return true;
    case TFLITE_ACT_RELU_N1_TO_1: *lo = -1.0f; *hi = 1.0f; return true;
    case TFLITE_ACT_RELU6: *lo = 0.0f; *hi = 6.0f; return true;
    default: *lo = -INFINITY; *hi = INFINITY; return false;
    }
}

sl_status tl_check_activation(const tflite_interp *it, const tl_node *n, tflite_activation act,
                              sl_error *err)
{
    float lo, hi;
    if (tl_activation_range(act, &lo, &hi) || act == TFLITE_ACT_TANH)
        return SL_OK;
    return tl_fail(it, n, err, SL_ERR_UNSUPPORTED, "fused activation %d is not supported",
                   (int)act);
}

void tl_apply_activation(tflite_activation act, float *data, int64_t count)
{
    if (act == TFLITE_ACT_TANH) {
        for (int64_t i = 0; i < count; i++)
            data[i] = tanhf(data[i]);
        return;
    }
    float lo, hi;
    if (!tl_activation_range(act, &lo, &hi) || act == TFLITE_ACT_NONE)
        return;
    for (int64_t i = 0; i < count; i++)
        data[i] = tl_clamp(data[i], lo, hi);
}

bool tl_conv_geometry(tflite_padding padding, int in, int k, int stride, int dilation, int *out,
                      int *pad_before)
{
    if (in <= 0 || k <= 0 || stride <= 0 || dilation <= 0)
        return false;
    int64_t k_eff = (int64_t)(k - 1) * dilation + 1;
    if (k_eff > INT32_MAX)
        return false;
    if (padding == TFLITE_PAD_SAME) {
        int64_t o = ((int64_t)in + stride - 1) / stride;
        int64_t total = (o - 1) * stride + k_eff - in;
        /* Keeps every input coordinate the kernels compute inside int. */
        if ((o - 1) * stride + k_eff > INT32_MAX / 2)
            return false;
        if (total < 0)
            total = 0;
        *out = (int)o;
        *pad_before = (int)(total / 2);
        return true;
    }
    if (padding == TFLITE_PAD_VALID) {
        if (k_eff > in || in > INT32_MAX / 2)
            return false;
        *out = (int)((in - k_eff) / stride + 1);
        *pad_before = 0;
        return true;
    }
    return false;
}

/* --- creation ----------------------------------------------------------- */

static sl_status keep_block(tflite_interp *it, void *p, size_t bytes, sl_error *err)
{
    if (it->n_const_blocks == it->cap_const_blocks) {
        int cap = it->cap_const_blocks ? 2 * it->cap_const_blocks : 64;
        void **b = realloc(it->const_blocks, sizeof *b * (size_t)cap);
        if (!b) {
            free(p);
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", it->model->path);
        }
        it->const_blocks = b;
        it->cap_const_blocks = cap;
    }
    it->const_blocks[it->n_const_blocks++] = p;
    it->const_bytes += bytes;
    return SL_OK;
}

/* Constant data gets its own aligned copy: the file's buffers carry no
 * alignment guarantee, and the kernels read floats directly. */
static sl_status load_constant(tflite_interp *it, tl_tensor *t, sl_error *err)
{
    const tflite_tensor *f = t->info;
    void *p = NULL;
    size_t bytes = (size_t)f->const_size;
    if (posix_memalign(&p, ALIGN, bytes ? bytes : 1) != 0)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for tensor '%s'", it->model->path,
                       f->name);
    memcpy(p, f->const_data, bytes);
    t->data = p;
    t->is_const = true;
    t->has_value = true;
    return keep_block(it, p, bytes, err);
}

static sl_status alloc_folded(tflite_interp *it, tl_tensor *t, sl_error *err)
{
    size_t bytes = (size_t)t->count * tflite_type_size(t->type);
    void *p = NULL;
    if (posix_memalign(&p, ALIGN, bytes ? bytes : 1) != 0)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for tensor '%s'", it->model->path,
                       t->info->name);
    memset(p, 0, bytes);
    t->data = p;
    t->is_const = true;
    return keep_block(it, p, bytes, err);
}

static sl_status prepare_nodes(tflite_interp *it, sl_error *err)
{
    const tflite_model *m = it->model;
    it->nodes = calloc((size_t)(m->n_ops ? m->n_ops : 1), sizeof *it->nodes);
    if (!it->nodes)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", m->path);

    for (int i = 0; i < m->n_ops; i++) {
        const tflite_op *op = &m->ops[i];
        tl_node node = {.index = i, .op = op};
        char label[96];
        node.kernel = op->custom ? NULL : tl_find_kernel(op->code);
        if (!node.kernel)
            return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: operator %d is %s, which this interpreter"
                           " does not implement", m->path, i, op_label(op, label, sizeof label));
        if (op->options_type != 0 && op->options_type != node.kernel->options_type)
            return tl_fail(it, &node, err, SL_ERR_FORMAT, "carries options of kind %d (%d"
                           " expected)", op->options_type, node.kernel->options_type);
        bool all_const = true;
        for (int k = 0; k < op->n_inputs; k++) {
            if (op->inputs[k] < 0)
                continue;
            tl_tensor *t = &it->tensors[op->inputs[k]];
            if (!t->has_value)
                return tl_fail(it, &node, err, SL_ERR_FORMAT,
                               "input %d ('%s') is read before any operator writes it", k,
                               t->info->name);
            all_const = all_const && t->is_const;
        }
        for (int k = 0; k < op->n_outputs; k++) {
            tl_tensor *t = &it->tensors[op->outputs[k]];
            if (t->has_value)
                return tl_fail(it, &node, err, SL_ERR_FORMAT, "output %d ('%s') is written twice"
                               " or is a constant", k, t->info->name);
        }
        sl_status st = node.kernel->prepare(it, &node, err);
        if (st) {
            free(node.state);
            return st;
        }
        if (all_const && op->n_inputs > 0) {
            /* Fold now: the result is a constant from here on. */
            for (int k = 0; k < op->n_outputs && !st; k++)
                st = alloc_folded(it, &it->tensors[op->outputs[k]], err);
            if (!st && it->scratch_floats > 0 && !it->scratch) {
                size_t bytes = (size_t)it->scratch_floats * sizeof(float) * (size_t)it->n_threads;
                void *p = NULL;
                if (posix_memalign(&p, ALIGN, bytes) != 0)
                    st = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", m->path);
                it->scratch = p;
            }
            if (!st)
                node.kernel->eval(it, &node);
            free(node.state);
            free(it->scratch);
            it->scratch = NULL;
            if (st)
                return st;
            for (int k = 0; k < op->n_outputs; k++)
                it->tensors[op->outputs[k]].has_value = true;
            continue;
        }
        for (int k = 0; k < op->n_outputs; k++) {
            tl_tensor *t = &it->tensors[op->outputs[k]];
            t->has_value = true;
            t->first = it->n_nodes;
            t->last = it->n_nodes;
        }
        for (int k = 0; k < op->n_inputs; k++)
            if (op->inputs[k] >= 0)
                it->tensors[op->inputs[k]].last = it->n_nodes;
        it->nodes[it->n_nodes++] = node;
    }
    for (int i = 0; i < m->n_outputs; i++) {
        tl_tensor *t = &it->tensors[m->outputs[i]];
        if (!t->has_value)
            return sl_fail(err, SL_ERR_FORMAT, "%s: output '%s' is never written", m->path,
                           t->info->name);
        if (t->type != TFLITE_FLOAT32)
            return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: output '%s' is %s, not FLOAT32", m->path,
                           t->info->name, tflite_type_name(t->type));
        t->last = it->n_nodes; /* read by the caller after the last node */
    }
    /* Inputs stay untouched by the run, so the caller may invoke again on
     * the same data. */
    for (int i = 0; i < m->n_inputs; i++)
        it->tensors[m->inputs[i]].last = it->n_nodes;
    return SL_OK;
}

typedef struct placed {
    int64_t offset, bytes;
    int first, last;
} placed;

static int by_size_desc(const void *a, const void *b)
{
    const tl_tensor *x = *(const tl_tensor *const *)a, *y = *(const tl_tensor *const *)b;
    int64_t bx = x->count, by = y->count;
    if (bx != by)
        return bx < by ? 1 : -1;
    return x->first - y->first;
}

/* Greedy placement, largest first: each tensor goes to the lowest offset
 * that overlaps no placed tensor alive at the same time. */
static sl_status plan_arena(tflite_interp *it, sl_error *err)
{
    const tflite_model *m = it->model;
    int n = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        tl_tensor *t = &it->tensors[i];
        if (t->has_value && !t->is_const && t->type == TFLITE_FLOAT32)
            n++;
    }
    tl_tensor **list = calloc((size_t)(n ? n : 1), sizeof *list);
    placed *done = calloc((size_t)(n ? n : 1), sizeof *done);
    if (!list || !done) {
        free(list);
        free(done);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", m->path);
    }
    n = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        tl_tensor *t = &it->tensors[i];
        if (t->has_value && !t->is_const && t->type == TFLITE_FLOAT32)
            list[n++] = t;
    }
    qsort(list, (size_t)n, sizeof *list, by_size_desc);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        tl_tensor *t = list[i];
        int64_t bytes = (t->count * 4 + ALIGN - 1) / ALIGN * ALIGN;
        if (bytes == 0)
            bytes = ALIGN;
        int64_t offset = 0;
        /* Restart the scan whenever a conflict moves the candidate up. */
        for (bool moved = true; moved;) {
            moved = false;
            for (int j = 0; j < i; j++) {
                const placed *p = &done[j];
                bool live_together = p->first <= t->last && t->first <= p->last;
                bool overlap = p->offset < offset + bytes && offset < p->offset + p->bytes;
                if (live_together && overlap) {
                    offset = p->offset + p->bytes;
                    moved = true;
                }
            }
        }
        done[i] = (placed){offset, bytes, t->first, t->last};
        t->offset = offset;
        if (offset + bytes > total)
            total = offset + bytes;
    }
    free(done);
    sl_status st = SL_OK;
    if (total > TL_MAX_BYTES)
        st = sl_fail(err, SL_ERR_LIMIT, "%s: activations need %lld bytes", m->path,
                     (long long)total);
    if (!st) {
        void *p = NULL;
        if (posix_memalign(&p, ALIGN, (size_t)(total ? total : ALIGN)) != 0)
            st = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %lld bytes of activations",
                         m->path, (long long)total);
        else {
            it->arena = p;
            it->arena_bytes = (size_t)total;
            memset(p, 0, (size_t)(total ? total : ALIGN));
            for (int i = 0; i < n; i++)
                list[i]->data = it->arena + list[i]->offset;
        }
    }
    free(list);
    return st;
}

sl_status tflite_interp_create(const tflite_model *model, thread_pool *pool, tflite_interp **out,
                               sl_error *err)
{
    *out = NULL;
    tflite_interp *it = calloc(1, sizeof *it);
    if (!it)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", model->path);
    it->model = model;
    it->pool = pool;
    it->n_threads = thread_pool_threads(pool);
    it->kern = tl_kern_select();
    it->tensors = calloc((size_t)(model->n_tensors ? model->n_tensors : 1), sizeof *it->tensors);
    sl_status st = SL_OK;
    if (!it->tensors) {
        st = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", model->path);
        goto fail;
    }
    for (int i = 0; i < model->n_tensors && !st; i++) {
        tl_tensor *t = &it->tensors[i];
        const tflite_tensor *f = &model->tensors[i];
        t->info = f;
        t->type = f->type;
        t->rank = f->rank;
        memcpy(t->shape, f->shape, sizeof t->shape);
        t->count = f->count;
        t->offset = -1;
        if (f->is_variable || f->sparse)
            continue; /* rejected if an operator touches them: it sees no value */
        if (f->const_data)
            st = load_constant(it, t, err);
    }
    if (st)
        goto fail;
    if (model->n_inputs < 1) {
        st = sl_fail(err, SL_ERR_FORMAT, "%s: the graph has no input", model->path);
        goto fail;
    }
    for (int i = 0; i < model->n_inputs; i++) {
        tl_tensor *t = &it->tensors[model->inputs[i]];
        if (t->type != TFLITE_FLOAT32 || t->is_const || t->info->rank == 0) {
            st = sl_fail(err, SL_ERR_UNSUPPORTED, "%s: input '%s' is not a FLOAT32 tensor of"
                         " known shape", model->path, t->info->name);
            goto fail;
        }
        if (t->count == 0) {
            st = sl_fail(err, SL_ERR_FORMAT, "%s: input '%s' has an empty dimension", model->path,
                         t->info->name);
            goto fail;
        }
        if (t->count * 4 > TL_MAX_BYTES) {
            st = sl_fail(err, SL_ERR_LIMIT, "%s: input '%s' is too large", model->path,
                         t->info->name);
            goto fail;
        }
        t->is_input = true;
        t->has_value = true;
        t->first = -1;
        t->last = -1;
    }
    st = prepare_nodes(it, err);
    if (!st)
        st = plan_arena(it, err);
    if (!st && it->scratch_floats > 0) {
        size_t bytes = (size_t)it->scratch_floats * sizeof(float) * (size_t)it->n_threads;
        void *p = NULL;
        if (posix_memalign(&p, ALIGN, bytes) != 0)
            st = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for scratch", model->path);
        it->scratch = p;
    }
    if (st)
        goto fail;
    *out = it;
    return SL_OK;
fail:
    tflite_interp_free(it);
    return st;
}

void tflite_interp_free(tflite_interp *it)
{
    if (!it)
        return;
    for (int i = 0; i < it->n_nodes; i++)
        free(it->nodes[i].state);
    free(it->nodes);
    for (int i = 0; i < it->n_const_blocks; i++)
        free(it->const_blocks[i]);
    free(it->const_blocks);
    free(it->arena);
    free(it->scratch);
    free(it->tensors);
    free(it);
}

int tflite_interp_input_count(const tflite_interp *it)
{
    return it->model->n_inputs;
}

int tflite_interp_output_count(const tflite_interp *it)
{
    return it->model->n_outputs;
}

static tflite_io io_of(const tl_tensor *t)
{
    return (tflite_io){t->info->name, t->rank, t->shape, t->count, t->data};
}

tflite_io tflite_interp_input(const tflite_interp *it, int i)
{
    if (i < 0 || i >= it->model->n_inputs)
        return (tflite_io){0};
    return io_of(&it->tensors[it->model->inputs[i]]);
}

tflite_io tflite_interp_output(const tflite_interp *it, int i)
{
    if (i < 0 || i >= it->model->n_outputs)
        return (tflite_io){0};
    return io_of(&it->tensors[it->model->outputs[i]]);
}

sl_status tflite_interp_invoke(tflite_interp *it, sl_error *err)
{
    (void)err;
    for (int i = 0; i < it->n_nodes; i++)
        it->nodes[i].kernel->eval(it, &it->nodes[i]);
    return SL_OK;
}

size_t tflite_interp_arena_bytes(const tflite_interp *it)
{
    return it->arena_bytes;
}

size_t tflite_interp_const_bytes(const tflite_interp *it)
{
    return it->const_bytes;
}
