/* Matrix products: matmul against per-row vec_dot at several thread counts,
 * batch sizes and odd shapes; matmul_many; float GEMM against double sums.
 * meson runs this file once per SIMD level the machine has
 * (SIGHTLINE_SIMD). */
#include "llm/llm.h"
#include "llm/quant_internal.h"
#include "tests/llm/quant_test_util.h"
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct case_data {
    tensor_type type;
    int64_t rows, cols, batch;
    uint8_t *w;
    size_t row_bytes;
    float *x;
    int64_t ldx;
} case_data;

static case_data make_case(tensor_type t, int64_t rows, int64_t cols, int64_t batch, uint64_t seed)
{
    case_data c = {.type = t, .rows = rows, .cols = cols, .batch = batch};
    c.row_bytes = row_bytes_of(t, cols);
    c.w = malloc(c.row_bytes * (size_t)rows);
    test_rng r = {seed};
    for (int64_t i = 0; i < rows; i++)
        fill_random_row(&r, t, c.w + (size_t)i * c.row_bytes, cols, 0);
    c.ldx = cols + 3; /* a stride wider than a row */
    c.x = malloc(sizeof(float) * (size_t)(c.ldx * batch));
    for (int64_t i = 0; i < c.ldx * batch; i++)
        c.x[i] = rng_gauss(&r) * (i % 97 == 0 ? 20.0f : 1.0f);
    return c;
}

static void free_case(case_data *c)
{
    free(c->w);
    free(c->x);
}

/* Reference: each column quantized as matmul does, then vec_dot per row. */
static float *reference(const case_data *c)
{
    tensor_type at = tensor_type_vec_dot_type(c->type);
    size_t ab = row_bytes_of(at, c->cols);
    uint8_t *a = malloc(ab);
    float *ref = malloc(sizeof(float) * (size_t)(c->rows * c->batch));
    for (int64_t b = 0; b < c->batch; b++) {
        assert_int_equal(quantize_row_act(at, c->x + b * c->ldx, a, c->cols, NULL), SL_OK);
        for (int64_t r = 0; r < c->rows; r++)
            ref[b * c->rows + r] = vec_dot(c->type, c->cols, c->w + (size_t)r * c->row_bytes, a);
    }
    free(a);
    return ref;
}

/* The bound of quant_test_util.h for one output, from the exact products. */
static double output_tolerance(const case_data *c, int64_t b, int64_t r)
{
    tensor_type at = tensor_type_vec_dot_type(c->type);
    uint8_t *a = malloc(row_bytes_of(at, c->cols));
    quantize_row_act(at, c->x + b * c->ldx, a, c->cols, NULL);
    exact_dot e = exact_dot_of(c->type, c->w + (size_t)r * c->row_bytes, a, c->cols);
    double tol = 2 * dot_tolerance(c->type, c->cols, e, a);
    free(a);
    return tol;
}

static void check_matmul(thread_pool *pool, matmul_ctx *ctx, const case_data *c)
{
    float *ref = reference(c);
    int64_t ldy = c->rows + 5;
    float *y = malloc(sizeof(float) * (size_t)(ldy * c->batch));
    for (int64_t i = 0; i < ldy * c->batch; i++)
        y[i] = -12345.0f; /* the gaps between outputs must stay untouched */
    qmatrix w = {.type = c->type, .rows = c->rows, .cols = c->cols, .data = c->w,
                 .row_stride = c->row_bytes};
    sl_error err;
    assert_int_equal(matmul(ctx, &w, c->x, c->ldx, c->batch, y, ldy, &err), SL_OK);
    /* BF16 weights in batches go through vdpbf16ps where the CPU has it: one
     * running sum per output instead of eight, so the bound is 4x wider. */
    bool bf16_dot = c->type == TENSOR_BF16 && c->batch >= 8 && simd_has_bf16_dot();
    /* Batches of 6 or more quantized columns go through the AVX-512 VNNI
     * GEMM, which sums in another order: compared within the bound. */
    bool qgemm = c->batch >= 6 && simd_level_active() == SIMD_AVX512 &&
                 tensor_type_block_elems(c->type) > 1;
    for (int64_t b = 0; b < c->batch; b++) {
        for (int64_t r = 0; r < c->rows; r++) {
            float got = y[b * ldy + r], want = ref[b * c->rows + r];
            if (bf16_dot) {
                double tol = 4 * output_tolerance(c, b, r);
                if (!(fabs((double)got - want) <= tol)) /* NaN fails too */
                    fail_msg("BF16 batch %lld: y[%lld][%lld] = %.9g, vec_dot %.9g (tol %.3g)",
                             (long long)c->batch, (long long)b, (long long)r, (double)got,
                             (double)want, tol);
            } else if (c->batch > 1 && !qgemm) {
                /* batched products run the tile kernels, which compute each
                 * output exactly as vec_dot does */
                if (memcmp(&got, &want, sizeof got) != 0)
                    fail_msg("%s %lldx%lld batch %lld threads %d: y[%lld][%lld] = %.9g, "
                             "vec_dot %.9g",
                             tensor_type_name(c->type), (long long)c->rows, (long long)c->cols,
                             (long long)c->batch, thread_pool_threads(pool), (long long)b,
                             (long long)r, (double)got, (double)want);
            } else {
                /* the matrix-vector kernels may sum in another order */
                double tol = output_tolerance(c, b, r);
                if (!(fabs((double)got - want) <= tol)) /* NaN fails too */
                    fail_msg("%s %lldx%lld matvec threads %d: y[%lld] = %.9g, vec_dot %.9g "
                             "(tolerance %.3g)",
                             tensor_type_name(c->type), (long long)c->rows, (long long)c->cols,
                             thread_pool_threads(pool), (long long)r, (double)got, (double)want,
                             tol);
            }
        }
        for (int64_t r = c->rows; r < ldy && b + 1 < c->batch; r++)
            assert_true(y[b * ldy + r] == -12345.0f);
    }
    free(ref);
    free(y);
}

