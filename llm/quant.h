/* Quantized rows: dequantize, quantize, dot products.
 *
 * Types: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K,
 * Q5_K, Q6_K as weights; Q8_0, Q8_1, Q8_K, F16, BF16, F32 as activations.
 * A row of n elements is n / tensor_type_block_elems(type) blocks laid out
 * as in GGUF files (llm/quant_blocks.h); n must be a whole number of blocks.
 *
 * A dot product pairs a weight row with an activation row quantized to the
 * type ggml pairs with it (tensor_type_vec_dot_type): Q8_0 for Q4_0, Q5_0,
 * Q8_0; Q8_1 for Q4_1, Q5_1; Q8_K for the K-quants; F16, BF16 and F32 with
 * themselves. Using ggml's pairing and ggml's activation quantizer keeps our
 * logits within rounding of llama.cpp's.
 *
 * Every function here is dispatched at run time to the best SIMD level
 * (llm/cpu_features.h); all levels give the same integer partial sums, and
 * float results equal to the scalar reference within a relative 1e-5 of the
 * sum of |products| (the order of float additions differs). */
#ifndef SIGHTLINE_LLM_QUANT_H
#define SIGHTLINE_LLM_QUANT_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/tensor_type.h"

/* True for the weight types listed above (what matmul accepts). */
bool quant_weight_type_supported(tensor_type type);

/* The activation type ggml's CPU backend quantizes the other operand to
 * before calling vec_dot for weights of `type`; TENSOR_TYPE_COUNT when the
 * weight type is not supported. */
tensor_type tensor_type_vec_dot_type(tensor_type type);

/* Checks that `type` can be (de)quantized here and that n >= 0 is a whole
 * number of its blocks. The row functions below require this. */
sl_status quant_check_row(tensor_type type, int64_t n, sl_error *err);

/* dst[0..n) = the values the row encodes (weight and activation types). */
sl_status dequantize_row(tensor_type type, const void *src, float *dst, int64_t n,
                         sl_error *err);

/* Quantizes n floats to `type` producing byte for byte what ggml's reference
 * quantizer (quantize_row_*_ref in ggml-quants.c) produces: this is how model
 * files are written. Not for the activations of a dot product (see below).
 * F16/BF16: round to nearest even. */
sl_status quantize_row_ref(tensor_type type, const float *src, void *dst, int64_t n,
                           sl_error *err);

/* Quantizes an activation row to `act_type` (a vec_dot type) exactly the way
 * ggml's CPU backend on x86 does before a dot product: identical to the
 * reference quantizer for Q8_K, F16, BF16 and F32; for Q8_0 and Q8_1 the
 * inverse scale is 127/amax and halves round to even (ggml's AVX code), which
 * may differ from quantize_row_ref in the last bit of a few elements. */
sl_status quantize_row_act(tensor_type act_type, const float *src, void *dst, int64_t n,
                           sl_error *err);

/* Dot product of one weight row of `type` with an activation row already
 * quantized to tensor_type_vec_dot_type(type); n elements. Requires a valid
 * (type, n) (quant_check_row); otherwise returns NaN. Activation quants must
 * lie in -127..127, as every ggml quantizer (and quantize_row_act) makes
 * them: the AVX2 Q8_0 kernel negates activation bytes. */
float vec_dot(tensor_type type, int64_t n, const void *w_row, const void *act_row);

#endif
