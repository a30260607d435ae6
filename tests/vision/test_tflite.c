/* TFLite reader and interpreter: operators against naive references and
 * hand-computed values, every SIMD level and 1-2 threads; hostile files;
 * the four MediaPipe hand models against TensorFlow Lite's recorded outputs. */
#include "vision/vision.h"
#include "vision/tflite_kern.h"
#include "tests/support.h"
#include "tests/vision/tflite_builder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers --------------------------------------------------------------- */

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}
static float rndf(void) /* [-1, 1) */
{
    return (float)(rnd() >> 8) / 8388608.0f - 1.0f;
}

static const char *const isas[] = {"scalar", "avx2", "avx512"};
enum { N_ISAS = 3 };

/* A model built, parsed and ready to run. */
typedef struct runner {
    tflite_model *model;
    tflite_interp *it;
    thread_pool *pool;
    sl_error err;
    sl_status st;
} runner;

static sl_status runner_open(runner *r, const tb_model *tm, const char *isa, int threads)
{
    memset(r, 0, sizeof *r);
    size_t size;
    uint8_t *file = tb_build(tm, &size);
    r->st = tflite_model_parse(file, size, "test.tflite", &r->model, &r->err);
    free(file);
    if (r->st)
        return r->st;
    if (threads > 1 && (r->st = thread_pool_create(threads, &r->pool, &r->err)))
        return r->st;
    if (isa)
        setenv("SIGHTLINE_SIMD", isa, 1);
    r->st = tflite_interp_create(r->model, r->pool, &r->it, &r->err);
    unsetenv("SIGHTLINE_SIMD");
    return r->st;
}

static void runner_close(runner *r)
{
    tflite_interp_free(r->it);
    tflite_model_free(r->model);
    thread_pool_destroy(r->pool);
    memset(r, 0, sizeof *r);
}

static tb_tensor act(const char *name, int rank, int d0, int d1, int d2, int d3)
{
    tb_tensor t = {.name = name, .type = TFLITE_FLOAT32, .rank = rank};
    int32_t d[4] = {d0, d1, d2, d3};
    for (int i = 0; i < rank; i++)
        t.shape[i] = d[i];
    return t;
}

static tb_tensor konst(const char *name, int type, int rank, const int32_t *shape,
                       const void *data, size_t bytes)
{
    tb_tensor t = {.name = name, .type = type, .rank = rank, .data = data, .data_size = bytes};
    for (int i = 0; i < rank; i++)
        t.shape[i] = shape[i];
    return t;
}

static tb_opt u8opt(int slot, int v)
{
    return (tb_opt){.slot = slot, .kind = TB_U8, .value = v};
}
static tb_opt i32opt(int slot, int v)
{
    return (tb_opt){.slot = slot, .kind = TB_I32, .value = v};
}

static void fill_input(tflite_interp *it, int i, const float *values)
{
    tflite_io in = tflite_interp_input(it, i);
    memcpy(in.data, values, (size_t)in.count * sizeof(float));
}

/* --- convolutions against a naive reference ------------------------------- */

typedef struct conv_case {
    int depthwise, batch, h, w, cin, cout, kh, kw, sh, sw, dh, dw, padding, act;
} conv_case;

static int geom(int padding, int in, int k, int s, int d, int *pad)
{
    int keff = (k - 1) * d + 1;
    if (padding == TFLITE_PAD_SAME) {
        int out = (in + s - 1) / s;
        int total = (out - 1) * s + keff - in;
        *pad = total > 0 ? total / 2 : 0;
        return out;
    }
    *pad = 0;
    return in >= keff ? (in - keff) / s + 1 : 0;
}

static void naive_conv(const conv_case *c, const float *in, const float *w, const float *bias,
                       float *out, int oh, int ow, int pt, int pl)
{
    int mult = c->depthwise ? c->cout / c->cin : 1;
    for (int b = 0; b < c->batch; b++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int oc = 0; oc < c->cout; oc++) {
                    double acc = bias[oc];
                    for (int ky = 0; ky < c->kh; ky++)
                        for (int kx = 0; kx < c->kw; kx++) {
                            int iy = oy * c->sh - pt + ky * c->dh, ix = ox * c->sw - pl + kx * c->dw;
                            if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
                                continue;
                            const float *px = in + (((int64_t)b * c->h + iy) * c->w + ix) * c->cin;
                            if (c->depthwise) {
                                acc += (double)px[oc / mult] *
                                       w[((int64_t)ky * c->kw + kx) * c->cout + oc];
                            } else {
                                for (int ic = 0; ic < c->cin; ic++)
                                    acc += (double)px[ic] *
                                           w[(((int64_t)oc * c->kh + ky) * c->kw + kx) * c->cin + ic];
                            }
                        }
                    float v = (float)acc;
                    if (c->act == TFLITE_ACT_RELU6)
                        v = fminf(fmaxf(v, 0.0f), 6.0f);
                    else if (c->act == TFLITE_ACT_RELU)
                        v = fmaxf(v, 0.0f);
                    out[(((int64_t)b * oh + oy) * ow + ox) * c->cout + oc] = v;
                }
}