static void test_matmul_matches_vec_dot(void **state)
{
    (void)state;
    static const int64_t batches[] = {1, 5, 7, 64, 300};
    for (int threads = 1; threads <= 3; threads++) {
        thread_pool *pool;
        matmul_ctx *ctx;
        assert_int_equal(thread_pool_create(threads, &pool, NULL), SL_OK);
        assert_int_equal(matmul_ctx_create(pool, &ctx, NULL), SL_OK);
        for (int ti = 0; ti < N_WEIGHT_TYPES; ti++) {
            tensor_type t = weight_types[ti];
            for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
                int64_t batch = batches[bi];
                /* the big batch for a few types only: it is slow under ASan */
                if (batch == 300 && !(t == TENSOR_Q4_0 || t == TENSOR_Q4_K || t == TENSOR_F16))
                    continue;
                int64_t rows = batch == 300 ? 67 : (bi % 2 ? 37 : 131);
                int64_t cols = tensor_type_block_elems(t) == QK_K ? 512 : 352;
                case_data c = make_case(t, rows, cols, batch, 1000 * (uint64_t)ti + bi);
                check_matmul(pool, ctx, &c);
                free_case(&c);
            }
        }
        matmul_ctx_destroy(ctx);
        thread_pool_destroy(pool);
    }
}

/* Rows whose count is not a multiple of anything, a single row, and the
 * matrix-vector kernels' tail handling (Q4_0 in groups of four blocks). */
static void test_matmul_odd_shapes(void **state)
{
    (void)state;
    thread_pool *pool;
    matmul_ctx *ctx;
    assert_int_equal(thread_pool_create(2, &pool, NULL), SL_OK);
    assert_int_equal(matmul_ctx_create(pool, &ctx, NULL), SL_OK);
    static const struct {
        tensor_type t;
        int64_t rows, cols;
    } shapes[] = {
        {TENSOR_Q4_0, 1, 32},  {TENSOR_Q4_0, 3, 224}, {TENSOR_Q4_0, 5, 4096},
        {TENSOR_Q8_0, 1, 32},  {TENSOR_Q4_K, 1, 256}, {TENSOR_Q6_K, 2, 768},
        {TENSOR_F32, 3, 5},    {TENSOR_F16, 9, 13},   {TENSOR_BF16, 2, 1},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int64_t batch = 1; batch <= 5; batch += 4) {
            case_data c = make_case(shapes[i].t, shapes[i].rows, shapes[i].cols, batch, 77 + i);
            check_matmul(pool, ctx, &c);
            free_case(&c);
        }
    matmul_ctx_destroy(ctx);
    thread_pool_destroy(pool);
}

/* Without a pool the context runs on the calling thread. */
/* The AVX-512 Q4_0 / Q8_0 matrix-vector kernels read rows as 64-byte chunks
 * with a masked last one: every block count from 1 to 40 (every length of
 * the last chunk that whole blocks give), row counts around the kernels'
 * groups of four, rows padded apart (row_stride), and quants whose bytes
 * read as inf or NaN half floats where the kernels take scales from (the
 * lanes past a row's end must not pick them up). Tolerance: the bound of
 * quant_test_util.h from the exact products, as for every matvec. */
