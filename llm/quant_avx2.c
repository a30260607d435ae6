/* AVX2 kernels (placeholder: the scalar reference until the SIMD versions land). */
#include "llm/quant_internal.h"

QTILE_FROM_DOT(tile_f32, vec_dot_f32_scalar)
QTILE_FROM_DOT(tile_f16, vec_dot_f16_scalar)
QTILE_FROM_DOT(tile_bf16, vec_dot_bf16_scalar)
QTILE_FROM_DOT(tile_q4_0, vec_dot_q4_0_q8_0_scalar)
QTILE_FROM_DOT(tile_q4_1, vec_dot_q4_1_q8_1_scalar)
QTILE_FROM_DOT(tile_q5_0, vec_dot_q5_0_q8_0_scalar)
QTILE_FROM_DOT(tile_q5_1, vec_dot_q5_1_q8_1_scalar)
QTILE_FROM_DOT(tile_q8_0, vec_dot_q8_0_q8_0_scalar)
QTILE_FROM_DOT(tile_q2_K, vec_dot_q2_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q3_K, vec_dot_q3_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q4_K, vec_dot_q4_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q5_K, vec_dot_q5_K_q8_K_scalar)
QTILE_FROM_DOT(tile_q6_K, vec_dot_q6_K_q8_K_scalar)

const quant_kernels quant_kernels_avx2 = {
    .level = SIMD_AVX2,
    .dequantize =
        {
            [TENSOR_F32] = dequantize_row_f32,
            [TENSOR_F16] = dequantize_row_f16,
            [TENSOR_BF16] = dequantize_row_bf16,
            [TENSOR_Q4_0] = dequantize_row_q4_0,
            [TENSOR_Q4_1] = dequantize_row_q4_1,
            [TENSOR_Q5_0] = dequantize_row_q5_0,
            [TENSOR_Q5_1] = dequantize_row_q5_1,
            [TENSOR_Q8_0] = dequantize_row_q8_0,
            [TENSOR_Q8_1] = dequantize_row_q8_1,
            [TENSOR_Q2_K] = dequantize_row_q2_K,
            [TENSOR_Q3_K] = dequantize_row_q3_K,
            [TENSOR_Q4_K] = dequantize_row_q4_K,
            [TENSOR_Q5_K] = dequantize_row_q5_K,
            [TENSOR_Q6_K] = dequantize_row_q6_K,
            [TENSOR_Q8_K] = dequantize_row_q8_K,
        },
    .quantize_act =
        {
            [TENSOR_F32] = quantize_row_f32_ref,
            [TENSOR_F16] = quantize_row_f16_ref,
            [TENSOR_BF16] = quantize_row_bf16_ref,
            [TENSOR_Q8_0] = quantize_row_q8_0_act_scalar,
            [TENSOR_Q8_1] = quantize_row_q8_1_act_scalar,
            [TENSOR_Q8_K] = quantize_row_q8_K_ref,
        },
    .vec_dot =
        {
            [TENSOR_F32] = vec_dot_f32_scalar,
            [TENSOR_F16] = vec_dot_f16_scalar,
            [TENSOR_BF16] = vec_dot_bf16_scalar,
            [TENSOR_Q4_0] = vec_dot_q4_0_q8_0_scalar,
            [TENSOR_Q4_1] = vec_dot_q4_1_q8_1_scalar,
            [TENSOR_Q5_0] = vec_dot_q5_0_q8_0_scalar,
            [TENSOR_Q5_1] = vec_dot_q5_1_q8_1_scalar,
            [TENSOR_Q8_0] = vec_dot_q8_0_q8_0_scalar,
            [TENSOR_Q2_K] = vec_dot_q2_K_q8_K_scalar,
            [TENSOR_Q3_K] = vec_dot_q3_K_q8_K_scalar,
            [TENSOR_Q4_K] = vec_dot_q4_K_q8_K_scalar,
            [TENSOR_Q5_K] = vec_dot_q5_K_q8_K_scalar,
            [TENSOR_Q6_K] = vec_dot_q6_K_q8_K_scalar,
        },
    .tile =
        {
            [TENSOR_F32] = tile_f32,
            [TENSOR_F16] = tile_f16,
            [TENSOR_BF16] = tile_bf16,
            [TENSOR_Q4_0] = tile_q4_0,
            [TENSOR_Q4_1] = tile_q4_1,
            [TENSOR_Q5_0] = tile_q5_0,
            [TENSOR_Q5_1] = tile_q5_1,
            [TENSOR_Q8_0] = tile_q8_0,
            [TENSOR_Q2_K] = tile_q2_K,
            [TENSOR_Q3_K] = tile_q3_K,
            [TENSOR_Q4_K] = tile_q4_K,
            [TENSOR_Q5_K] = tile_q5_K,
            [TENSOR_Q6_K] = tile_q6_K,
        },
    .fp16_to_f32 = fp16_to_f32_row_scalar,
    .f32_to_fp16 = f32_to_fp16_row_scalar,
    .bf16_to_f32 = bf16_to_f32_row_scalar,
    .f32_to_bf16 = f32_to_bf16_row_scalar,
};