static void check_conv_case(const conv_case *c)
{
    int pt, pl;
    int oh = geom(c->padding, c->h, c->kh, c->sh, c->dh, &pt);
    int ow = geom(c->padding, c->w, c->kw, c->sw, c->dw, &pl);
    if (oh <= 0 || ow <= 0)
        return;
    int64_t n_in = (int64_t)c->batch * c->h * c->w * c->cin;
    int64_t n_w = c->depthwise ? (int64_t)c->kh * c->kw * c->cout
                               : (int64_t)c->cout * c->kh * c->kw * c->cin;
    int64_t n_out = (int64_t)c->batch * oh * ow * c->cout;
    float *in = malloc(sizeof(float) * n_in), *w = malloc(sizeof(float) * n_w);
    float *bias = malloc(sizeof(float) * c->cout), *expect = malloc(sizeof(float) * n_out);
    for (int64_t i = 0; i < n_in; i++)
        in[i] = rndf();
    for (int64_t i = 0; i < n_w; i++)
        w[i] = rndf();
    for (int i = 0; i < c->cout; i++)
        bias[i] = rndf();
    naive_conv(c, in, w, bias, expect, oh, ow, pt, pl);

    tb_model m = {.n_tensors = 4, .n_ops = 1, .n_in = 1, .n_out = 1, .in = {0}, .out = {3}};
    m.t[0] = act("in", 4, c->batch, c->h, c->w, c->cin);
    int32_t wshape[4] = {c->depthwise ? 1 : c->cout, c->kh, c->kw,
                         c->depthwise ? c->cout : c->cin};
    m.t[1] = konst("w", TFLITE_FLOAT32, 4, wshape, w, sizeof(float) * n_w);
    int32_t bshape[1] = {c->cout};
    m.t[2] = konst("b", TFLITE_FLOAT32, 1, bshape, bias, sizeof(float) * c->cout);
    m.t[3] = act("out", 4, c->batch, oh, ow, c->cout);
    tb_op *op = &m.ops[0];
    *op = (tb_op){.code = c->depthwise ? TFLITE_OP_DEPTHWISE_CONV_2D : TFLITE_OP_CONV_2D,
                  .n_in = 3, .n_out = 1, .in = {0, 1, 2}, .out = {3},
                  .opt_type = c->depthwise ? 2 : 1};
    if (c->depthwise) {
        op->n_opt = 7;
        op->opt[0] = u8opt(0, c->padding);
        op->opt[1] = i32opt(1, c->sw);
        op->opt[2] = i32opt(2, c->sh);
        op->opt[3] = i32opt(3, c->cout / c->cin);
        op->opt[4] = u8opt(4, c->act);
        op->opt[5] = i32opt(5, c->dw);
        op->opt[6] = i32opt(6, c->dh);
    } else {
        op->n_opt = 6;
        op->opt[0] = u8opt(0, c->padding);
        op->opt[1] = i32opt(1, c->sw);
        op->opt[2] = i32opt(2, c->sh);
        op->opt[3] = u8opt(3, c->act);
        op->opt[4] = i32opt(4, c->dw);
        op->opt[5] = i32opt(5, c->dh);
    }
    for (int k = 0; k < N_ISAS; k++) {
        if (!tl_kern_by_name(isas[k]))
            continue;
        for (int threads = 1; threads <= 2; threads++) {
            runner r;
            if (runner_open(&r, &m, isas[k], threads)) {
                fail_msg("%s", r.err.msg);
            }
            fill_input(r.it, 0, in);
            assert_int_equal(tflite_interp_invoke(r.it, &r.err), SL_OK);
            tflite_io out = tflite_interp_output(r.it, 0);
            assert_int_equal(out.count, n_out);
            for (int64_t i = 0; i < n_out; i++) {
                float tol = 1e-5f * (float)(c->kh * c->kw * (c->depthwise ? 1 : c->cin)) + 1e-5f;
                if (fabsf(out.data[i] - expect[i]) > tol)
                    fail_msg("%s conv dw=%d %dx%dx%d->%d k%dx%d s%dx%d d%dx%d pad%d, %s %d threads:"
                             " [%lld] %g vs %g", c->depthwise ? "depthwise" : "plain", c->depthwise,
                             c->h, c->w, c->cin, c->cout, c->kh, c->kw, c->sh, c->sw, c->dh, c->dw,
                             c->padding, isas[k], threads, (long long)i, out.data[i], expect[i]);
            }
            runner_close(&r);
        }
    }
    free(in);
    free(w);
    free(bias);
    free(expect);
}