static void test_matvec_row_lengths(void **state)
{
    (void)state;
    thread_pool *pool;
    matmul_ctx *ctx;
    assert_int_equal(thread_pool_create(2, &pool, NULL), SL_OK);
    assert_int_equal(matmul_ctx_create(pool, &ctx, NULL), SL_OK);
    static const tensor_type types[] = {TENSOR_Q4_0, TENSOR_Q8_0};
    for (int ti = 0; ti < 2; ti++)
        for (int64_t nb = 1; nb <= 40; nb++)
            for (int variant = 0; variant < 2; variant++) {
                tensor_type t = types[ti];
                int64_t rows = 1 + (nb * 3 + (int64_t)variant) % 9;
                size_t bb = tensor_type_block_bytes(t);
                uint64_t seed = 4000 + (uint64_t)(nb * 4 + ti * 2 + variant);
                case_data c = make_case(t, rows, 32 * nb, 1, seed);
                if (variant) {
                    /* 6 bytes of padding between rows (0xff: NaN read as a
                     * half), and every quant byte 0xff (-1 for Q8_0; 15 for
                     * both nibbles of Q4_0) */
                    size_t stride = c.row_bytes + 6;
                    uint8_t *w = malloc(stride * (size_t)rows);
                    memset(w, 0xff, stride * (size_t)rows);
                    for (int64_t r = 0; r < rows; r++)
                        for (int64_t b = 0; b < nb; b++)
                            memcpy(w + (size_t)r * stride + (size_t)b * bb,
                                   c.w + (size_t)r * c.row_bytes + (size_t)b * bb, 2);
                    free(c.w);
                    c.w = w;
                    c.row_bytes = stride;
                }
                check_matmul(pool, ctx, &c);
                free_case(&c);
            }
    matmul_ctx_destroy(ctx);
    thread_pool_destroy(pool);
}

static void test_matmul_without_pool(void **state)
{
    (void)state;
    matmul_ctx *ctx;
    assert_int_equal(matmul_ctx_create(NULL, &ctx, NULL), SL_OK);
    assert_null(matmul_ctx_pool(ctx));
    case_data c = make_case(TENSOR_Q5_K, 19, 256, 3, 5);
    check_matmul(NULL, ctx, &c);
    free_case(&c);
    matmul_ctx_destroy(ctx);
}

static void test_matmul_many_equals_single(void **state)
{
    (void)state;
    thread_pool *pool;
    matmul_ctx *ctx;
    assert_int_equal(thread_pool_create(2, &pool, NULL), SL_OK);
    assert_int_equal(matmul_ctx_create(pool, &ctx, NULL), SL_OK);
    static const tensor_type types[] = {TENSOR_Q4_0, TENSOR_Q4_K, TENSOR_F16, TENSOR_Q8_0,
                                        TENSOR_Q4_1};
    enum { COLS = 512, NW = 5 };
    for (int64_t batch = 1; batch <= 9; batch += 8) {
        case_data cs[NW];
        qmatrix w[NW];
        float *y[NW], *y1[NW];
        int64_t ldy[NW];
        for (int i = 0; i < NW; i++) {
            cs[i] = make_case(types[i], 20 + 7 * i, COLS, batch, 900 + (uint64_t)i);
            /* one input for all */
            memcpy(cs[i].x, cs[0].x, sizeof(float) * (size_t)(cs[0].ldx * batch));
            w[i] = (qmatrix){.type = types[i], .rows = cs[i].rows, .cols = COLS, .data = cs[i].w};
            ldy[i] = cs[i].rows;
            y[i] = calloc((size_t)(cs[i].rows * batch), sizeof(float));
            y1[i] = calloc((size_t)(cs[i].rows * batch), sizeof(float));
        }
        sl_error err;
        assert_int_equal(matmul_many(ctx, NW, w, cs[0].x, cs[0].ldx, batch, y, ldy, &err), SL_OK);
        for (int i = 0; i < NW; i++) {
            assert_int_equal(matmul(ctx, &w[i], cs[0].x, cs[0].ldx, batch, y1[i], ldy[i], &err),
                             SL_OK);
            assert_memory_equal(y[i], y1[i], sizeof(float) * (size_t)(cs[i].rows * batch));
        }
        for (int i = 0; i < NW; i++) {
            free(y[i]);
            free(y1[i]);
            free_case(&cs[i]);
        }
    }
    matmul_ctx_destroy(ctx);
    thread_pool_destroy(pool);
}

