#include "llm/tensor_type.h"

#include <stdint.h>
#include <strings.h>

typedef struct type_traits {
    const char *name;
    int64_t block_elems;
    size_t block_bytes;
    bool computable;
} type_traits;

/* Block sizes from ggml's block structs (ggml-common.h); they fix the file
 * layout, so they are part of the format, not a choice of ours. */
static const type_traits traits[TENSOR_TYPE_COUNT] = {
    [TENSOR_F32] = {"F32", 1, 4, true},
    [TENSOR_F16] = {"F16", 1, 2, true},
    [TENSOR_Q4_0] = {"Q4_0", 32, 18, true},
    [TENSOR_Q4_1] = {"Q4_1", 32, 20, true},
    [TENSOR_Q5_0] = {"Q5_0", 32, 22, true},
    [TENSOR_Q5_1] = {"Q5_1", 32, 24, true},
    [TENSOR_Q8_0] = {"Q8_0", 32, 34, true},
    [TENSOR_Q8_1] = {"Q8_1", 32, 36, true},
    [TENSOR_Q2_K] = {"Q2_K", 256, 84, true},
    [TENSOR_Q3_K] = {"Q3_K", 256, 110, true},
    [TENSOR_Q4_K] = {"Q4_K", 256, 144, true},
    [TENSOR_Q5_K] = {"Q5_K", 256, 176, true},
    [TENSOR_Q6_K] = {"Q6_K", 256, 210, true},
    [TENSOR_Q8_K] = {"Q8_K", 256, 292, true},
    [TENSOR_IQ2_XXS] = {"IQ2_XXS", 256, 66, false},
    [TENSOR_IQ2_XS] = {"IQ2_XS", 256, 74, false},
    [TENSOR_IQ3_XXS] = {"IQ3_XXS", 256, 98, false},
    [TENSOR_IQ1_S] = {"IQ1_S", 256, 50, false},
    [TENSOR_IQ4_NL] = {"IQ4_NL", 32, 18, false},
    [TENSOR_IQ3_S] = {"IQ3_S", 256, 110, false},
    [TENSOR_IQ2_S] = {"IQ2_S", 256, 82, false},
    [TENSOR_IQ4_XS] = {"IQ4_XS", 256, 136, false},
    [TENSOR_I8] = {"I8", 1, 1, false},
    [TENSOR_I16] = {"I16", 1, 2, false},
    [TENSOR_I32] = {"I32", 1, 4, false},
    [TENSOR_I64] = {"I64", 1, 8, false},
    [TENSOR_F64] = {"F64", 1, 8, false},
    [TENSOR_IQ1_M] = {"IQ1_M", 256, 56, false},
    [TENSOR_BF16] = {"BF16", 1, 2, true},
    [TENSOR_TQ1_0] = {"TQ1_0", 256, 54, false},
    [TENSOR_TQ2_0] = {"TQ2_0", 256, 66, false},
    [TENSOR_MXFP4] = {"MXFP4", 32, 17, false},
    [TENSOR_NVFP4] = {"NVFP4", 64, 36, false},
    [TENSOR_Q1_0] = {"Q1_0", 128, 18, false},
    [TENSOR_Q2_0] = {"Q2_0", 64, 18, false},
};

bool tensor_type_known(uint32_t type)
{
    return type < TENSOR_TYPE_COUNT && traits[type].name != NULL;
}

bool tensor_type_computable(tensor_type type)
{
    return tensor_type_known((uint32_t)type) && traits[type].computable;
}

const char *tensor_type_name(tensor_type type)
{
    return tensor_type_known((uint32_t)type) ? traits[type].name : "?";
}

int tensor_type_from_name(const char *name)
{
    for (int t = 0; t < TENSOR_TYPE_COUNT; t++)
        if (traits[t].name && strcasecmp(traits[t].name, name) == 0)
            return t;
    return -1;
}

int64_t tensor_type_block_elems(tensor_type type)
{
    return tensor_type_known((uint32_t)type) ? traits[type].block_elems : 0;
}

size_t tensor_type_block_bytes(tensor_type type)
{
    return tensor_type_known((uint32_t)type) ? traits[type].block_bytes : 0;
}

bool tensor_type_row_bytes(tensor_type type, int64_t n, size_t *bytes)
{
    int64_t be = tensor_type_block_elems(type);
    if (be <= 0 || n < 0 || n % be != 0)
        return false;
    uint64_t blocks = (uint64_t)(n / be);
    size_t bb = traits[type].block_bytes;
    if (blocks > SIZE_MAX / bb)
        return false;
    *bytes = (size_t)blocks * bb;
    return true;
}