static void test_conv_matches_naive(void **state)
{
    (void)state;
    /* The shapes of the hand models first, then random ones. */
    static const conv_case fixed[] = {
        {0, 1, 12, 12, 3, 24, 3, 3, 2, 2, 1, 1, TFLITE_PAD_SAME, TFLITE_ACT_RELU6},
        {0, 1, 11, 11, 3, 32, 5, 5, 2, 2, 1, 1, TFLITE_PAD_SAME, TFLITE_ACT_NONE},
        {0, 1, 7, 9, 48, 40, 1, 1, 1, 1, 1, 1, TFLITE_PAD_VALID, TFLITE_ACT_RELU6},
        {0, 2, 5, 4, 20, 17, 1, 1, 1, 1, 1, 1, TFLITE_PAD_SAME, TFLITE_ACT_RELU},
        {1, 1, 9, 9, 40, 40, 5, 5, 1, 1, 1, 1, TFLITE_PAD_SAME, TFLITE_ACT_NONE},
        {1, 1, 10, 10, 70, 70, 3, 3, 2, 2, 1, 1, TFLITE_PAD_SAME, TFLITE_ACT_RELU6},
        {1, 1, 8, 7, 3, 6, 3, 3, 1, 1, 2, 2, TFLITE_PAD_SAME, TFLITE_ACT_NONE},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_conv_case(&fixed[i]);
    rng_state = 777;
    for (int i = 0; i < 40; i++) {
        conv_case c = {0};
        c.depthwise = (int)(rnd() % 2);
        c.batch = 1 + (int)(rnd() % 2);
        c.h = 1 + (int)(rnd() % 9);
        c.w = 1 + (int)(rnd() % 9);
        c.cin = 1 + (int)(rnd() % 37);
        c.cout = c.depthwise ? c.cin * (1 + (int)(rnd() % 2)) : 1 + (int)(rnd() % 45);
        c.kh = 1 + (int)(rnd() % 5);
        c.kw = 1 + (int)(rnd() % 5);
        c.sh = 1 + (int)(rnd() % 3);
        c.sw = 1 + (int)(rnd() % 3);
        c.dh = 1 + (int)(rnd() % 2);
        c.dw = 1 + (int)(rnd() % 2);
        c.padding = (int)(rnd() % 2);
        c.act = (int)(rnd() % 2) ? TFLITE_ACT_RELU6 : TFLITE_ACT_NONE;
        check_conv_case(&c);
    }
}

/* SAME padding puts the odd cell after: a 3x3 stride-2 window on a 4x4 input
 * pads 0 rows before and 1 after, so with all ones the sums are 9, 6, 6, 4. */
static void test_same_padding_is_asymmetric(void **state)
{
    (void)state;
    static const float ones9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const float zero[1] = {0};
    tb_model m = {.n_tensors = 4, .n_ops = 1, .n_in = 1, .n_out = 1, .in = {0}, .out = {3}};
    m.t[0] = act("in", 4, 1, 4, 4, 1);
    m.t[1] = konst("w", TFLITE_FLOAT32, 4, (int32_t[]){1, 3, 3, 1}, ones9, sizeof ones9);
    m.t[2] = konst("b", TFLITE_FLOAT32, 1, (int32_t[]){1}, zero, sizeof zero);
    m.t[3] = act("out", 4, 1, 2, 2, 1);
    m.ops[0] = (tb_op){.code = TFLITE_OP_CONV_2D, .n_in = 3, .n_out = 1, .in = {0, 1, 2},
                       .out = {3}, .opt_type = 1, .n_opt = 3,
                       .opt = {u8opt(0, TFLITE_PAD_SAME), i32opt(1, 2), i32opt(2, 2)}};
    runner r;
    if (runner_open(&r, &m, NULL, 1))
        fail_msg("%s", r.err.msg);
    float in[16];
    for (int i = 0; i < 16; i++)
        in[i] = 1.0f;
    fill_input(r.it, 0, in);
    assert_int_equal(tflite_interp_invoke(r.it, &r.err), SL_OK);
    const float *o = tflite_interp_output(r.it, 0).data;
    assert_float_equal(o[0], 9.0f, 0.0f);
    assert_float_equal(o[1], 6.0f, 0.0f);
    assert_float_equal(o[2], 6.0f, 0.0f);
    assert_float_equal(o[3], 4.0f, 0.0f);
    runner_close(&r);
}

/* --- other operators, hand-computed -------------------------------------- */

static void run_single(tb_model *m, const float *const *inputs, runner *r)
{
    if (runner_open(r, m, NULL, 1))
        fail_msg("%s", r->err.msg);
    for (int i = 0; i < m->n_in; i++)
        fill_input(r->it, i, inputs[i]);
    assert_int_equal(tflite_interp_invoke(r->it, &r->err), SL_OK);
}

static void expect_output(runner *r, int k, const float *want, int64_t n, float tol)
{
    tflite_io o = tflite_interp_output(r->it, k);
    assert_int_equal(o.count, n);
    for (int64_t i = 0; i < n; i++)
        if (fabsf(o.data[i] - want[i]) > tol)
            fail_msg("output %d [%lld]: %.9g, expected %.9g", k, (long long)i, o.data[i],
                     want[i]);
}

/* SAME pooling ignores the padded cells: with all-negative input the border
 * windows must not see a zero. */
static void test_max_pool_same_ignores_padding(void **state)
{
    (void)state;
    tb_model m = {.n_tensors = 2, .n_ops = 1, .n_in = 1, .n_out = 1, .in = {0}, .out = {1}};
    m.t[0] = act("in", 4, 1, 3, 3, 1);
    m.t[1] = act("out", 4, 1, 2, 2, 1);
    m.ops[0] = (tb_op){.code = TFLITE_OP_MAX_POOL_2D, .n_in = 1, .n_out = 1, .in = {0},
                       .out = {1}, .opt_type = 5, .n_opt = 5,
                       .opt = {u8opt(0, TFLITE_PAD_SAME), i32opt(1, 2), i32opt(2, 2),
                               i32opt(3, 2), i32opt(4, 2)}};
    const float in[9] = {-9, -8, -7, -6, -5, -4, -3, -2, -1};
    const float *ins[1] = {in};
    runner r;
    run_single(&m, ins, &r);
    const float want[4] = {-5, -4, -2, -1};
    expect_output(&r, 0, want, 4, 0.0f);
    runner_close(&r);
}

static void resize_case(bool align_corners, bool half_pixel, int out, const float *want)
{
    static const int32_t size_data[2][2] = {{4, 4}, {3, 3}};
    tb_model m = {.n_tensors = 3, .n_ops = 1, .n_in = 1, .n_out = 1, .in = {0}, .out = {2}};
    m.t[0] = act("in", 4, 1, 2, 2, 1);
    m.t[1] = konst("size", TFLITE_INT32, 1, (int32_t[]){2}, size_data[out == 3],
                   sizeof size_data[0]);
    m.t[2] = act("out", 4, 1, out, out, 1);
    m.ops[0] = (tb_op){.code = TFLITE_OP_RESIZE_BILINEAR, .n_in = 2, .n_out = 1, .in = {0, 1},
                       .out = {2}, .opt_type = 15, .n_opt = 2,
                       .opt = {u8opt(2, align_corners), u8opt(3, half_pixel)}};
    const float in[4] = {0, 1, 2, 3};
    const float *ins[1] = {in};
    runner r;
    run_single(&m, ins, &r);
    expect_output(&r, 0, want, (int64_t)out * out, 1e-6f);
    runner_close(&r);
}

static void test_resize_bilinear(void **state)
{
    (void)state;
    /* Half-pixel centres, 2 -> 4: source rows -0.25, 0.25, 0.75, 1.25, clamped,
     * give weights 0, .25, .75, 1 of the second row (and column); value = 2r + c. */
    const float half[16] = {0, .25f, .75f, 1, .5f, .75f, 1.25f, 1.5f,
                            1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3};
    resize_case(false, true, 4, half);
    /* Legacy mapping, 2 -> 4: rows 0, .5, 1, 1.5 (clamped to the last). */
    const float legacy[16] = {0, .5f, 1, 1, 1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 2, 2.5f, 3, 3};
    resize_case(false, false, 4, legacy);
    /* Aligned corners, 2 -> 3: rows 0, .5, 1. */
    const float aligned[9] = {0, .5f, 1, 1, 1.5f, 2, 2, 2.5f, 3};
    resize_case(true, false, 3, aligned);
}

static void test_pad_concat_reshape_mean(void **state)
{
    (void)state;
    /* in [1,2,2,2] --PAD channels by (0,1)--> [1,2,2,3] --MEAN over H,W--> [1,3]
     * in2 [1,3] concatenated on axis 1 --> [1,6] --RESHAPE [-1, 2]--> [3,2] */
    static const int32_t pads[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    static const int32_t axes[2] = {1, 2};
    static const int32_t new_shape[2] = {-1, 2};
    tb_model m = {.n_tensors = 10, .n_ops = 4, .n_in = 2, .n_out = 2, .in = {0, 4},
                  .out = {6, 8}};
    m.t[0] = act("in", 4, 1, 2, 2, 2);
    m.t[1] = konst("pads", TFLITE_INT32, 2, (int32_t[]){4, 2}, pads, sizeof pads);
    m.t[2] = act("padded", 4, 1, 2, 2, 3);
    m.t[3] = konst("axes", TFLITE_INT32, 1, (int32_t[]){2}, axes, sizeof axes);
    m.t[4] = act("in2", 2, 1, 3, 0, 0);
    m.t[5] = act("mean", 2, 1, 3, 0, 0);
    m.t[6] = act("cat", 2, 1, 6, 0, 0);
    m.t[7] = konst("shape", TFLITE_INT32, 1, (int32_t[]){2}, new_shape, sizeof new_shape);
    m.t[8] = act("reshaped", 2, 3, 2, 0, 0);
    m.t[9] = act("unused", 1, 1, 0, 0, 0);
    m.ops[0] = (tb_op){.code = TFLITE_OP_PAD, .n_in = 2, .n_out = 1, .in = {0, 1}, .out = {2}};
    m.ops[1] = (tb_op){.code = TFLITE_OP_MEAN, .n_in = 2, .n_out = 1, .in = {2, 3}, .out = {5},
                       .opt_type = 27, .n_opt = 1, .opt = {u8opt(0, 0)}};
    m.ops[2] = (tb_op){.code = TFLITE_OP_CONCATENATION, .n_in = 2, .n_out = 1, .in = {5, 4},
                       .out = {6}, .opt_type = 10, .n_opt = 1, .opt = {i32opt(0, 1)}};
    m.ops[3] = (tb_op){.code = TFLITE_OP_RESHAPE, .n_in = 2, .n_out = 1, .in = {6, 7},
                       .out = {8}};
    const float in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, in2[3] = {-1, -2, -3};
    const float *ins[2] = {in, in2};
    runner r;
    run_single(&m, ins, &r);
    /* Channel 0: 1,3,5,7 -> 4; channel 1: 2,4,6,8 -> 5; padded channel: 0. */
    const float cat[6] = {4, 5, 0, -1, -2, -3};
    expect_output(&r, 0, cat, 6, 1e-6f);
    expect_output(&r, 1, cat, 6, 1e-6f);
    tflite_io o = tflite_interp_output(r.it, 1);
    assert_int_equal(o.rank, 2);
    assert_int_equal(o.shape[0], 3);
    assert_int_equal(o.shape[1], 2);
    runner_close(&r);
}

static void test_elementwise(void **state)
{
    (void)state;
    /* ADD with a per-channel constant, then PRELU, then LOGISTIC; FULLY_CONNECTED
     * on the PRELU result. */
    static const float chan[2] = {10, -10};
    static const float alpha[2] = {0.5f, 0.25f};
    static const float fcw[6] = {1, 0, 0, 0, 1, 0}; /* [3,2] */
    static const float fcb[3] = {0.5f, 0, -1};
    tb_model m = {.n_tensors = 10, .n_ops = 4, .n_in = 1, .n_out = 3, .in = {0},
                  .out = {3, 5, 8}};
    m.t[0] = act("x", 4, 1, 1, 2, 2);
    m.t[1] = konst("c", TFLITE_FLOAT32, 1, (int32_t[]){2}, chan, sizeof chan);
    m.t[2] = konst("alpha", TFLITE_FLOAT32, 3, (int32_t[]){1, 1, 2}, alpha, sizeof alpha);
    m.t[3] = act("sum", 4, 1, 1, 2, 2);
    m.t[4] = act("prelu", 4, 1, 1, 2, 2);
    m.t[5] = act("sig", 4, 1, 1, 2, 2);
    m.t[6] = konst("fcw", TFLITE_FLOAT32, 2, (int32_t[]){3, 2}, fcw, sizeof(float) * 6);
    m.t[7] = konst("fcb", TFLITE_FLOAT32, 1, (int32_t[]){3}, fcb, sizeof fcb);
    m.t[8] = act("fc", 2, 2, 3, 0, 0);
    m.t[9] = act("unused", 1, 1, 0, 0, 0);
    m.ops[0] = (tb_op){.code = TFLITE_OP_ADD, .n_in = 2, .n_out = 1, .in = {0, 1}, .out = {3},
                       .opt_type = 11};
    m.ops[1] = (tb_op){.code = TFLITE_OP_PRELU, .n_in = 2, .n_out = 1, .in = {3, 2},
                       .out = {4}};
    m.ops[2] = (tb_op){.code = TFLITE_OP_LOGISTIC, .n_in = 1, .n_out = 1, .in = {4},
                       .out = {5}};
    m.ops[3] = (tb_op){.code = TFLITE_OP_FULLY_CONNECTED, .n_in = 3, .n_out = 1,
                       .in = {4, 6, 7}, .out = {8}, .opt_type = 8};
    const float x[4] = {-12, 12, 1, -1};
    const float *ins[1] = {x};
    runner r;
    run_single(&m, ins, &r);
    const float sum[4] = {-2, 2, 11, -11};
    expect_output(&r, 0, sum, 4, 1e-6f);
    const float pre[4] = {-1, 2, 11, -2.75f};
    float sig[4];
    for (int i = 0; i < 4; i++)
        sig[i] = 1.0f / (1.0f + expf(-pre[i]));
    expect_output(&r, 1, sig, 4, 1e-6f);
    /* Rows of 2: (-1, 2) and (11, -2.75); weights rows (1,0), (0,0), (1,0). */
    const float fc[6] = {-1 + 0.5f, 0, -1 - 1, 11 + 0.5f, 0, 11 - 1};
    expect_output(&r, 2, fc, 6, 1e-5f);
    runner_close(&r);
}

static void test_dequantize_folds_constants(void **state)
{
    (void)state;
    /* fp16: 1, -2, smallest subnormal, largest subnormal, largest normal, inf. */
    static const uint16_t h[6] = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x7bff, 0x7c00};
    tb_model m = {.n_tensors = 4, .n_ops = 2, .n_in = 1, .n_out = 2, .in = {3}, .out = {1, 2}};
    m.t[0] = konst("h", TFLITE_FLOAT16, 1, (int32_t[]){6}, h, sizeof h);
    m.t[1] = act("f", 1, 6, 0, 0, 0);
    m.t[2] = act("g", 1, 6, 0, 0, 0);
    m.t[3] = act("x", 1, 6, 0, 0, 0);
    m.ops[0] = (tb_op){.code = TFLITE_OP_DEQUANTIZE, .n_in = 1, .n_out = 1, .in = {0},
                       .out = {1}};
    m.ops[1] = (tb_op){.code = TFLITE_OP_ADD, .n_in = 2, .n_out = 1, .in = {1, 3}, .out = {2},
                       .opt_type = 11};
    const float x[6] = {0, 0, 0, 0, 0, 0};
    const float *ins[1] = {x};
    runner r;
    run_single(&m, ins, &r);
    const float want[6] = {1.0f, -2.0f, 0x1p-24f, 1023 * 0x1p-24f, 65504.0f, INFINITY};
    tflite_io f = tflite_interp_output(r.it, 0), g = tflite_interp_output(r.it, 1);
    for (int i = 0; i < 6; i++) {
        assert_true(f.data[i] == want[i]);
        assert_true(g.data[i] == want[i]);
    }
    /* The DEQUANTIZE ran once at creation: only the ADD is left in the arena. */
    assert_true(tflite_interp_const_bytes(r.it) >= sizeof h + 6 * sizeof(float));
    runner_close(&r);
}

/* --- errors --------------------------------------------------------------- */

static void expect_create_error(tb_model *m, sl_status code, const char *needle)
{
    runner r;
    sl_status st = runner_open(&r, m, NULL, 1);
    if (st != code || !strstr(r.err.msg, needle))
        fail_msg("status %d (%s), expected %d with \"%s\"", st, st ? r.err.msg : "", code,
                 needle);
    runner_close(&r);
}

static void test_unsupported_operator_is_named(void **state)
{
    (void)state;
    tb_model m = {.n_tensors = 2, .n_ops = 1, .n_in = 1, .n_out = 1, .in = {0}, .out = {1}};
    m.t[0] = act("in", 2, 1, 4, 0, 0);
    m.t[1] = act("out", 2, 1, 4, 0, 0);
    m.ops[0] = (tb_op){.code = 28 /* TANH */, .n_in = 1, .n_out = 1, .in = {0}, .out = {1}};
    expect_create_error(&m, SL_ERR_UNSUPPORTED, "operator 0 is TANH, which this interpreter does"
                        " not implement");
    m.ops[0].code = 140; /* REDUCE_ALL: beyond the one-byte code field */
    expect_create_error(&m, SL_ERR_UNSUPPORTED, "REDUCE_ALL");
    m.ops[0].code = 400;
    expect_create_error(&m, SL_ERR_UNSUPPORTED, "builtin operator 400");
}

static void test_inconsistent_graphs_are_rejected(void **state)
{
    (void)state;
    static const float w[4] = {1, 2, 3, 4};
    tb_model m = {.n_tensors = 3, .n_ops = 1, .n_in = 1, .n_out = 1, .in = {0}, .out = {2}};
    m.t[0] = act("in", 4, 1, 3, 3, 1);
    m.t[1] = konst("w", TFLITE_FLOAT32, 4, (int32_t[]){4, 1, 1, 1}, w, sizeof w);
    m.t[2] = act("out", 4, 1, 3, 3, 5); /* the filter gives 4 channels */
    m.ops[0] = (tb_op){.code = TFLITE_OP_CONV_2D, .n_in = 2, .n_out = 1, .in = {0, 1},
                       .out = {2}, .opt_type = 1, .n_opt = 3,
                       .opt = {u8opt(0, TFLITE_PAD_VALID), i32opt(1, 1), i32opt(2, 1)}};
    expect_create_error(&m, SL_ERR_FORMAT, "has shape [1,3,3,5] in the file, [1,3,3,4]");
    m.t[2].shape[3] = 4;
    m.ops[0].opt[1] = i32opt(1, 0);
    expect_create_error(&m, SL_ERR_FORMAT, "stride 0x1");
    m.ops[0].opt[1] = i32opt(1, 1);
    m.ops[0].in[0] = 2; /* reads its own output */
    expect_create_error(&m, SL_ERR_FORMAT, "is read before any operator writes it");
    m.ops[0].in[0] = 0;
    m.ops[0].opt_type = 5; /* pool options on a convolution */
    expect_create_error(&m, SL_ERR_FORMAT, "options of kind 5");
    m.ops[0].opt_type = 1;
    m.ops[0].in[1] = 9;
    expect_create_error(&m, SL_ERR_FORMAT, "input 1 is tensor 9 of 3");

    /* Empty dimensions are refused where they appear. */
    tb_model r = {.n_tensors = 4, .n_ops = 2, .n_in = 1, .n_out = 1, .in = {0}, .out = {3}};
    r.t[0] = act("in", 4, 1, 2, 2, 1);
    r.t[1] = konst("shape", TFLITE_INT32, 1, (int32_t[]){4}, (int32_t[]){1, 0, 4, 1}, 16);
    r.t[2] = act("empty", 4, 1, 0, 4, 1);
    r.t[3] = act("up", 4, 1, 4, 4, 1);
    r.ops[0] = (tb_op){.code = TFLITE_OP_RESHAPE, .n_in = 1, .n_out = 1, .in = {0}, .out = {2}};
    r.ops[1] = (tb_op){.code = TFLITE_OP_RESIZE_BILINEAR, .n_in = 2, .n_out = 1, .in = {2, 1},
                       .out = {3}};
    expect_create_error(&r, SL_ERR_FORMAT, "operator 0 (RESHAPE)");
    r.t[0] = act("in", 4, 1, 0, 2, 1);
    expect_create_error(&r, SL_ERR_FORMAT, "input 'in' has an empty dimension");
}

static sl_status parse_bytes(const uint8_t *p, size_t n, sl_error *err)
{
    tflite_model *m = NULL;
    sl_status st = tflite_model_parse(p, n, "x.tflite", &m, err);
    tflite_model_free(m);
    return st;
}

static void test_reader_rejects_garbage(void **state)
{
    (void)state;
    sl_error err;
    assert_int_equal(parse_bytes((const uint8_t *)"", 0, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "x.tflite: too short"));
    uint8_t junk[64] = {0};
    memcpy(junk + 4, "GGUF", 4);
    assert_int_equal(parse_bytes(junk, sizeof junk, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "no \"TFL3\" identifier"));
    memcpy(junk + 4, "TFL3", 4);
    junk[0] = 200; /* root table past the end */
    assert_int_equal(parse_bytes(junk, sizeof junk, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "root table is corrupt"));
    junk[0] = 16; /* a table whose vtable offset points before the file */
    junk[16] = 0xff;
    junk[17] = 0xff;
    junk[18] = 0xff;
    junk[19] = 0x7f;
    assert_int_equal(parse_bytes(junk, sizeof junk, &err), SL_ERR_FORMAT);

    sl_status st = tflite_model_open("/nonexistent/model.tflite", &(tflite_model *){NULL}, &err);
    assert_int_equal(st, SL_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/model.tflite"));
}

/* A small model that touches most of the reader: built, then truncated at
 * every length and mutated at random; nothing may read out of bounds (ASan
 * runs this too) and every failure must say why. */
static void test_reader_survives_corruption(void **state)
{
    (void)state;
    static const float w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint16_t hb[2] = {0x3c00, 0x4000};
    tb_model m = {.n_tensors = 6, .n_ops = 3, .n_in = 1, .n_out = 1, .in = {0}, .out = {5}};
    m.t[0] = act("input", 4, 1, 4, 4, 2);
    m.t[1] = konst("w", TFLITE_FLOAT32, 4, (int32_t[]){4, 1, 1, 2}, w, sizeof w);
    m.t[2] = act("conv", 4, 1, 4, 4, 4);
    m.t[3] = konst("bias16", TFLITE_FLOAT16, 1, (int32_t[]){2}, hb, sizeof hb);
    m.t[4] = act("bias", 1, 2, 0, 0, 0);
    m.t[5] = act("pooled", 4, 1, 2, 2, 4);
    m.ops[0] = (tb_op){.code = TFLITE_OP_DEQUANTIZE, .n_in = 1, .n_out = 1, .in = {3},
                       .out = {4}};
    m.ops[1] = (tb_op){.code = TFLITE_OP_CONV_2D, .n_in = 2, .n_out = 1, .in = {0, 1},
                       .out = {2}, .opt_type = 1, .n_opt = 4,
                       .opt = {u8opt(0, TFLITE_PAD_SAME), i32opt(1, 1), i32opt(2, 1),
                               u8opt(3, TFLITE_ACT_RELU6)}};
    m.ops[2] = (tb_op){.code = TFLITE_OP_MAX_POOL_2D, .n_in = 1, .n_out = 1, .in = {2},
                       .out = {5}, .opt_type = 5, .n_opt = 5,
                       .opt = {u8opt(0, TFLITE_PAD_VALID), i32opt(1, 2), i32opt(2, 2),
                               i32opt(3, 2), i32opt(4, 2)}};
    size_t size;
    uint8_t *file = tb_build(&m, &size);
    sl_error err;
    tflite_model *model;
    assert_int_equal(tflite_model_parse(file, size, "x", &model, &err), SL_OK);
    tflite_model_free(model);

    int failures = 0;
    for (size_t n = 0; n < size; n++) {
        err.msg[0] = 0;
        sl_status st = parse_bytes(file, n, &err);
        if (st) {
            failures++;
            assert_true(strlen(err.msg) > 0);
        }
    }
    /* The file ends with the final buffer's data and one byte of padding:
     * every cut but that of the padding loses data. */
    assert_int_equal(failures, (int)size - 1);

    uint8_t *copy = malloc(size);
    rng_state = 4242;
    int parsed = 0, created = 0;
    for (int iter = 0; iter < 4000; iter++) {
        memcpy(copy, file, size);
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++)
            copy[rnd() % size] ^= (uint8_t)(1u << (rnd() % 8));
        err.msg[0] = 0;
        if (tflite_model_parse(copy, size, "x", &model, &err) != SL_OK) {
            assert_true(strlen(err.msg) > 0);
            continue;
        }
        parsed++;
        tflite_interp *it;
        if (tflite_interp_create(model, NULL, &it, &err) == SL_OK) {
            created++;
            /* Hostile shapes may be big, but every tensor is capped: run it. */
            for (int i = 0; i < tflite_interp_input_count(it); i++) {
                tflite_io in = tflite_interp_input(it, i);
                memset(in.data, 0, (size_t)in.count * sizeof(float));
            }
            assert_int_equal(tflite_interp_invoke(it, &err), SL_OK);
            tflite_interp_free(it);
        } else {
            assert_true(strlen(err.msg) > 0);
        }
        tflite_model_free(model);
    }
    /* Most single-bit changes hit data or names and still load. */
    assert_true(parsed > 100);
    assert_true(created > 50);
    free(copy);
    free(file);
}

/* --- the MediaPipe hand models -------------------------------------------- */

static const char *model_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("SIGHTLINE_HAND_MODELS");
    if (dir && *dir)
        snprintf(path, sizeof path, "%s/%s.tflite", dir, name);
    else
        snprintf(path, sizeof path, "%s", source_path(""));
    if (!(dir && *dir)) {
        size_t n = strlen(path);
        snprintf(path + n, sizeof path - n, "models/mediapipe/%s.tflite", name);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "skipped: %s not found (run scripts/fetch-hand-models.sh)\n", path);
        return NULL;
    }
    fclose(f);
    return path;
}

