/* Element types of tensors in GGUF and whisper.cpp files. The numbers are
 * ggml's, because they are stored in the files. */
#ifndef SIGHTLINE_LLM_TENSOR_TYPE_H
#define SIGHTLINE_LLM_TENSOR_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tensor_type {
    TENSOR_F32 = 0,
    TENSOR_F16 = 1,
    TENSOR_Q4_0 = 2,
    TENSOR_Q4_1 = 3,
    TENSOR_Q5_0 = 6,
    TENSOR_Q5_1 = 7,
    TENSOR_Q8_0 = 8,
    TENSOR_Q8_1 = 9,
    TENSOR_Q2_K = 10,
    TENSOR_Q3_K = 11,
    TENSOR_Q4_K = 12,
    TENSOR_Q5_K = 13,
    TENSOR_Q6_K = 14,
    TENSOR_Q8_K = 15,
    TENSOR_IQ2_XXS = 16,
    TENSOR_IQ2_XS = 17,
    TENSOR_IQ3_XXS = 18,
    TENSOR_IQ1_S = 19,
    TENSOR_IQ4_NL = 20,
    TENSOR_IQ3_S = 21,
    TENSOR_IQ2_S = 22,
    TENSOR_IQ4_XS = 23,
    TENSOR_I8 = 24,
    TENSOR_I16 = 25,
    TENSOR_I32 = 26,
    TENSOR_I64 = 27,
    TENSOR_F64 = 28,
    TENSOR_IQ1_M = 29,
    TENSOR_BF16 = 30,
    TENSOR_TQ1_0 = 34,
    TENSOR_TQ2_0 = 35,
    TENSOR_MXFP4 = 39,
    TENSOR_NVFP4 = 40,
    TENSOR_Q1_0 = 41,
    TENSOR_Q2_0 = 42,
    TENSOR_TYPE_COUNT = 43,
} tensor_type;

/* True for every number ggml assigns today, whether or not we compute with it:
 * files holding types we cannot compute with can still be listed. */
bool tensor_type_known(uint32_t type);

/* Types the kernels can dequantize and multiply. */
bool tensor_type_computable(tensor_type type);

/* "Q4_K"; "?" for an unknown number. */
const char *tensor_type_name(tensor_type type);

/* Parse a name as printed above (case-insensitive); -1 if unknown. */
int tensor_type_from_name(const char *name);

/* Elements per block and bytes per block (1 and the element size for
 * unquantized types); 0 for unknown types. */
int64_t tensor_type_block_elems(tensor_type type);
size_t tensor_type_block_bytes(tensor_type type);

/* Bytes of a row of n elements; false when n is not a whole number of blocks
 * or the size overflows. */
bool tensor_type_row_bytes(tensor_type type, int64_t n, size_t *bytes);

#endif
