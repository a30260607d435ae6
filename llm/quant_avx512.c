/* AVX-512 kernels with VNNI (Ice Lake, Zen 4 and later): the shared x86
 * kernels use vpdpbusd / vpdpwssd on 256-bit registers (full rate on Zen 4,
 * which splits 512-bit operations in two). */
#define QX86_VNNI 1
#include "llm/quant_x86_kernels.h"

const quant_kernels quant_kernels_avx512 = {
    .level = SIMD_AVX512,
    QX_TABLE_COMMON,
};