typedef struct hand_model {
    const char *name;
    int size; /* input side */
    int n_out;
    int64_t out_count[4];
} hand_model;

static const hand_model hand_models[] = {
    {"hand_landmark_full", 224, 4, {63, 1, 1, 63}},
    {"hand_landmark_lite", 224, 4, {63, 1, 1, 63}},
    {"palm_detection_full", 192, 2, {2016 * 18, 2016}},
    {"palm_detection_lite", 192, 2, {2016 * 18, 2016}},
};
static const char *const pictures[] = {"rose", "wizard", "granite", "open-hand", "garden-photo"};

static void test_hand_models_load(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hand_models / sizeof hand_models[0]; i++) {
        const hand_model *hm = &hand_models[i];
        const char *path = model_path(hm->name);
        if (!path) {
            skip();
            return;
        }
        sl_error err;
        tflite_model *m;
        if (tflite_model_open(path, &m, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(m->n_inputs, 1);
        const tflite_tensor *in = &m->tensors[m->inputs[0]];
        assert_int_equal(in->rank, 4);
        assert_int_equal(in->shape[1], hm->size);
        assert_int_equal(in->shape[2], hm->size);
        assert_int_equal(in->shape[3], 3);
        assert_int_equal(m->n_outputs, hm->n_out);
        for (int k = 0; k < hm->n_out; k++)
            assert_int_equal(m->tensors[m->outputs[k]].count, hm->out_count[k]);
        /* The weights are float16 behind DEQUANTIZE: all of those fold away. */
        tflite_interp *it;
        if (tflite_interp_create(m, NULL, &it, &err))
            fail_msg("%s", err.msg);
        int dequantize = 0;
        for (int k = 0; k < m->n_ops; k++)
            dequantize += m->ops[k].code == TFLITE_OP_DEQUANTIZE;
        assert_true(dequantize > 100);
        tflite_interp_free(it);

        /* Cut short anywhere, the file is refused with a message. */
        for (uint64_t cut = 0; cut < m->file_size; cut += m->file_size / 61 + 1) {
            tflite_model *t = NULL;
            err.msg[0] = 0;
            assert_int_not_equal(tflite_model_parse(m->file, cut, path, &t, &err), SL_OK);
            assert_true(strlen(err.msg) > 0);
        }
        tflite_model_free(m);
    }
}

/* The input the reference script builds from a 224x224 picture: exact in
 * float32 on both sides (see tests/hands/reference.js). */
static void picture_input(const uint8_t *px, int size, float *out)
{
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int sy = size == 224 ? y : y * 224 / size, sx = size == 224 ? x : x * 224 / size;
            for (int c = 0; c < 3; c++) {
                int u = px[(sy * 224 + sx) * 3 + c];
                out[(y * size + x) * 3 + c] = size == 224 ? u / 256.0f : (u - 128) / 128.0f;
            }
        }
}

