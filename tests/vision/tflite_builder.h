/* Builds small TFLite model files in memory for the tests: a few tensors and
 * operators, written as the FlatBuffer the reader expects. Test-only. */
#ifndef SIGHTLINE_TESTS_VISION_TFLITE_BUILDER_H
#define SIGHTLINE_TESTS_VISION_TFLITE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

enum { TB_MAX_TENSORS = 32, TB_MAX_OPS = 16, TB_MAX_IO = 8, TB_MAX_OPT = 8 };

typedef struct tb_tensor {
    const char *name;
    int type;  /* tflite_type */
    int rank;
    int32_t shape[6];
    const void *data; /* constant data, or NULL */
    size_t data_size;
} tb_tensor;

/* One field of an options table: slot number, kind and value. */
typedef enum tb_kind { TB_U8 = 1, TB_I32, TB_VEC_I32 } tb_kind;
typedef struct tb_opt {
    int slot;
    tb_kind kind;
    int32_t value;
    const int32_t *vec;
    int vec_len;
} tb_opt;

typedef struct tb_op {
    int code;
    int n_in, n_out;
    int32_t in[TB_MAX_IO], out[TB_MAX_IO];
    int opt_type; /* BuiltinOptions tag; 0 for none */
    int n_opt;
    tb_opt opt[TB_MAX_OPT];
} tb_op;

typedef struct tb_model {
    int n_tensors, n_ops, n_in, n_out;
    tb_tensor t[TB_MAX_TENSORS];
    tb_op ops[TB_MAX_OPS];
    int32_t in[TB_MAX_IO], out[TB_MAX_IO];
} tb_model;

/* Returns a malloc'ed file image and its size. */
uint8_t *tb_build(const tb_model *m, size_t *size);

#endif
