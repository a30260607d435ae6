/* Internals of the TFLite interpreter shared by the graph code and the
 * operator files. Not part of the public API. */
#ifndef SIGHTLINE_VISION_TFLITE_INTERNAL_H
#define SIGHTLINE_VISION_TFLITE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/threadpool.h"
#include "vision/tflite.h"
#include "vision/tflite_interp.h"
#include "vision/tflite_kern.h"

/* A tensor as the interpreter sees it: its inferred shape and where its data
 * lives (a constant buffer or the activation arena). */
typedef struct tl_tensor {
    const tflite_tensor *info;
    tflite_type type;
    int rank;
    int32_t shape[TFLITE_MAX_RANK];
    int64_t count;
    void *data;
    bool is_const;    /* data fixed at creation (file constant or folded) */
    bool is_input;    /* a graph input */
    bool has_value;   /* an input, a constant or written by an earlier operator */
    int first, last;  /* node indices of its lifetime (activations) */
    int64_t offset;   /* in the arena, bytes; -1 when not there */
} tl_tensor;

typedef struct tl_node tl_node;

typedef struct tl_kernel {
    int code;
    int options_type; /* the BuiltinOptions tag its options must have (0: none expected) */
    /* Checks inputs, sets the outputs' shapes (tl_set_shape) and builds the
     * node's state (one malloc'ed block, released with free). */
    sl_status (*prepare)(tflite_interp *it, tl_node *node, sl_error *err);
    void (*eval)(tflite_interp *it, tl_node *node);
} tl_kernel;

struct tl_node {
    int index; /* operator index in the model */
    const tflite_op *op;
    const tl_kernel *kernel;
    void *state;
};

struct tflite_interp {
    const tflite_model *model;
    thread_pool *pool;
    int n_threads;
    const tl_kern_table *kern; /* convolution kernels for this CPU */
    tl_tensor *tensors;
    tl_node *nodes; /* the operators left to run on every invoke */
    int n_nodes;
    uint8_t *arena;
    size_t arena_bytes;
    size_t const_bytes;
    void **const_blocks; /* buffers of constants and folded outputs */
    int n_const_blocks, cap_const_blocks;
    float *scratch;       /* n_threads slices of scratch_floats each */
    int64_t scratch_floats;
};

/* Every runtime tensor's element count and the arena stay below this. */
#define TL_MAX_BYTES (1ll << 30)

/* The operators, one per file group (tflite_ops_*.c). */
extern const tl_kernel tl_kernel_add, tl_kernel_concatenation, tl_kernel_conv_2d,
    tl_kernel_depthwise_conv_2d, tl_kernel_dequantize, tl_kernel_fully_connected,
    tl_kernel_logistic, tl_kernel_max_pool_2d, tl_kernel_mean, tl_kernel_pad, tl_kernel_prelu,
    tl_kernel_reshape, tl_kernel_resize_bilinear;

/* Looks up a kernel; NULL when the operator is not implemented. */
const tl_kernel *tl_find_kernel(int code);

/* The runtime tensor behind input/output i of a node; NULL for an omitted
 * optional input (or an index past the operator's list). */
tl_tensor *tl_input(tflite_interp *it, const tl_node *n, int i);
tl_tensor *tl_output(tflite_interp *it, const tl_node *n, int i);

/* An error about a node: "MODEL: operator 12 (CONV_2D): ...". */
sl_status tl_fail(const tflite_interp *it, const tl_node *n, sl_error *err, sl_status code,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Checks counts and element types of a node's inputs and outputs: every
 * listed input i < n_float must be FLOAT32 and present. */
sl_status tl_check_io(tflite_interp *it, const tl_node *n, int min_in, int max_in, int n_out,
                      int n_float, sl_error *err);

/* Sets a tensor's inferred shape; fails when it disagrees with the file's
 * (a shape the file leaves empty is taken as given) or is too large. */
sl_status tl_set_shape(tflite_interp *it, const tl_node *n, tl_tensor *t, int rank,
                       const int32_t *shape, sl_error *err);

/* Reserves per-thread scratch of at least `floats` floats for eval. */
sl_status tl_request_scratch(tflite_interp *it, int64_t floats, sl_error *err);
static inline float *tl_scratch(tflite_interp *it, int ith)
{
    return it->scratch + (int64_t)ith * it->scratch_floats;
}

/* Aligned allocation of the node's state; zeroed. Freed with free(). */
void *tl_alloc_state(size_t bytes);

/* Runs fn(ctx, begin, end) over [0, n) split between the pool's threads in
 * chunks aligned to `align`; runs inline when the work is small. */
typedef void (*tl_range_fn)(void *ctx, int64_t begin, int64_t end, int ith);
void tl_parallel(tflite_interp *it, int64_t n, int64_t align, int64_t min_per_thread,
                 tl_range_fn fn, void *ctx);

/* The clamp a fused activation applies; false for TANH and SIGN_BIT, which
 * are not clamps. */
bool tl_activation_range(tflite_activation act, float *lo, float *hi);

/* Clamp written with comparisons, which gcc vectorises (fminf/fmaxf become
 * library calls without -ffast-math). */
static inline float tl_clamp(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* Validates a fused activation: a clamp, or TANH (applied by tl_apply_tanh). */
sl_status tl_check_activation(const tflite_interp *it, const tl_node *n, tflite_activation act,
                              sl_error *err);
void tl_apply_activation(tflite_activation act, float *data, int64_t count);

/* Output size and leading padding of one spatial axis, TFLite's rules:
 * SAME: out = ceil(in / stride), total padding max((out-1)*stride + k_eff - in, 0),
 * half (rounded down) before; VALID: out = floor((in - k_eff) / stride) + 1. */
bool tl_conv_geometry(tflite_padding padding, int in, int k, int stride, int dilation, int *out,
                      int *pad_before);

#endif