static void test_matmul_rejects_bad_input(void **state)
{
    (void)state;
    matmul_ctx *ctx;
    assert_int_equal(matmul_ctx_create(NULL, &ctx, NULL), SL_OK);
    uint8_t data[4096] = {0};
    float x[512] = {0}, y[64];
    sl_error err;
    qmatrix w = {.type = TENSOR_Q4_K, .rows = 2, .cols = 200, .data = data};
    assert_int_equal(matmul(ctx, &w, x, 512, 1, y, 2, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "Q4_K"));
    w = (qmatrix){.type = TENSOR_IQ2_XS, .rows = 2, .cols = 256, .data = data};
    assert_int_equal(matmul(ctx, &w, x, 512, 1, y, 2, &err), SL_ERR_UNSUPPORTED);
    w = (qmatrix){.type = TENSOR_Q8_0, .rows = 2, .cols = 64, .row_stride = 60, .data = data};
    assert_int_equal(matmul(ctx, &w, x, 512, 1, y, 2, &err), SL_ERR_ARG);
    w = (qmatrix){.type = TENSOR_Q8_0, .rows = 2, .cols = 64, .data = data + 1};
    assert_int_equal(matmul(ctx, &w, x, 512, 1, y, 2, &err), SL_ERR_ARG);
    w = (qmatrix){.type = TENSOR_Q8_0, .rows = 2, .cols = 64, .data = data};
    assert_int_equal(matmul(ctx, &w, x, 10, 3, y, 2, &err), SL_ERR_ARG); /* ldx < cols */
    assert_int_equal(matmul(ctx, &w, x, 64, 0, y, 2, &err), SL_OK);     /* nothing to do */
    /* a padded row stride is fine */
    w = (qmatrix){.type = TENSOR_Q8_0, .rows = 2, .cols = 64, .row_stride = 80, .data = data};
    assert_int_equal(matmul(ctx, &w, x, 64, 1, y, 2, &err), SL_OK);
    assert_true(y[0] == 0.0f && y[1] == 0.0f);
    matmul_ctx_destroy(ctx);
}

/* MATMUL_PRECISION_BF16: F16 and F32 weights in batches are rounded to
 * bfloat16 with the activations, where the CPU has BF16 dot products; each
 * product then carries up to about 3 * 2^-9 relative error (the two
 * roundings, plus F16 -> BF16 for F16 weights). Elsewhere the setting has
 * no effect and results equal the default precision's. */
static void test_matmul_bf16_precision(void **state)
{
    (void)state;
    thread_pool *pool;
    matmul_ctx *ctx, *ref_ctx;
    assert_int_equal(thread_pool_create(2, &pool, NULL), SL_OK);
    assert_int_equal(matmul_ctx_create(pool, &ctx, NULL), SL_OK);
    assert_int_equal(matmul_ctx_create(pool, &ref_ctx, NULL), SL_OK);
    matmul_ctx_set_precision(ctx, MATMUL_PRECISION_BF16);
    static const tensor_type types[] = {TENSOR_F16, TENSOR_F32, TENSOR_BF16};
    static const int64_t shapes[][3] = {{70, 768, 13}, {33, 45, 64}, {5, 1, 9}};
    for (size_t ti = 0; ti < 3; ti++)
        for (size_t si = 0; si < 3; si++) {
            case_data c = make_case(types[ti], shapes[si][0], shapes[si][1], shapes[si][2],
                                    70 + 3 * ti + si);
            float *y = calloc((size_t)(c.rows * c.batch), sizeof(float));
            float *yr = calloc((size_t)(c.rows * c.batch), sizeof(float));
            qmatrix w = {.type = c.type, .rows = c.rows, .cols = c.cols, .data = c.w};
            assert_int_equal(matmul(ctx, &w, c.x, c.ldx, c.batch, y, c.rows, NULL), SL_OK);
            assert_int_equal(matmul(ref_ctx, &w, c.x, c.ldx, c.batch, yr, c.rows, NULL), SL_OK);
            float *wf = malloc(sizeof(float) * (size_t)c.cols);
            for (int64_t r = 0; r < c.rows; r++) {
                dequantize_row(c.type, c.w + (size_t)r * c.row_bytes, wf, c.cols, NULL);
                for (int64_t b = 0; b < c.batch; b++) {
                    double mag = 0;
                    for (int64_t k = 0; k < c.cols; k++)
                        mag += fabs((double)wf[k] * c.x[b * c.ldx + k]);
                    double tol = mag * (3 * ldexp(1.0, -9) + ldexp(1.0, -23) * (16 + c.cols));
                    double got = y[b * c.rows + r], want = yr[b * c.rows + r];
                    if (fabs(got - want) > tol)
                        fail_msg("%s bf16 precision [%lld][%lld]: %.9g vs %.9g (tol %.3g)",
                                 tensor_type_name(c.type), (long long)b, (long long)r, got, want,
                                 tol);
                }
            }
            if (!simd_has_bf16_dot() && c.type != TENSOR_BF16)
                assert_memory_equal(y, yr, sizeof(float) * (size_t)(c.rows * c.batch));
            free(wf);
            free(y);
            free(yr);
            free_case(&c);
        }
    matmul_ctx_destroy(ctx);
    matmul_ctx_destroy(ref_ctx);
    thread_pool_destroy(pool);
}

