/* NEON kernels against the scalar reference, without cmocka, so that it can
 * be cross-compiled and run under qemu-aarch64 by scripts/check-neon.sh
 * (an x86 machine has no NEON to run test_quant on). Exit status 0 when
 * every comparison holds. */
#include <stdio.h>

#include "llm/llm.h"
#include "llm/quant_internal.h"
#include "tests/llm/quant_test_util.h"

static int failures;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

int main(void)
{
#if defined(SL_HAVE_NEON)
    const quant_kernels *neon = quant_kernels_for(SIMD_NEON);
    CHECK(neon != NULL, "NEON kernels not available");
    if (!neon)
        return 1;
    enum { N = 1024 };
    for (int i = 0; i < N_WEIGHT_TYPES; i++) {
        tensor_type t = weight_types[i], at = tensor_type_vec_dot_type(t);
        for (int unit = 0; unit < 2; unit++) {
            int64_t n = unit ? (tensor_type_block_elems(t) == QK_K ? 256 : 64) : N;
            uint8_t *w = malloc(row_bytes_of(t, n)), *a = malloc(row_bytes_of(at, n));
            test_rng r = {7 + (uint64_t)i * 2 + (uint64_t)unit};
            fill_random_row(&r, t, w, n, unit);
            fill_random_row(&r, at, a, n, unit);
            float s = quant_kernels_scalar.vec_dot[t](n, w, a);
            float v = neon->vec_dot[t](n, w, a);
            exact_dot e = exact_dot_of(t, w, a, n);
            double tol = dot_tolerance(t, n, e, a);
            bool quantized = tensor_type_block_elems(t) > 1;
            /* quantized: same integer sums and the scalar's float order */
            if (quantized || unit)
                CHECK(s == v, "%s n=%lld: neon %.9g scalar %.9g", tensor_type_name(t),
                      (long long)n, (double)v, (double)s);
            else
                CHECK(fabs((double)v - e.value) <= tol, "%s: neon %.9g exact %.9g",
                      tensor_type_name(t), (double)v, e.value);
            free(w);
            free(a);
        }
    }
    float *x = malloc(N * sizeof(float));
    uint8_t *q1 = malloc(N * 2), *q2 = malloc(N * 2);
    uint16_t *h = malloc(N * 2);
    float *f1 = malloc(N * sizeof(float)), *f2 = malloc(N * sizeof(float));
    test_rng r = {3};
    for (int i = 0; i < N; i++) {
        x[i] = rng_gauss(&r) * (i % 64 == 0 ? 50.0f : 1.0f);
        h[i] = (uint16_t)rng_next(&r);
    }
    quant_kernels_scalar.quantize_act[TENSOR_Q8_0](x, q1, N);
    neon->quantize_act[TENSOR_Q8_0](x, q2, N);
    CHECK(memcmp(q1, q2, row_bytes_of(TENSOR_Q8_0, N)) == 0, "Q8_0 activations differ");
    quant_kernels_scalar.fp16_to_f32(h, f1, N);
    neon->fp16_to_f32(h, f2, N);
    CHECK(memcmp(f1, f2, N * sizeof(float)) == 0, "fp16 -> f32 rows differ");
    free(x);
    free(q1);
    free(q2);
    free(h);
    free(f1);
    free(f2);
    printf("neon_check: %s (active level %s)\n", failures ? "FAILED" : "ok",
           simd_level_name(simd_level_active()));
    return failures ? 1 : 0;
#else
    printf("neon_check: not an AArch64 build\n");
    return 0;
#endif
}
