#include "llm/quant.h"

#include <math.h>

#include "llm/fp16.h"
#include "llm/quant_internal.h"

const quant_kernels *quant_kernels_for(simd_level level)
{
    if (!simd_level_supported(level))
        return NULL;
    switch (level) {
    case SIMD_SCALAR:
        return &quant_kernels_scalar;
#if defined(SL_HAVE_X86_SIMD)
    case SIMD_AVX2:
        return &quant_kernels_avx2;
    case SIMD_AVX512:
        return &quant_kernels_avx512;
#endif
#if defined(SL_HAVE_NEON)
    case SIMD_NEON:
        return &quant_kernels_neon;
#endif
    default:
        return NULL;
    }
}

const quant_kernels *quant_kernels_active(void)
{
    switch (simd_level_active()) {
#if defined(SL_HAVE_X86_SIMD)
    case SIMD_AVX2:
        return &quant_kernels_avx2;
    case SIMD_AVX512:
        return &quant_kernels_avx512;
#endif
#if defined(SL_HAVE_NEON)
    case SIMD_NEON:
        return &quant_kernels_neon;
#endif
    default:
        return &quant_kernels_scalar;
    }
}

bool quant_weight_type_supported(tensor_type type)
{
    return tensor_type_vec_dot_type(type) != TENSOR_TYPE_COUNT;
}

tensor_type tensor_type_vec_dot_type(tensor_type type)
{
    switch (type) {
    case TENSOR_F32:
    case TENSOR_F16:
    case TENSOR_BF16:
        return type;
    case TENSOR_Q4_0:
    case TENSOR_Q5_0:
    case TENSOR_Q8_0:
        return TENSOR_Q8_0;
    case TENSOR_Q4_1:
    case TENSOR_Q5_1:
        return TENSOR_Q8_1;
    case TENSOR_Q2_K:
    case TENSOR_Q3_K:
    case TENSOR_Q4_K:
    case TENSOR_Q5_K:
    case TENSOR_Q6_K:
        return TENSOR_Q8_K;
    default:
        return TENSOR_TYPE_COUNT;
    }
}

static bool row_type_supported(tensor_type type)
{
    return (unsigned)type < TENSOR_TYPE_COUNT && quant_kernels_scalar.dequantize[type] != NULL;
}

sl_status quant_check_row(tensor_type type, int64_t n, sl_error *err)
{
    if (!row_type_supported(type))
        return sl_fail(err, SL_ERR_UNSUPPORTED, "quant: type %s (%d) has no kernels",
                       tensor_type_name(type), (int)type);
    int64_t be = tensor_type_block_elems(type);
    if (n < 0 || n % be != 0)
        return sl_fail(err, SL_ERR_ARG,
                       "quant: a row of %lld elements is not a whole number of %s blocks of %lld",
                       (long long)n, tensor_type_name(type), (long long)be);
    return SL_OK;
}

sl_status dequantize_row(tensor_type type, const void *src, float *dst, int64_t n, sl_error *err)
{
    sl_status st = quant_check_row(type, n, err);
    if (st != SL_OK)
        return st;
    quant_kernels_active()->dequantize[type](src, dst, n);
    return SL_OK;
}

static quant_row_fn ref_quantizer(tensor_type type)
{
    switch (type) {
    case TENSOR_F32: return quantize_row_f32_ref;
    case TENSOR_F16: return quantize_row_f16_ref;
    case TENSOR_BF16: return quantize_row_bf16_ref;
    case TENSOR_Q4_0: return quantize_row_q4_0_ref;
    case TENSOR_Q4_1: return quantize_row_q4_1_ref;
    case TENSOR_Q5_0: return quantize_row_q5_0_ref;
    case TENSOR_Q5_1: return quantize_row_q5_1_ref;
    case TENSOR_Q8_0: return quantize_row_q8_0_ref;
    case TENSOR_Q8_1: return quantize_row_q8_1_ref;
    case TENSOR_Q2_K: return quantize_row_q2_K_ref;
    case TENSOR_Q3_K: return quantize_row_q3_K_ref;
    case TENSOR_Q4_K: return quantize_row_q4_K_ref;
    case TENSOR_Q5_K: return quantize_row_q5_K_ref;
    case TENSOR_Q6_K: return quantize_row_q6_K_ref;
    case TENSOR_Q8_K: return quantize_row_q8_K_ref;
    default: return NULL;
    }
}

sl_status quantize_row_ref(tensor_type type, const float *src, void *dst, int64_t n,
                           sl_error *err)
{
    sl_status st = quant_check_row(type, n, err);
    if (st != SL_OK)
        return st;
    ref_quantizer(type)(src, dst, n);
    return SL_OK;
}

sl_status quantize_row_act(tensor_type act_type, const float *src, void *dst, int64_t n,
                           sl_error *err)
{
    sl_status st = quant_check_row(act_type, n, err);
    if (st != SL_OK)
        return st;
    quant_row_fn fn = quant_kernels_active()->quantize_act[act_type];
    if (!fn)
        return sl_fail(err, SL_ERR_ARG, "quant: %s is not an activation type",
                       tensor_type_name(act_type));
    fn(src, dst, n);
    return SL_OK;
}

float vec_dot(tensor_type type, int64_t n, const void *w_row, const void *act_row)
{
    if (!quant_weight_type_supported(type) || n < 0 || n % tensor_type_block_elems(type) != 0)
        return NAN;
    return quant_kernels_active()->vec_dot[type](n, w_row, act_row);
}

void fp16_to_f32_row(const uint16_t *src, float *dst, int64_t n)
{
    quant_kernels_active()->fp16_to_f32(src, dst, n);
}

void f32_to_fp16_row(const float *src, uint16_t *dst, int64_t n)
{
    quant_kernels_active()->f32_to_fp16(src, dst, n);
}

void bf16_to_f32_row(const uint16_t *src, float *dst, int64_t n)
{
    quant_kernels_active()->bf16_to_f32(src, dst, n);
}

void f32_to_bf16_row(const float *src, uint16_t *dst, int64_t n)
{
    quant_kernels_active()->f32_to_bf16(src, dst, n);
}
