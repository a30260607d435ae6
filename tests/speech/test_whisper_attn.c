/* The decoder attention kernels (llm/attn_f16.h) that Whisper's decoder
 * runs: the dispatched (AVX-512 where the CPU has it) scores and online
 * softmax against the portable reference, and the reference against the
 * softmax-weighted sum computed in double. */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/attn_f16.h"
#include "llm/cpu_features.h"
#include "llm/fp16.h"

static uint32_t rng_state = 12345u;

static float frand(void) /* uniform in [-1, 1) */
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)(rng_state >> 8) * 0x1p-23f - 1.0f;
}

static float as_f16(float x)
{
    return fp16_to_f32(f32_to_fp16(x));
}

static void fill_f16(uint16_t *p, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        p[i] = f32_to_fp16(scale * frand());
}

/* Scores: bit-equal to the reference for d = 64 and 128 (ggml's summation
 * order), the reference within float rounding of a double dot product. */
static void test_scores_match_reference(void **state)
{
    (void)state;
    const int ds[] = {64, 128, 96, 32};
    for (size_t t = 0; t < sizeof ds / sizeof ds[0]; t++) {
        int d = ds[t];
        int64_t n = 53; /* three blocks of 16 and a partial one */
        size_t stride = (size_t)d + 24;
        uint16_t *k = malloc(stride * (size_t)n * sizeof *k);
        float *q = malloc((size_t)d * sizeof *q);
        float *got = malloc((size_t)n * sizeof *got), *ref = malloc((size_t)n * sizeof *ref);
        assert_non_null(k);
        assert_non_null(q);
        assert_non_null(got);
        assert_non_null(ref);
        fill_f16(k, stride * (size_t)n, 3.0f);
        for (int c = 0; c < d; c++)
            q[c] = as_f16(2.0f * frand());
        float scale = 0.125f;
        attn_f16_scores(q, k, stride, n, d, scale, got);
        attn_f16_scores_ref(q, k, stride, n, d, scale, ref);
        /* ggml's order exactly with AVX-512 and wherever d is not a
         * multiple of 64 (the reference runs); otherwise within float
         * rounding */
        bool exact = simd_level_active() == SIMD_AVX512 || d % 64 != 0;
        double worst = 0, worst_got = 0;
        for (int64_t j = 0; j < n; j++) {
            uint32_t a, b;
            memcpy(&a, &got[j], 4);
            memcpy(&b, &ref[j], 4);
            if (exact)
                assert_int_equal(a, b);
            double dot = 0, mag = 0;
            for (int c = 0; c < d; c++) {
                double p = (double)q[c] * fp16_to_f32(k[(size_t)j * stride + (size_t)c]);
                dot += p;
                mag += fabs(p);
            }
            double rel = fabs(ref[j] - dot * scale) / (mag * scale);
            if (rel > worst)
                worst = rel;
            rel = fabs(got[j] - dot * scale) / (mag * scale);
            if (rel > worst_got)
                worst_got = rel;
        }
        printf("scores d=%d (%s): %s; vs double: reference %.2g, dispatched %.2g of "
               "sum |products| (tolerance 1e-6)\n", d, simd_level_name(simd_level_active()),
               exact ? "bit-equal to the reference" : "another summation order", worst, worst_got);
        assert_true(worst <= 1e-6);
        assert_true(worst_got <= 1e-6);
        free(k);
        free(q);
        free(got);
        free(ref);
    }
}

typedef struct acc_case {
    int heads, d;
    int64_t n_v, n_zero;
} acc_case;

/* Accumulation over several heads and two chunks (state carried between
 * calls): M bit-equal, S within 1e-6, the F16 sums within 2 F16 ulps of the
 * largest |sum| (exp rounded once vs glibc's expf may flip a rounding, which
 * later keys carry along), most elements bit-equal; and the reference's
 * result (sum / S) within 1e-2 of the softmax-weighted values in double
 * (values up to 4, where F16 steps are 2^-8 = 3.9e-3). */
