/* AVX2 + FMA + F16C kernels (Haswell / Zen 1 and later). */
#include "llm/quant_x86_kernels.h"

const quant_kernels quant_kernels_avx2 = {
    .level = SIMD_AVX2,
    QX_TABLE_COMMON,
    .gemv =
        {
            [TENSOR_Q4_0] = qx_gemv_q4_0,
            [TENSOR_Q8_0] = qx_gemv_q8_0,
        },
};
