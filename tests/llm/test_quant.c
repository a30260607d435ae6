/* Quantized rows: conversions, reference quantizers, round trips, dot
 * products at every SIMD level this machine has. */
#include "llm/llm.h"
#include "llm/quant_internal.h"
#include "tests/llm/quant_test_util.h"
#include "tests/support.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* half and bfloat16                                                    */

static void test_fp16_known_values(void **state)
{
    (void)state;
    struct {
        float f;
        uint16_t h;
    } cases[] = {
        {0.0f, 0x0000},       {-0.0f, 0x8000},      {1.0f, 0x3c00},
        {-2.0f, 0xc000},      {65504.0f, 0x7bff},   {65519.99f, 0x7bff},
        {65520.0f, 0x7c00},   {1e9f, 0x7c00},       {-INFINITY, 0xfc00},
        {0x1p-14f, 0x0400},   {0x1p-24f, 0x0001},   {0x1p-25f, 0x0000}, /* tie -> even 0 */
        {0x1.8p-24f, 0x0002}, /* 1.5 ulp -> even 2 */ {0x1.0p-25f * 1.0001f, 0x0001},
        {0x1.ffcp-15f, 0x0400}, /* rounds up into the normals */
        {1.0009765625f, 0x3c01}, {1.00048828125f, 0x3c00}, /* tie -> even */
        {1.00146484375f, 0x3c02}, /* tie -> even (up) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t got = f32_to_fp16(cases[i].f);
        if (got != cases[i].h)
            fail_msg("f32_to_fp16(%a) = %#06x, want %#06x", (double)cases[i].f, got, cases[i].h);
    }
    assert_int_equal(f32_to_fp16(NAN) & 0x7fff, 0x7e00);
    assert_true(isnan(fp16_to_f32(0x7e00)));
    assert_true(isinf(fp16_to_f32(0x7c00)));
    assert_true(fp16_to_f32(0x0001) == 0x1p-24f);
    assert_true(fp16_to_f32(0x83ff) == -0x1.ff8p-15f);
}

/* Every half converts to a float and back to itself (NaNs to the quiet NaN
 * of their sign); every float converts to the nearest half, ties to even. */
static void test_fp16_exhaustive_and_nearest(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = fp16_to_f32((uint16_t)h);
        uint16_t back = f32_to_fp16(f);
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (nan)
            assert_int_equal(back, (h & 0x8000) | 0x7e00);
        else if (back != h)
            fail_msg("half %#06x -> %a -> %#06x", h, (double)f, back);
    }
    test_rng r = {12345};
    for (int i = 0; i < 200000; i++) {
        /* floats across the whole half range, including subnormals */
        float f = ldexpf((float)rng_unit(&r) + 1.0f, (int)(rng_next(&r) % 44) - 30);
        if (rng_next(&r) & 1)
            f = -f;
        uint16_t h = f32_to_fp16(f);
        double err = fabs((double)fp16_to_f32(h) - f);
        if ((h & 0x7fff) >= 0x7c00) {
            assert_true(fabs(f) >= 65520.0f);
            continue;
        }
        for (int step = -1; step <= 1; step += 2) {
            uint16_t nb = (uint16_t)(h + step);
            if ((h & 0x7fff) == 0 && step < 0)
                continue;
            if (((nb ^ h) & 0x8000) || (nb & 0x7fff) >= 0x7c00)
                continue;
            double e2 = fabs((double)fp16_to_f32(nb) - f);
            if (e2 < err || (e2 == err && (h & 1)))
                fail_msg("f32_to_fp16(%a) = %#06x but %#06x is nearer or even", (double)f, h, nb);
        }
    }
}

static void test_bf16_rounding(void **state)
{
    (void)state;
    assert_int_equal(f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(f32_to_bf16(0x1.01p0f), 0x3f80);   /* tie -> even */
    assert_int_equal(f32_to_bf16(0x1.03p0f), 0x3f82);   /* tie -> even (up) */
    assert_int_equal(f32_to_bf16(0x1.0101p0f), 0x3f81); /* above the tie */
    assert_int_equal(f32_to_bf16(FLT_MAX), 0x7f80);     /* overflows to inf */
    assert_int_equal(f32_to_bf16(-INFINITY), 0xff80);
    assert_int_equal(f32_to_bf16(NAN) & 0x7fc0, 0x7fc0);
    assert_true(bf16_to_f32(0x3f80) == 1.0f);
    for (uint32_t h = 0; h < 65536; h++) {
        if ((h & 0x7f80) == 0x7f80 && (h & 0x7f))
            continue;
        assert_int_equal(f32_to_bf16(bf16_to_f32((uint16_t)h)), h);
    }
}

/* The row conversions of every level give the scalar bits. */
static void test_fp16_rows_every_level(void **state)
{
    (void)state;
    enum { N = 1029 };
    float *src = malloc(N * sizeof(float)), *f_ref = malloc(N * sizeof(float)),
          *f_got = malloc(N * sizeof(float));
    uint16_t *h_ref = malloc(N * 2), *h_got = malloc(N * 2), *h_in = malloc(N * 2);
    test_rng r = {777};
    for (int i = 0; i < N; i++) {
        src[i] = ldexpf(rng_gauss(&r), (int)(rng_next(&r) % 60) - 30);
        h_in[i] = (uint16_t)rng_next(&r);
    }
    src[0] = NAN;
    src[1] = -INFINITY;
    src[2] = 65520.0f;
    src[3] = 0x1p-25f;
    for (int level = 0; level < SIMD_LEVEL_COUNT; level++) {
        const quant_kernels *k = quant_kernels_for((simd_level)level);
        if (!k)
            continue;
        quant_kernels_scalar.f32_to_fp16(src, h_ref, N);
        k->f32_to_fp16(src, h_got, N);
        assert_memory_equal(h_ref, h_got, N * 2);
        quant_kernels_scalar.f32_to_bf16(src, h_ref, N);
        k->f32_to_bf16(src, h_got, N);
        assert_memory_equal(h_ref, h_got, N * 2);
        quant_kernels_scalar.fp16_to_f32(h_in, f_ref, N);
        k->fp16_to_f32(h_in, f_got, N);
        assert_memory_equal(f_ref, f_got, N * sizeof(float));
        quant_kernels_scalar.bf16_to_f32(h_in, f_ref, N);
        k->bf16_to_f32(h_in, f_got, N);
        assert_memory_equal(f_ref, f_got, N * sizeof(float));
    }
    free(src);
    free(f_ref);
    free(f_got);
    free(h_ref);
    free(h_got);
    free(h_in);
}

/* ------------------------------------------------------------------ */
/* reference quantizers                                                 */

/* Input distributions for quantizer tests. */
static void fill_distribution(test_rng *r, int dist, float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float g = rng_gauss(r);
        switch (dist) {
        case 0: x[i] = g; break;                                  /* weights-like */
        case 1: x[i] = (rng_next(r) & 1) ? 0.0f : g * 1e-3f; break; /* sparse, small */
        case 2: x[i] = g * g * g * 100.0f; break;                 /* heavy tails */
        case 3: x[i] = (float)(rng_unit(r) * 2 - 1) * (i % 256 == 0 ? 1000.0f : 1.0f); break;
        case 4: x[i] = (i / 32) % 3 == 0 ? 0.0f : g * 1e-30f; break; /* zero and tiny groups */
        default: x[i] = roundf(g * 16) / 4; break;                /* many ties */
        }
    }
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* FNV-1a hashes of ggml d99724f's quantize_row_*_ref output (and, for the
 * Q8_0/Q8_1 activation rows, of its AVX2 quantize_row_q8_0/q8_1) over the
 * six distributions of fill_distribution, 4096 values each, generator seed
 * 2024 + distribution. Recorded by compiling ggml-quants.c outside the
 * project and running it on the same inputs. Q8_K rows hash d and qs only
 * (ggml leaves bsums unset for all-zero blocks). */
static const struct {
    tensor_type type;
    bool act;
    uint64_t hash;
} ggml_hashes[] = {
#include "tests/llm/ggml_quant_hashes.inc"
};

static uint64_t hash_row(tensor_type t, const void *row, int64_t n)
{
    if (t != TENSOR_Q8_K)
        return fnv1a(row, row_bytes_of(t, n), 0xcbf29ce484222325ULL);
    uint64_t h = 0xcbf29ce484222325ULL;
    const block_q8_K *b = row;
    for (int64_t i = 0; i < n / QK_K; i++)
        h = fnv1a(&b[i], 4 + QK_K, h);
    return h;
}

static void test_reference_quantizers_match_ggml(void **state)
{
    (void)state;
    enum { N = 4096, DISTS = 6 };
    float *x = malloc(N * sizeof(float));
    uint8_t *q = malloc(N * 2);
    size_t checked = 0;
    for (size_t i = 0; i < sizeof ggml_hashes / sizeof ggml_hashes[0]; i += DISTS) {
        tensor_type t = ggml_hashes[i].type;
        for (int dist = 0; dist < DISTS; dist++) {
            test_rng r = {2024 + (uint64_t)dist};
            fill_distribution(&r, dist, x, N);
            memset(q, 0, N * 2);
            sl_status st = ggml_hashes[i + dist].act ? quantize_row_act(t, x, q, N, NULL)
                                                     : quantize_row_ref(t, x, q, N, NULL);
            assert_int_equal(st, SL_OK);
            uint64_t h = hash_row(t, q, N);
            if (h != ggml_hashes[i + dist].hash)
                fail_msg("%s%s, distribution %d: bytes differ from ggml's (hash %016llx)",
                         tensor_type_name(t), ggml_hashes[i + dist].act ? " (activations)" : "",
                         dist, (unsigned long long)h);
            checked++;
        }
    }
    assert_true(checked >= 13 * DISTS);
    free(x);
    free(q);
}

/* Every level's activation quantizer gives the scalar bytes. */
static void test_activation_quantizers_every_level(void **state)
{
    (void)state;
    enum { N = 2048 };
    static const tensor_type acts[] = {TENSOR_Q8_0, TENSOR_Q8_1, TENSOR_Q8_K, TENSOR_F16,
                                       TENSOR_BF16, TENSOR_F32};
    float *x = malloc(N * sizeof(float));
    uint8_t *ref = malloc(N * 4), *got = malloc(N * 4);
    for (int dist = 0; dist < 7; dist++) {
        test_rng r = {99 + (uint64_t)dist};
        fill_distribution(&r, dist, x, N);
        if (dist == 6) /* ties between +amax and -amax: the first must win */
            for (int i = 0; i < N; i++)
                x[i] = (i % 7 == 3) ? -4.0f : (i % 7 == 5 ? 4.0f : x[i]);
        for (size_t t = 0; t < sizeof acts / sizeof acts[0]; t++) {
            size_t bytes = row_bytes_of(acts[t], N);
            memset(ref, 0, bytes);
            quant_kernels_scalar.quantize_act[acts[t]](x, ref, N);
            for (int level = 1; level < SIMD_LEVEL_COUNT; level++) {
                const quant_kernels *k = quant_kernels_for((simd_level)level);
                if (!k)
                    continue;
                memset(got, 0, bytes);
                k->quantize_act[acts[t]](x, got, N);
                if (memcmp(ref, got, bytes) != 0)
                    fail_msg("%s activations at level %s differ from scalar (distribution %d)",
                             tensor_type_name(acts[t]), simd_level_name((simd_level)level), dist);
            }
        }
    }
    free(x);
    free(ref);
    free(got);
}

/* ------------------------------------------------------------------ */
/* round trips                                                          */

/* Largest |dequantize(quantize_row_ref(x)) - x| allowed in a block (a
 * super-block for K-quants) whose largest |x| is amax; "step" is the
 * format's quantization step at that magnitude.
 *  F16: half an ulp, 2^-11 relative (for normal values; subnormal halves
 *       have an absolute step of 2^-24). BF16: 2^-8 relative.
 *  Q8_0: d = amax/127, rounding error d/2, plus the scale's own half
 *       rounding (2^-11 relative) applied to up to 127 steps.
 *  Q4_0/Q5_0: d = amax/8 (/16); the extreme maps to -8 (-16) exactly, but
 *       the opposite extreme can only reach +7 (+15): one full step.
 *  Q4_1/Q5_1: step (max-min)/15 (/31), rounding error half a step, plus
 *       the half rounding of d and of the min.
 *  K-quants: per-group scales quantized to 4-8 bits relative to the block's
 *       largest, and values clamped to the grid: one step of the block's
 *       largest group — amax/1.5 (Q2_K: 4 levels over the range), amax/4
 *       (Q3_K), amax/7.5 (Q4_K), amax/15.5 (Q5_K), amax/32 (Q6_K) — plus
 *       2% for the scale rounding. */
static double roundtrip_bound_rel(tensor_type t, double amax, double range, double absmin)
{
    const double h = ldexp(1.0, -11);
    switch (t) {
    case TENSOR_F32: return 0;
    case TENSOR_F16: return amax * h + ldexp(1.0, -25);
    case TENSOR_BF16: return amax * ldexp(1.0, -8);
    case TENSOR_Q8_0: return amax / 127 * (0.5 + 127 * h) * 1.001;
    case TENSOR_Q8_K: return amax / 127 * 0.5 * 1.001;
    case TENSOR_Q4_0: return amax / 8 * (1 + 8 * h) * 1.001;
    case TENSOR_Q5_0: return amax / 16 * (1 + 16 * h) * 1.001;
    case TENSOR_Q4_1: return range / 15 * (0.5 + 15 * h) * 1.001 + absmin * h;
    case TENSOR_Q5_1: return range / 31 * (0.5 + 31 * h) * 1.001 + absmin * h;
    case TENSOR_Q8_1: return amax / 127 * (0.5 + 127 * h) * 1.001;
    case TENSOR_Q2_K: return amax / 1.5 * 1.02;
    case TENSOR_Q3_K: return amax / 4 * 1.02;
    case TENSOR_Q4_K: return amax / 7.5 * 1.02;
    case TENSOR_Q5_K: return amax / 15.5 * 1.02;
    case TENSOR_Q6_K: return amax / 32 * 1.02;
    default: return 0;
    }
}

/* Half-precision scales also have an absolute resolution: below 2^-14 they
 * are subnormal with steps of 2^-24, so a scale can be off by up to 2^-25
 * (or round to zero). That error is multiplied by the largest quant times
 * the largest sub-scale of the format. */
static double roundtrip_bound(tensor_type t, double amax, double range, double absmin)
{
    double q_times_scale;
    switch (t) {
    case TENSOR_Q8_0: case TENSOR_Q8_1: q_times_scale = 127; break;
    case TENSOR_Q4_0: q_times_scale = 8; break;
    case TENSOR_Q5_0: q_times_scale = 16; break;
    case TENSOR_Q4_1: q_times_scale = 15 + 1; break;
    case TENSOR_Q5_1: q_times_scale = 31 + 1; break;
    case TENSOR_Q2_K: q_times_scale = 3 * 15 + 15; break;
    case TENSOR_Q3_K: q_times_scale = 4 * 32; break;
    case TENSOR_Q4_K: q_times_scale = 15 * 63 + 63; break;
    case TENSOR_Q5_K: q_times_scale = 31 * 63 + 63; break;
    case TENSOR_Q6_K: q_times_scale = 32 * 128; break;
    default: q_times_scale = 0; break;
    }
    return roundtrip_bound_rel(t, amax, range, absmin) + q_times_scale * ldexp(1.0, -25);
}

/* Root-mean-square error allowed over a whole row, relative to the row's
 * RMS, for gaussian-like data: a uniform quantizer's step/sqrt(12) with the
 * step each format spends on about +-3 sigma; twice that as margin. */
static double roundtrip_rms_bound(tensor_type t)
{
    switch (t) {
    case TENSOR_Q8_0: case TENSOR_Q8_1: case TENSOR_Q8_K: return 0.01;
    case TENSOR_Q4_0: case TENSOR_Q4_1: return 0.15;
    case TENSOR_Q5_0: case TENSOR_Q5_1: return 0.08;
    case TENSOR_Q2_K: return 0.6;
    case TENSOR_Q3_K: return 0.3;
    case TENSOR_Q4_K: return 0.15;
    case TENSOR_Q5_K: return 0.08;
    case TENSOR_Q6_K: return 0.04;
    case TENSOR_F16: return 1e-3;
    case TENSOR_BF16: return 8e-3;
    default: return 0;
    }
}

static void test_roundtrip_within_bounds(void **state)
{
    (void)state;
    static const tensor_type types[] = {
        TENSOR_F32,  TENSOR_F16,  TENSOR_BF16, TENSOR_Q4_0, TENSOR_Q4_1, TENSOR_Q5_0,
        TENSOR_Q5_1, TENSOR_Q8_0, TENSOR_Q8_1, TENSOR_Q2_K, TENSOR_Q3_K, TENSOR_Q4_K,
        TENSOR_Q5_K, TENSOR_Q6_K, TENSOR_Q8_K};
    enum { N = 8192 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    uint8_t *q = malloc(N * 4);
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        tensor_type t = types[ti];
        int64_t be = tensor_type_block_elems(t);
        int64_t group = be == 1 ? 32 : be;
        for (int dist = 0; dist < 6; dist++) {
            test_rng r = {31 * (uint64_t)t + (uint64_t)dist};
            fill_distribution(&r, dist, x, N);
            assert_int_equal(quantize_row_ref(t, x, q, N, NULL), SL_OK);
            assert_int_equal(dequantize_row(t, q, y, N, NULL), SL_OK);
            double se = 0, sx = 0;
            for (int64_t b = 0; b < N; b += group) {
                double amax = 0, mn = INFINITY, mx = -INFINITY;
                for (int64_t i = b; i < b + group; i++) {
                    amax = fmax(amax, fabs(x[i]));
                    mn = fmin(mn, x[i]);
                    mx = fmax(mx, x[i]);
                }
                double bound = roundtrip_bound(t, amax, mx - mn, fabs(mn)) + 1e-37;
                for (int64_t i = b; i < b + group; i++) {
                    double e = fabs((double)y[i] - x[i]);
                    if (t == TENSOR_F16 || t == TENSOR_BF16)
                        bound = roundtrip_bound(t, fabs(x[i]), 0, 0) + 1e-37;
                    if (!(e <= bound))
                        fail_msg("%s, distribution %d, element %lld: %g -> %g, error %g > %g",
                                 tensor_type_name(t), dist, (long long)i, (double)x[i],
                                 (double)y[i], e, bound);
                    se += e * e;
                    sx += (double)x[i] * x[i];
                }
            }
            if (dist == 0) {
                double rel = sqrt(se / sx);
                if (rel > roundtrip_rms_bound(t) && t != TENSOR_F32)
                    fail_msg("%s: relative RMS error %g above %g", tensor_type_name(t), rel,
                             roundtrip_rms_bound(t));
            }
        }
    }
    free(x);
    free(y);
    free(q);
}

/* quantize(dequantize(q)) == q for the formats whose grid the reference
 * quantizer maps onto itself. */
static void test_requantize_is_stable(void **state)
{
    (void)state;
    static const tensor_type types[] = {TENSOR_Q4_0, TENSOR_Q4_1, TENSOR_Q5_0, TENSOR_Q5_1,
                                        TENSOR_Q8_0, TENSOR_F16, TENSOR_BF16};
    enum { N = 4096 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    uint8_t *q = malloc(N * 4), *q2 = malloc(N * 4);
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        test_rng r = {5 + ti};
        fill_distribution(&r, 0, x, N);
        quantize_row_ref(types[ti], x, q, N, NULL);
        dequantize_row(types[ti], q, y, N, NULL);
        quantize_row_ref(types[ti], y, q2, N, NULL);
        if (memcmp(q, q2, row_bytes_of(types[ti], N)) != 0)
            fail_msg("%s: requantizing dequantized blocks changed them",
                     tensor_type_name(types[ti]));
    }
    free(x);
    free(y);
    free(q);
    free(q2);
}

/* ------------------------------------------------------------------ */
/* dot products                                                         */

static void check_dot_all_levels(tensor_type t, int64_t n, int unit_scales, uint64_t seed)
{
    tensor_type at = tensor_type_vec_dot_type(t);
    void *w = malloc(row_bytes_of(t, n) * QTILE_MAX_R);
    void *a = malloc(row_bytes_of(at, n) * QTILE_MAX_C);
    size_t ws = row_bytes_of(t, n), as = row_bytes_of(at, n);
    test_rng r = {seed};
    for (int i = 0; i < QTILE_MAX_R; i++)
        fill_random_row(&r, t, (uint8_t *)w + i * ws, n, unit_scales);
    for (int i = 0; i < QTILE_MAX_C; i++)
        fill_random_row(&r, at, (uint8_t *)a + i * as, n, unit_scales);
    exact_dot e = exact_dot_of(t, w, a, n);
    double tol = dot_tolerance(t, n, e, a);
    float ref = quant_kernels_scalar.vec_dot[t](n, w, a);
    if (unit_scales) {
        /* every float operation is exact: integer sums must agree exactly */
        if ((double)ref != e.value)
            fail_msg("%s n=%lld: scalar %.9g != exact integer %.9g", tensor_type_name(t),
                     (long long)n, (double)ref, e.value);
    } else if (fabs(ref - e.value) > tol) {
        fail_msg("%s n=%lld: scalar %.9g vs exact %.9g (tolerance %.3g)", tensor_type_name(t),
                 (long long)n, (double)ref, e.value, tol);
    }
    for (int level = 0; level < SIMD_LEVEL_COUNT; level++) {
        const quant_kernels *k = quant_kernels_for((simd_level)level);
        if (!k)
            continue;
        float got = k->vec_dot[t](n, w, a);
        if (unit_scales ? (double)got != e.value : fabs(got - e.value) > tol)
            fail_msg("%s n=%lld level %s: %.9g vs exact %.9g (scalar %.9g, tolerance %.3g)",
                     tensor_type_name(t), (long long)n, simd_level_name((simd_level)level),
                     (double)got, e.value, (double)ref, unit_scales ? 0.0 : tol);
        /* a tile of any shape computes each of its dot products exactly as
         * vec_dot of the same level does */
        float y[QTILE_MAX_R * QTILE_MAX_C];
        for (int nr = 1; nr <= QTILE_MAX_R; nr++)
            for (int nc = 1; nc <= QTILE_MAX_C; nc++) {
                memset(y, 0, sizeof y);
                k->tile[t](n, w, ws, nr, a, as, nc, y, QTILE_MAX_R);
                for (int c = 0; c < nc; c++)
                    for (int rr = 0; rr < nr; rr++) {
                        float want = k->vec_dot[t](n, (uint8_t *)w + rr * ws,
                                                   (uint8_t *)a + c * as);
                        if (memcmp(&want, &y[c * QTILE_MAX_R + rr], sizeof want) != 0)
                            fail_msg("%s level %s: tile %dx%d (%d,%d) = %.9g, vec_dot %.9g",
                                     tensor_type_name(t), simd_level_name((simd_level)level), nr,
                                     nc, rr, c, (double)y[c * QTILE_MAX_R + rr], (double)want);
                    }
            }
    }
    free(w);
    free(a);
}

static void test_dot_products_every_level(void **state)
{
    (void)state;
    for (int i = 0; i < N_WEIGHT_TYPES; i++) {
        tensor_type t = weight_types[i];
        int64_t be = tensor_type_block_elems(t);
        int64_t base = be == 1 ? 32 : be;
        check_dot_all_levels(t, base, 0, 1 + i);
        check_dot_all_levels(t, 4096, 0, 100 + i);
        /* exact: small enough rows that the integer sums stay below 2^24 */
        check_dot_all_levels(t, base, 1, 200 + i);
        check_dot_all_levels(t, base * 2, 1, 300 + i);
        if (be == 1) {
            check_dot_all_levels(t, 37, 0, 400 + i); /* odd lengths for float rows */
            check_dot_all_levels(t, 7, 1, 500 + i);
        }
    }
}

/* The extremes of every field at once: largest quants and scales, all
 * activation quants at +127 or -127. */
static void test_dot_products_extremes(void **state)
{
    (void)state;
    enum { N = 256 };
    for (int i = 0; i < N_WEIGHT_TYPES; i++) {
        tensor_type t = weight_types[i];
        tensor_type at = tensor_type_vec_dot_type(t);
        if (tensor_type_block_elems(t) == 1)
            continue;
        size_t ws = row_bytes_of(t, N), as = row_bytes_of(at, N);
        uint8_t *w = malloc(ws), *a = malloc(as);
        for (int pattern = 0; pattern < 4; pattern++) {
            test_rng r = {42 + (uint64_t)pattern};
            fill_random_row(&r, t, w, N, 1);
            fill_random_row(&r, at, a, N, 1);
            /* all quant bits set (weights at their maximum) or clear */
            uint8_t fillw = pattern & 1 ? 0xff : 0x00;
            size_t bb = tensor_type_block_bytes(t);
            for (size_t b = 0; b < ws / bb; b++) {
                uint8_t *blk = w + b * bb;
                switch (t) {
                case TENSOR_Q4_0: memset(blk + 2, fillw, 16); break;
                case TENSOR_Q5_0: memset(blk + 2, fillw, 20); break;
                case TENSOR_Q4_1: memset(blk + 4, fillw, 16); break;
                case TENSOR_Q5_1: memset(blk + 4, fillw, 20); break;
                case TENSOR_Q8_0: memset(blk + 2, pattern & 1 ? 0x7f : 0x81, 32); break;
                case TENSOR_Q2_K: memset(blk, 0xff, 16); memset(blk + 16, fillw, 64); break;
                case TENSOR_Q3_K: memset(blk, fillw, 96); memset(blk + 96, 0xff, 12); break;
                case TENSOR_Q4_K: memset(blk + 4, 0xff, 12); memset(blk + 16, fillw, 128); break;
                case TENSOR_Q5_K: memset(blk + 4, 0xff, 12); memset(blk + 16, fillw, 160); break;
                case TENSOR_Q6_K:
                    memset(blk, fillw, 192);
                    memset(blk + 192, pattern & 2 ? 0x80 : 0x7f, 16);
                    break;
                default: break;
                }
            }
            /* activations all +127 or all -127 */
            int8_t av = pattern & 2 ? -127 : 127;
            if (at == TENSOR_Q8_K) {
                block_q8_K *k8 = (block_q8_K *)a;
                for (int b = 0; b < N / QK_K; b++) {
                    memset(k8[b].qs, (uint8_t)av, QK_K);
                    for (int g = 0; g < 16; g++)
                        k8[b].bsums[g] = (int16_t)(16 * av);
                }
            } else {
                size_t ab = tensor_type_block_bytes(at);
                size_t off = at == TENSOR_Q8_1 ? 4 : 2;
                for (size_t b = 0; b < as / ab; b++) {
                    memset(a + b * ab + off, (uint8_t)av, 32);
                    if (at == TENSOR_Q8_1) {
                        uint16_t s = f32_to_fp16(32.0f * av);
                        memcpy(a + b * ab + 2, &s, 2);
                    }
                }
            }
            exact_dot e = exact_dot_of(t, w, a, N);
            for (int level = 0; level < SIMD_LEVEL_COUNT; level++) {
                const quant_kernels *k = quant_kernels_for((simd_level)level);
                if (!k)
                    continue;
                float got = k->vec_dot[t](N, w, a);
                /* sums here pass 2^24: allow the final float roundings */
                if (fabs((double)got - e.value) > e.magnitude * ldexp(1.0, -20))
                    fail_msg("%s extreme pattern %d level %s: %.9g, exact %.9g",
                             tensor_type_name(t), pattern, simd_level_name((simd_level)level),
                             (double)got, e.value);
            }
        }
        free(w);
        free(a);
    }
}

/* The public entry points validate what they are given. */
static void test_api_rejects_bad_rows(void **state)
{
    (void)state;
    float x[64] = {0};
    uint8_t q[256];
    sl_error err;
    assert_int_equal(quantize_row_ref(TENSOR_Q4_0, x, q, 31, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "Q4_0"));
    assert_int_equal(dequantize_row(TENSOR_IQ2_XXS, q, x, 256, &err), SL_ERR_UNSUPPORTED);
    assert_int_equal(quantize_row_act(TENSOR_Q4_0, x, q, 32, &err), SL_ERR_ARG);
    assert_true(isnan(vec_dot(TENSOR_Q4_K, 32, q, q)));
    assert_int_equal(tensor_type_vec_dot_type(TENSOR_Q4_1), TENSOR_Q8_1);
    assert_int_equal(tensor_type_vec_dot_type(TENSOR_Q5_0), TENSOR_Q8_0);
    assert_int_equal(tensor_type_vec_dot_type(TENSOR_Q3_K), TENSOR_Q8_K);
    assert_int_equal(tensor_type_vec_dot_type(TENSOR_F16), TENSOR_F16);
    assert_int_equal(tensor_type_vec_dot_type(TENSOR_IQ4_NL), TENSOR_TYPE_COUNT);
    assert_int_equal(quant_check_row(TENSOR_Q8_K, 512, NULL), SL_OK);
}

static void test_cpu_levels(void **state)
{
    (void)state;
    assert_true(simd_level_supported(SIMD_SCALAR));
    simd_level active = simd_level_active();
    assert_true(simd_level_supported(active));
    assert_non_null(quant_kernels_for(active));
    assert_int_equal(simd_level_from_name("AVX2"), SIMD_AVX2);
    assert_int_equal(simd_level_from_name("sse9"), -1);
    const char *forced = getenv("SIGHTLINE_SIMD");
    if (forced && simd_level_from_name(forced) >= 0 &&
        simd_level_supported((simd_level)simd_level_from_name(forced)))
        assert_int_equal(active, simd_level_from_name(forced));
    print_message("SIMD level in use: %s\n", simd_level_name(active));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_levels),
        cmocka_unit_test(test_fp16_known_values),
        cmocka_unit_test(test_fp16_exhaustive_and_nearest),
        cmocka_unit_test(test_bf16_rounding),
        cmocka_unit_test(test_fp16_rows_every_level),
        cmocka_unit_test(test_reference_quantizers_match_ggml),
        cmocka_unit_test(test_activation_quantizers_every_level),
        cmocka_unit_test(test_roundtrip_within_bounds),
        cmocka_unit_test(test_requantize_is_stable),
        cmocka_unit_test(test_dot_products_every_level),
        cmocka_unit_test(test_dot_products_extremes),
        cmocka_unit_test(test_api_rejects_bad_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