/* ------------------------------------------------------------------ */

static void check_gemm(thread_pool *pool, gemm_b_layout layout, int64_t m, int64_t n, int64_t k,
                       uint64_t seed)
{
    test_rng r = {seed};
    int64_t lda = k + 1, ldb = (layout == GEMM_B_NK ? k : n) + 2, ldc = n + 3;
    int64_t brows = layout == GEMM_B_NK ? n : k;
    float *a = malloc(sizeof(float) * (size_t)(m * lda + 1));
    float *b = malloc(sizeof(float) * (size_t)(brows * ldb + 1));
    float *c = malloc(sizeof(float) * (size_t)(m * ldc + 1));
    for (int64_t i = 0; i < m * lda; i++)
        a[i] = rng_gauss(&r);
    for (int64_t i = 0; i < brows * ldb; i++)
        b[i] = rng_gauss(&r);
    for (int64_t i = 0; i < m * ldc; i++)
        c[i] = NAN; /* must be overwritten, not accumulated into */
    sl_error err;
    assert_int_equal(gemm_f32(pool, layout, m, n, k, a, lda, b, ldb, c, ldc, &err), SL_OK);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0, mag = 0;
            for (int64_t l = 0; l < k; l++) {
                double bv = layout == GEMM_B_NK ? b[j * ldb + l] : b[l * ldb + j];
                s += (double)a[i * lda + l] * bv;
                mag += fabs((double)a[i * lda + l] * bv);
            }
            double tol = mag * ldexp(1.0, -23) * (8.0 + (double)k / 4) + 1e-30;
            if (!(fabs(c[i * ldc + j] - s) <= tol))
                fail_msg("gemm_f32 %s %lldx%lldx%lld: C[%lld][%lld] = %.9g, want %.9g",
                         layout == GEMM_B_NK ? "NK" : "KN", (long long)m, (long long)n,
                         (long long)k, (long long)i, (long long)j, (double)c[i * ldc + j], s);
        }
    free(a);
    free(b);
    free(c);
}

static void test_gemm_f32(void **state)
{
    (void)state;
    thread_pool *pool;
    assert_int_equal(thread_pool_create(2, &pool, NULL), SL_OK);
    static const int64_t shapes[][3] = {{1, 1, 1},    {1, 19, 45},  {37, 19, 45},
                                        {64, 64, 64}, {5, 300, 17}, {130, 7, 200}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int layout = 0; layout < 2; layout++) {
            check_gemm(NULL, (gemm_b_layout)layout, shapes[i][0], shapes[i][1], shapes[i][2],
                       50 + i);
            check_gemm(pool, (gemm_b_layout)layout, shapes[i][0], shapes[i][1], shapes[i][2],
                       60 + i);
        }
    float one = 1;
    sl_error err;
    assert_int_equal(gemm_f32(NULL, GEMM_B_NK, 1, 1, 2, &one, 1, &one, 2, &one, 1, &err),
                     SL_ERR_ARG);
    thread_pool_destroy(pool);
}

int main(void)
{
    const char *forced = getenv("SIGHTLINE_SIMD");
    if (forced && *forced) {
        int want = simd_level_from_name(forced);
        if (want < 0 || !simd_level_supported((simd_level)want)) {
            /* this run is meant for a level the machine lacks */
            printf("1..0 # SKIP SIMD level %s is not available here\n", forced);
            fprintf(stderr, "skipped: SIMD level %s not available\n", forced);
            return 77;
        }
    }
    print_message("matmul at SIMD level %s\n", simd_level_name(simd_level_active()));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_matches_vec_dot),
        cmocka_unit_test(test_matmul_odd_shapes),
        cmocka_unit_test(test_matvec_row_lengths),
        cmocka_unit_test(test_matmul_without_pool),
        cmocka_unit_test(test_matmul_many_equals_single),
        cmocka_unit_test(test_matmul_rejects_bad_input),
        cmocka_unit_test(test_matmul_bf16_precision),
        cmocka_unit_test(test_gemm_f32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
