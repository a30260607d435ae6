/* Reader for TensorFlow Lite model files (.tflite, a FlatBuffer with the
 * identifier "TFL3").
 *
 * tflite_model_open reads the whole file, validates every offset, count and
 * length it follows, and fills plain C structs: the first subgraph's tensors
 * (name, type, shape, constant data), its operators (builtin code, inputs,
 * outputs and the options our interpreter understands) and its inputs and
 * outputs. A corrupt or hostile file gives one clear error line, never an
 * out-of-bounds read. Operators are not checked against what the interpreter
 * implements here: tflite_interp_create does that (and names the missing op). */
#ifndef SIGHTLINE_VISION_TFLITE_H
#define SIGHTLINE_VISION_TFLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"

/* Element types; the numbers are the schema's, as stored in the files. */
typedef enum tflite_type {
    TFLITE_FLOAT32 = 0,
    TFLITE_FLOAT16 = 1,
    TFLITE_INT32 = 2,
    TFLITE_UINT8 = 3,
    TFLITE_INT64 = 4,
    TFLITE_STRING = 5,
    TFLITE_BOOL = 6,
    TFLITE_INT16 = 7,
    TFLITE_COMPLEX64 = 8,
    TFLITE_INT8 = 9,
    TFLITE_FLOAT64 = 10,
} tflite_type;

/* Builtin operators this project knows by name; the numbers are the
 * schema's. Any other code is kept as read and reported by number. */
enum {
    TFLITE_OP_ADD = 0,
    TFLITE_OP_AVERAGE_POOL_2D = 1,
    TFLITE_OP_CONCATENATION = 2,
    TFLITE_OP_CONV_2D = 3,
    TFLITE_OP_DEPTHWISE_CONV_2D = 4,
    TFLITE_OP_DEQUANTIZE = 6,
    TFLITE_OP_FULLY_CONNECTED = 9,
    TFLITE_OP_LOGISTIC = 14,
    TFLITE_OP_MAX_POOL_2D = 17,
    TFLITE_OP_MUL = 18,
    TFLITE_OP_RELU = 19,
    TFLITE_OP_RELU6 = 21,
    TFLITE_OP_RESHAPE = 22,
    TFLITE_OP_RESIZE_BILINEAR = 23,
    TFLITE_OP_SOFTMAX = 25,
    TFLITE_OP_TANH = 28,
    TFLITE_OP_CUSTOM = 32,
    TFLITE_OP_PAD = 34,
    TFLITE_OP_MEAN = 40,
    TFLITE_OP_PRELU = 54,
};

/* Fused activations (ActivationFunctionType). */
typedef enum tflite_activation {
    TFLITE_ACT_NONE = 0,
    TFLITE_ACT_RELU = 1,
    TFLITE_ACT_RELU_N1_TO_1 = 2,
    TFLITE_ACT_RELU6 = 3,
    TFLITE_ACT_TANH = 4,
    TFLITE_ACT_SIGN_BIT = 5,
} tflite_activation;

typedef enum tflite_padding {
    TFLITE_PAD_SAME = 0,
    TFLITE_PAD_VALID = 1,
} tflite_padding;

enum {
    TFLITE_MAX_RANK = 6,
    TFLITE_MAX_RESHAPE = 8,
};

typedef struct tflite_tensor {
    char *name;
    tflite_type type;
    int rank;
    int32_t shape[TFLITE_MAX_RANK];
    int64_t count;             /* elements: the product of shape */
    const uint8_t *const_data; /* inside the model's copy of the file; NULL if none */
    uint64_t const_size;       /* bytes of const_data: count * element size */
    bool is_variable;          /* state kept between runs (not supported by the interpreter) */
    bool sparse;               /* sparsity parameters present (not supported) */
    bool quantized;            /* affine parameters present */
    bool per_channel;          /* more than one scale: per-channel quantization */
    float q_scale;
    int64_t q_zero_point;
} tflite_tensor;

/* The options of one operator; only the fields of its kind are meaningful,
 * the others keep the schema's defaults. */
typedef struct tflite_options {
    tflite_padding padding;
    int stride_w, stride_h;
    int dilation_w, dilation_h;
    int filter_w, filter_h;   /* pools */
    int depth_multiplier;
    tflite_activation activation;
    int axis;                 /* concatenation */
    bool keep_dims;           /* mean, sum */
    bool keep_num_dims;       /* fully connected */
    int weights_format;       /* fully connected: 0 is the only plain one */
    bool align_corners;       /* resize bilinear */
    bool half_pixel_centers;
    int new_shape_rank;       /* reshape: -1 when the options give none */
    int32_t new_shape[TFLITE_MAX_RESHAPE];
} tflite_options;

typedef struct tflite_op {
    int code;        /* builtin operator */
    int version;
    int options_type; /* the schema's BuiltinOptions union tag; 0 when none */
    char *custom;    /* custom operator's name, NULL for builtins */
    int n_inputs, n_outputs;
    int32_t *inputs; /* tensor indices; -1 marks an omitted optional input */
    int32_t *outputs;
    tflite_options opt;
} tflite_op;

typedef struct tflite_model {
    char *path;           /* what the errors call the model */
    uint8_t *file;        /* the whole file; tensors point into it */
    uint64_t file_size;
    uint32_t version;     /* schema version, 3 */
    int n_subgraphs;      /* only the first is read */
    int n_tensors;
    tflite_tensor *tensors;
    int n_ops;
    tflite_op *ops;
    int n_inputs, n_outputs;
    int32_t *inputs;
    int32_t *outputs;
} tflite_model;

/* Reads and validates a model file. */
sl_status tflite_model_open(const char *path, tflite_model **out, sl_error *err);

/* Same, from memory (copied); `name` is used in error messages. */
sl_status tflite_model_parse(const void *data, size_t size, const char *name, tflite_model **out,
                             sl_error *err);

void tflite_model_free(tflite_model *m);

/* Bytes per element; 0 for types without a fixed size (string). */
size_t tflite_type_size(tflite_type type);

/* "FLOAT32"; "?" for an unknown number. */
const char *tflite_type_name(int type);

/* "CONV_2D"; NULL for a code this table does not name. */
const char *tflite_op_name(int code);

/* Index of the tensor with this name, -1 if none. */
int tflite_model_find_tensor(const tflite_model *m, const char *name);

#endif