static const uint8_t *picture_pixels(const uint8_t *ppm, size_t n)
{
    const size_t pixels = 224 * 224 * 3;
    assert_true(n > pixels && memcmp(ppm, "P6", 2) == 0);
    return ppm + n - pixels;
}

/* Every output of every model on every picture, against TensorFlow Lite:
 * max |ours - ref| <= 1e-4 * max |ref| over each output tensor. */
static void check_parity(const hand_model *hm, const char *isa, int threads, int n_pictures,
                         double *worst)
{
    const char *path = model_path(hm->name);
    if (!path)
        return;
    sl_error err;
    tflite_model *m;
    if (tflite_model_open(path, &m, &err))
        fail_msg("%s", err.msg);
    thread_pool *pool = NULL;
    if (threads > 1)
        assert_int_equal(thread_pool_create(threads, &pool, &err), SL_OK);
    setenv("SIGHTLINE_SIMD", isa, 1);
    tflite_interp *it;
    sl_status st = tflite_interp_create(m, pool, &it, &err);
    unsetenv("SIGHTLINE_SIMD");
    if (st)
        fail_msg("%s", err.msg);
    for (int p = 0; p < n_pictures; p++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/fixtures/hands/%s.ppm", pictures[p]);
        size_t n;
        uint8_t *ppm = read_file_bytes(source_path(rel), &n);
        assert_non_null(ppm);
        picture_input(picture_pixels(ppm, n), hm->size, tflite_interp_input(it, 0).data);
        free(ppm);
        assert_int_equal(tflite_interp_invoke(it, &err), SL_OK);
        for (int k = 0; k < hm->n_out; k++) {
            snprintf(rel, sizeof rel, "tests/fixtures/hands/%s.%s.out%d.f32", hm->name,
                     pictures[p], k);
            float *ref = (float *)read_file_bytes(source_path(rel), &n);
            assert_non_null(ref);
            tflite_io o = tflite_interp_output(it, k);
            assert_int_equal((int64_t)n, o.count * 4);
            double max_ref = 0, max_diff = 0;
            for (int64_t i = 0; i < o.count; i++) {
                max_ref = fmax(max_ref, fabs(ref[i]));
                max_diff = fmax(max_diff, fabs((double)o.data[i] - ref[i]));
            }
            double rel_err = max_diff / (max_ref > 0 ? max_ref : 1);
            if (rel_err > 1e-4)
                fail_msg("%s %s output %d (%s, %d threads): max |diff| %g is %g of max |ref| %g",
                         hm->name, pictures[p], k, isa, threads, max_diff, rel_err, max_ref);
            if (worst && rel_err > worst[k])
                worst[k] = rel_err;
            free(ref);
        }
    }
    tflite_interp_free(it);
    thread_pool_destroy(pool);
    tflite_model_free(m);
}