static void test_accumulate_matches_reference(void **state)
{
    (void)state;
    const acc_case cases[] = {
        {1, 64, 300, 20}, {2, 64, 129, 0}, {3, 64, 300, 36}, {6, 64, 200, 56},
        {5, 64, 77, 3},   {1, 128, 150, 10}, {3, 128, 90, 0}, {2, 96, 70, 5},
        {2, 32, 150, 20}, {5, 32, 60, 4}, {3, 16, 40, 8},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const acc_case *cs = &cases[t];
        int H = cs->heads, d = cs->d;
        int64_t n_v = cs->n_v, n_zero = cs->n_zero, n = n_v + n_zero;
        size_t v_stride = (size_t)d * 2 + 8; /* rows of two heads' width, padded */
        size_t v_head = v_stride * (size_t)n_v;
        size_t s_stride = (size_t)n_v + 5;
        uint16_t *v = malloc(v_head * (size_t)H * sizeof *v);
        float *s = malloc(s_stride * (size_t)H * sizeof *s);
        float *a1 = calloc((size_t)H * d, sizeof(float)), *a2 = calloc((size_t)H * d, sizeof(float));
        float *m1 = malloc((size_t)H * sizeof(float)), *m2 = malloc((size_t)H * sizeof(float));
        float *s1 = calloc((size_t)H, sizeof(float)), *s2 = calloc((size_t)H, sizeof(float));
        assert_true(v && s && a1 && a2 && m1 && m2 && s1 && s2);
        fill_f16(v, v_head * (size_t)H, 4.0f);
        for (int h = 0; h < H; h++) {
            m1[h] = m2[h] = -INFINITY;
            for (int64_t j = 0; j < n_v; j++) {
                /* rising stretches make new maxima throughout */
                float base = (j % 50 < 10) ? 0.05f * (float)(j % 50) * (float)(h + 1) : 0.0f;
                s[(size_t)h * s_stride + (size_t)j] = 3.0f * frand() + base;
            }
        }
        /* two chunks: the first half of the real keys, then the rest and
         * the zero keys */
        int64_t half = n_v / 2;
        attn_f16_accumulate(H, s, s_stride, half, 0, v, v_stride, v_head, d, a1, (size_t)d, m1,
                            s1);
        attn_f16_accumulate(H, s + half, s_stride, n_v - half, n_zero, v + (size_t)half * v_stride,
                            v_stride, v_head, d, a1, (size_t)d, m1, s1);
        attn_f16_accumulate_ref(H, s, s_stride, half, 0, v, v_stride, v_head, d, a2, (size_t)d,
                                m2, s2);
        attn_f16_accumulate_ref(H, s + half, s_stride, n_v - half, n_zero,
                                v + (size_t)half * v_stride, v_stride, v_head, d, a2, (size_t)d,
                                m2, s2);
        double worst = 0, worst_math = 0;
        size_t equal = 0;
        for (int h = 0; h < H; h++) {
            assert_true(m1[h] == m2[h]);
            assert_true(fabsf(s1[h] - s2[h]) <= 1e-6f * s2[h]);
            float amax = 0;
            for (int c = 0; c < d; c++)
                amax = fmaxf(amax, fabsf(a2[(size_t)h * d + c]));
            /* the weighted sum in double */
            double mx = 0, den = 0; /* zero keys have score 0 */
            const float *sh = s + (size_t)h * s_stride;
            for (int64_t j = 0; j < n_v; j++)
                mx = fmax(mx, sh[j]);
            for (int64_t j = 0; j < n; j++)
                den += exp((j < n_v ? sh[j] : 0.0) - mx);
            for (int c = 0; c < d; c++) {
                float x = a1[(size_t)h * d + c], y = a2[(size_t)h * d + c];
                if (x == y)
                    equal++;
                double diff = fabs((double)x - y) / amax;
                if (diff > worst)
                    worst = diff;
                double num = 0;
                for (int64_t j = 0; j < n_v; j++)
                    num += exp(sh[j] - mx) *
                           fp16_to_f32(v[(size_t)h * v_head + (size_t)j * v_stride + (size_t)c]);
                double e = fabs(y / s2[h] - num / den);
                if (e > worst_math)
                    worst_math = e;
            }
        }
        size_t total = (size_t)H * (size_t)d;
        printf("accumulate %d heads d=%d keys %lld+%lld: max |diff| %.2g of max |sum|, %zu of "
               "%zu equal; reference vs double %.2g\n",
               H, d, (long long)n_v, (long long)n_zero, worst, equal, total, worst_math);
        assert_true(worst <= 2.0 * 0x1p-10);
        assert_true(equal * 100 >= total * 95);
        assert_true(worst_math <= 1e-2);
        free(v);
        free(s);
        free(a1);
        free(a2);
        free(m1);
        free(m2);
        free(s1);
        free(s2);
    }
}

/* An empty chunk leaves the state as it was; zero keys alone add to S
 * only. */
static void test_accumulate_edges(void **state)
{
    (void)state;
    float acc[64], m = -INFINITY, sum = 0;
    for (int c = 0; c < 64; c++)
        acc[c] = 0;
    uint16_t v[64];
    fill_f16(v, 64, 1.0f);
    float none = 0;
    attn_f16_accumulate(1, &none, 0, 0, 0, v, 64, 0, 64, acc, 64, &m, &sum);
    assert_true(isinf(m) && m < 0 && sum == 0);
    attn_f16_accumulate(1, &none, 0, 0, 4, v, 64, 0, 64, acc, 64, &m, &sum);
    assert_true(m == 0.0f && sum == 4.0f);
    for (int c = 0; c < 64; c++)
        assert_true(acc[c] == 0.0f);
    float sc = -1.0f;
    attn_f16_accumulate(1, &sc, 0, 1, 0, v, 64, 0, 64, acc, 64, &m, &sum);
    float e = expf(-1.0f);
    assert_true(m == 0.0f);
    assert_true(fabsf(sum - (4.0f + e)) <= 1e-6f);
    for (int c = 0; c < 64; c++)
        assert_true(acc[c] == as_f16(fp16_to_f32(v[c]) * e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_match_reference),
        cmocka_unit_test(test_accumulate_matches_reference),
        cmocka_unit_test(test_accumulate_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
