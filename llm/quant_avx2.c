/* AVX2 + FMA + F16C kernels (Haswell / Zen 1 and later). */
#include "llm/quant_x86_kernels.h"

const quant_kernels quant_kernels_avx2 = {
    .level = SIMD_AVX2,
    QX_TABLE_COMMON,
};