static void test_hand_models_match_tflite(void **state)
{
    (void)state;
    if (!model_path(hand_models[0].name)) {
        skip();
        return;
    }
    for (size_t i = 0; i < sizeof hand_models / sizeof hand_models[0]; i++) {
        double worst[4] = {0};
        const tl_kern_table *best = tl_kern_select();
        check_parity(&hand_models[i], best->name, 1, 3, worst);
        check_parity(&hand_models[i], best->name, 2, 1, NULL);
        for (int k = 0; k < N_ISAS; k++)
            if (tl_kern_by_name(isas[k]) && strcmp(isas[k], best->name) != 0)
                check_parity(&hand_models[i], isas[k], 1, 1, NULL);
        print_message("%s: worst max|diff|/max|ref| per output:", hand_models[i].name);
        for (int k = 0; k < hand_models[i].n_out; k++)
            print_message(" %.2g", worst[k]);
        print_message("\n");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_matches_naive),
        cmocka_unit_test(test_same_padding_is_asymmetric),
        cmocka_unit_test(test_max_pool_same_ignores_padding),
        cmocka_unit_test(test_resize_bilinear),
        cmocka_unit_test(test_pad_concat_reshape_mean),
        cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_dequantize_folds_constants),
        cmocka_unit_test(test_unsupported_operator_is_named),
        cmocka_unit_test(test_inconsistent_graphs_are_rejected),
        cmocka_unit_test(test_reader_rejects_garbage),
        cmocka_unit_test(test_reader_survives_corruption),
        cmocka_unit_test(test_hand_models_load),
        cmocka_unit_test(test_hand_models_match_tflite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
