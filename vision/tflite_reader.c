/* TFLite model reader: FlatBuffer tables -> plain structs (see tflite.h).
 * Field numbers ("slots") are those of TensorFlow Lite's schema.fbs. */
#include "vision/tflite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vision/tflite_flatbuf.h"

/* Real models have hundreds of tensors and a few MB; the caps only stop a
 * hostile header from making us allocate without bound. */
enum {
    MAX_ITEMS = 1 << 18, /* tensors, operators, buffers, operator codes */
    MAX_OP_IO = 4096,    /* inputs or outputs of one operator */
    MAX_NAME = 1023,     /* longer names are cut */
};
static const uint64_t MAX_FILE = 1ull << 30;
static const int64_t MAX_ELEMS = 1ll << 40;

/* BuiltinOptions union tags. */
enum {
    OPT_CONV_2D = 1,
    OPT_DEPTHWISE_CONV_2D = 2,
    OPT_POOL_2D = 5,
    OPT_FULLY_CONNECTED = 8,
    OPT_SOFTMAX = 9,
    OPT_CONCATENATION = 10,
    OPT_ADD = 11,
    OPT_RESIZE_BILINEAR = 15,
    OPT_RESHAPE = 17,
    OPT_MUL = 21,
    OPT_REDUCER = 27,
};

static const char *const op_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC",
    "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE",
    "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS",
    "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
    "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM",
    "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN",
    "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM",
    "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK",
    "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV",
    "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR",
    "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL",
    "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE",
    "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",
    "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY",
    "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE",
    "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE",
    "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE",
    "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS",
};

static const char *const type_names[] = {
    "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING",
    "BOOL", "INT16", "COMPLEX64", "INT8", "FLOAT64",
};

const char *tflite_op_name(int code)
{
    if (code < 0 || code >= (int)(sizeof op_names / sizeof op_names[0]))
        return NULL;
    return op_names[code];
}

const char *tflite_type_name(int type)
{
    if (type < 0 || type >= (int)(sizeof type_names / sizeof type_names[0]))
        return "?";
    return type_names[type];
}

size_t tflite_type_size(tflite_type type)
{
    switch (type) {
    case TFLITE_FLOAT32: case TFLITE_INT32: return 4;
    case TFLITE_FLOAT16: case TFLITE_INT16: return 2;
    case TFLITE_UINT8: case TFLITE_INT8: case TFLITE_BOOL: return 1;
    case TFLITE_INT64: case TFLITE_FLOAT64: case TFLITE_COMPLEX64: return 8;
    case TFLITE_STRING: return 0;
    }
    return 0;
}

/* Parsing state: the buffer, the model being filled and where errors go. */
typedef struct reader {
    fb_buf buf;
    tflite_model *m;
    sl_error *err;
    uint32_t n_buffers;
    fb_vec buffers;
} reader;

static sl_status corrupt(reader *r, const char *what)
{
    return sl_fail(r->err, SL_ERR_FORMAT, "%s: %s", r->m->path, what);
}

static char *copy_string(const fb_buf *b, uint64_t at)
{
    /* at was checked to hold the 4-byte length. */
    uint32_t len = fb_u32(b, at);
    if (!fb_in(b, at + 4, len))
        return NULL;
    size_t n = len > MAX_NAME ? MAX_NAME : len;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, b->data + at + 4, n);
    s[n] = 0;
    /* Names end at an embedded NUL, as they would in C. */
    return s;
}

/* Reads an optional string field: *out stays NULL when absent. */
static sl_status read_string(reader *r, const fb_table *t, int slot, const char *what, char **out)
{
    bool ok = true;
    uint64_t at;
    *out = NULL;
    if (!fb_get_ref(t, slot, &at, &ok)) {
        if (!ok)
            return sl_fail(r->err, SL_ERR_FORMAT, "%s: %s points outside the file", r->m->path, what);
        return SL_OK;
    }
    uint32_t len = fb_u32(&r->buf, at);
    if (!fb_in(&r->buf, at + 4, len))
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: %s of %u bytes runs past the end of the file",
                       r->m->path, what, len);
    *out = copy_string(&r->buf, at);
    if (!*out)
        return sl_fail(r->err, SL_ERR_NOMEM, "%s: out of memory", r->m->path);
    return SL_OK;
}

static sl_status read_int_vector(reader *r, const fb_table *t, int slot, const char *what,
                                 int max_len, int *n, int32_t **out)
{
    bool ok = true;
    fb_vec v;
    *n = 0;
    *out = NULL;
    if (!fb_get_vec(t, slot, 4, &v, &ok) || !ok)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: %s runs past the end of the file", r->m->path,
                       what);
    if (v.len > (uint32_t)max_len)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: %s has %u entries (at most %d)", r->m->path,
                       what, v.len, max_len);
    if (v.len == 0)
        return SL_OK;
    *out = malloc(sizeof(int32_t) * v.len);
    if (!*out)
        return sl_fail(r->err, SL_ERR_NOMEM, "%s: out of memory", r->m->path);
    for (uint32_t i = 0; i < v.len; i++)
        (*out)[i] = fb_vec_i32(&v, i);
    *n = (int)v.len;
    return SL_OK;
}

static sl_status read_quantization(reader *r, const fb_table *qt, tflite_tensor *t, int index)
{
    bool ok = true;
    fb_vec scale, zp;
    if (!fb_get_vec(qt, 2, 4, &scale, &ok) || !fb_get_vec(qt, 3, 8, &zp, &ok) || !ok)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: tensor %d: quantization parameters run past the end of the file",
                       r->m->path, index);
    if (scale.len == 0)
        return SL_OK;
    if (zp.len != 0 && zp.len != scale.len)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: tensor %d: %u scales but %u zero points",
                       r->m->path, index, scale.len, zp.len);
    t->quantized = true;
    t->per_channel = scale.len > 1;
    uint32_t s = fb_u32(&r->buf, scale.start);
    memcpy(&t->q_scale, &s, 4);
    t->q_zero_point = zp.len ? (int64_t)fb_u64(&r->buf, zp.start) : 0;
    return SL_OK;
}

static sl_status read_tensor(reader *r, const fb_table *tt, int index, tflite_tensor *t)
{
    bool ok = true;
    char what[64];
    snprintf(what, sizeof what, "tensor %d's name", index);
    sl_status st = read_string(r, tt, 3, what, &t->name);
    if (st)
        return st;
    if (!t->name && !(t->name = calloc(1, 1)))
        return sl_fail(r->err, SL_ERR_NOMEM, "%s: out of memory", r->m->path);

    int n_dims;
    int32_t *dims;
    snprintf(what, sizeof what, "tensor '%s' shape", t->name);
    st = read_int_vector(r, tt, 0, what, TFLITE_MAX_RANK, &n_dims, &dims);
    if (st)
        return st;
    t->rank = n_dims;
    t->count = 1;
    for (int i = 0; i < n_dims; i++) {
        if (dims[i] < 0) {
            int32_t bad = dims[i];
            free(dims);
            return sl_fail(r->err, SL_ERR_FORMAT, "%s: tensor '%s' has dimension %d of size %d",
                           r->m->path, t->name, i, bad);
        }
        t->shape[i] = dims[i];
        if (dims[i] != 0 && t->count > MAX_ELEMS / dims[i]) {
            free(dims);
            return sl_fail(r->err, SL_ERR_FORMAT, "%s: tensor '%s' has too many elements",
                           r->m->path, t->name);
        }
        t->count *= dims[i];
    }
    free(dims);

    uint8_t type = fb_get_u8(tt, 1, 0, &ok);
    t->type = (tflite_type)type;
    t->is_variable = fb_get_u8(tt, 5, 0, &ok) != 0;
    uint64_t at;
    if (fb_get_ref(tt, 6, &at, &ok))
        t->sparse = true;
    uint32_t buffer = fb_get_u32(tt, 2, 0, &ok);
    if (!ok)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: tensor '%s': a field runs past its table",
                       r->m->path, t->name);
    if (type > TFLITE_FLOAT64)
        return sl_fail(r->err, SL_ERR_UNSUPPORTED, "%s: tensor '%s' has unknown element type %u",
                       r->m->path, t->name, type);

    if (fb_get_ref(tt, 4, &at, &ok)) {
        fb_table qt;
        if (!fb_table_at(&r->buf, at, &qt))
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: tensor '%s': quantization table is corrupt", r->m->path, t->name);
        st = read_quantization(r, &qt, t, index);
        if (st)
            return st;
    }
    if (!ok)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: tensor '%s': a reference leaves the file",
                       r->m->path, t->name);

    if (buffer >= r->n_buffers)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: tensor '%s' uses buffer %u of %u", r->m->path,
                       t->name, buffer, r->n_buffers);
    fb_table bt;
    if (!fb_vec_table(&r->buffers, buffer, &bt))
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: buffer %u is corrupt", r->m->path, buffer);
    fb_vec data;
    if (!fb_get_vec(&bt, 0, 1, &data, &ok) || !ok)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: buffer %u runs past the end of the file",
                       r->m->path, buffer);
    uint64_t start = data.start, size = data.len;
    /* Files over 2 GB keep their data after the FlatBuffer, at an absolute
     * offset; offset 1 is the converter's placeholder for "none". */
    uint64_t off = fb_get_u64(&bt, 1, 0, &ok);
    uint64_t osize = fb_get_u64(&bt, 2, 0, &ok);
    if (!ok)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: buffer %u: a field runs past its table",
                       r->m->path, buffer);
    if (size == 0 && off > 1) {
        if (!fb_in(&r->buf, off, osize))
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: buffer %u: %llu bytes at offset %llu run past the end of the file",
                           r->m->path, buffer, (unsigned long long)osize, (unsigned long long)off);
        start = off;
        size = osize;
    }
    if (size == 0)
        return SL_OK;
    size_t esize = tflite_type_size(t->type);
    if (esize == 0)
        return sl_fail(r->err, SL_ERR_UNSUPPORTED, "%s: tensor '%s' holds constant %s data",
                       r->m->path, t->name, tflite_type_name(t->type));
    if ((uint64_t)t->count > UINT64_MAX / esize || (uint64_t)t->count * esize != size)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: tensor '%s' needs %llu bytes of data but its buffer %u has %llu",
                       r->m->path, t->name, (unsigned long long)t->count * esize, buffer,
                       (unsigned long long)size);
    t->const_data = r->buf.data + start;
    t->const_size = size;
    return SL_OK;
}

static sl_status read_options(reader *r, const fb_table *ot, int type, tflite_op *op, int index)
{
    bool ok = true;
    tflite_options *o = &op->opt;
    switch (type) {
    case OPT_CONV_2D:
        o->padding = (tflite_padding)fb_get_u8(ot, 0, 0, &ok);
        o->stride_w = fb_get_i32(ot, 1, 0, &ok);
        o->stride_h = fb_get_i32(ot, 2, 0, &ok);
        o->activation = (tflite_activation)fb_get_u8(ot, 3, 0, &ok);
        o->dilation_w = fb_get_i32(ot, 4, 1, &ok);
        o->dilation_h = fb_get_i32(ot, 5, 1, &ok);
        break;
    case OPT_DEPTHWISE_CONV_2D:
        o->padding = (tflite_padding)fb_get_u8(ot, 0, 0, &ok);
        o->stride_w = fb_get_i32(ot, 1, 0, &ok);
        o->stride_h = fb_get_i32(ot, 2, 0, &ok);
        o->depth_multiplier = fb_get_i32(ot, 3, 0, &ok);
        o->activation = (tflite_activation)fb_get_u8(ot, 4, 0, &ok);
        o->dilation_w = fb_get_i32(ot, 5, 1, &ok);
        o->dilation_h = fb_get_i32(ot, 6, 1, &ok);
        break;
    case OPT_POOL_2D:
        o->padding = (tflite_padding)fb_get_u8(ot, 0, 0, &ok);
        o->stride_w = fb_get_i32(ot, 1, 0, &ok);
        o->stride_h = fb_get_i32(ot, 2, 0, &ok);
        o->filter_w = fb_get_i32(ot, 3, 0, &ok);
        o->filter_h = fb_get_i32(ot, 4, 0, &ok);
        o->activation = (tflite_activation)fb_get_u8(ot, 5, 0, &ok);
        break;
    case OPT_FULLY_CONNECTED:
        o->activation = (tflite_activation)fb_get_u8(ot, 0, 0, &ok);
        o->weights_format = fb_get_u8(ot, 1, 0, &ok);
        o->keep_num_dims = fb_get_u8(ot, 2, 0, &ok) != 0;
        break;
    case OPT_CONCATENATION:
        o->axis = fb_get_i32(ot, 0, 0, &ok);
        o->activation = (tflite_activation)fb_get_u8(ot, 1, 0, &ok);
        break;
    case OPT_ADD:
    case OPT_MUL:
        o->activation = (tflite_activation)fb_get_u8(ot, 0, 0, &ok);
        break;
    case OPT_RESIZE_BILINEAR:
        o->align_corners = fb_get_u8(ot, 2, 0, &ok) != 0;
        o->half_pixel_centers = fb_get_u8(ot, 3, 0, &ok) != 0;
        break;
    case OPT_RESHAPE: {
        fb_vec v;
        bool present = fb_field(ot, 0, 4, &ok) != 0;
        if (!fb_get_vec(ot, 0, 4, &v, &ok) || !ok)
            break;
        if (v.len > TFLITE_MAX_RESHAPE)
            return sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %d: new shape of rank %u",
                           r->m->path, index, v.len);
        if (present) {
            o->new_shape_rank = (int)v.len;
            for (uint32_t i = 0; i < v.len; i++)
                o->new_shape[i] = fb_vec_i32(&v, i);
        }
        break;
    }
    case OPT_REDUCER:
        o->keep_dims = fb_get_u8(ot, 0, 0, &ok) != 0;
        break;
    default:
        break; /* options of operators we do not run: the interpreter names the op */
    }
    if (!ok)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %d: options run past their table",
                       r->m->path, index);
    return SL_OK;
}

static void options_defaults(tflite_options *o)
{
    memset(o, 0, sizeof *o);
    o->dilation_w = o->dilation_h = 1;
    o->new_shape_rank = -1;
}

static sl_status read_operator(reader *r, const fb_table *ot, int index, const int *codes,
                               const int *versions, char *const *customs, uint32_t n_codes,
                               tflite_op *op)
{
    bool ok = true;
    char what[64];
    options_defaults(&op->opt);
    uint32_t opcode = fb_get_u32(ot, 0, 0, &ok);
    if (!ok)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %d: a field runs past its table",
                       r->m->path, index);
    if (opcode >= n_codes)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %d uses operator code %u of %u",
                       r->m->path, index, opcode, n_codes);
    op->code = codes[opcode];
    op->version = versions[opcode];
    if (customs[opcode] && !(op->custom = strdup(customs[opcode])))
        return sl_fail(r->err, SL_ERR_NOMEM, "%s: out of memory", r->m->path);

    snprintf(what, sizeof what, "operator %d's inputs", index);
    sl_status st = read_int_vector(r, ot, 1, what, MAX_OP_IO, &op->n_inputs, &op->inputs);
    if (st)
        return st;
    snprintf(what, sizeof what, "operator %d's outputs", index);
    st = read_int_vector(r, ot, 2, what, MAX_OP_IO, &op->n_outputs, &op->outputs);
    if (st)
        return st;
    for (int i = 0; i < op->n_inputs; i++)
        if (op->inputs[i] < -1 || op->inputs[i] >= r->m->n_tensors)
            return sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %d: input %d is tensor %d of %d",
                           r->m->path, index, i, op->inputs[i], r->m->n_tensors);
    for (int i = 0; i < op->n_outputs; i++)
        if (op->outputs[i] < 0 || op->outputs[i] >= r->m->n_tensors)
            return sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %d: output %d is tensor %d of %d",
                           r->m->path, index, i, op->outputs[i], r->m->n_tensors);

    op->options_type = fb_get_u8(ot, 3, 0, &ok);
    uint64_t at;
    if (fb_get_ref(ot, 4, &at, &ok)) {
        fb_table opt;
        if (!fb_table_at(&r->buf, at, &opt))
            return sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %d: options table is corrupt",
                           r->m->path, index);
        st = read_options(r, &opt, op->options_type, op, index);
        if (st)
            return st;
    } else if (op->options_type != 0 && ok) {
        op->options_type = 0; /* a tag without a table: the defaults apply */
    }
    if (!ok)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %d: options point outside the file",
                       r->m->path, index);
    return SL_OK;
}

static sl_status read_io(reader *r, const fb_table *sg, int slot, const char *what, int *n,
                         int32_t **out)
{
    sl_status st = read_int_vector(r, sg, slot, what, MAX_OP_IO, n, out);
    if (st)
        return st;
    for (int i = 0; i < *n; i++)
        if ((*out)[i] < 0 || (*out)[i] >= r->m->n_tensors)
            return sl_fail(r->err, SL_ERR_FORMAT, "%s: subgraph %s %d is tensor %d of %d",
                           r->m->path, what, i, (*out)[i], r->m->n_tensors);
    return SL_OK;
}

static sl_status read_model(reader *r)
{
    tflite_model *m = r->m;
    if (r->buf.size < 8)
        return corrupt(r, "too short for a TFLite model");
    if (memcmp(r->buf.data + 4, "TFL3", 4) != 0)
        return corrupt(r, "not a TFLite model (no \"TFL3\" identifier at byte 4)");
    fb_table root;
    if (!fb_table_at(&r->buf, fb_u32(&r->buf, 0), &root))
        return corrupt(r, "the root table is corrupt");

    bool ok = true;
    m->version = fb_get_u32(&root, 0, 0, &ok);
    fb_vec codes_v, subgraphs_v;
    if (!fb_get_vec(&root, 1, 4, &codes_v, &ok) || !fb_get_vec(&root, 2, 4, &subgraphs_v, &ok) ||
        !fb_get_vec(&root, 4, 4, &r->buffers, &ok) || !ok)
        return corrupt(r, "the model table's vectors run past the end of the file");
    if (m->version != 3)
        return sl_fail(r->err, SL_ERR_UNSUPPORTED, "%s: schema version %u (3 expected)", m->path,
                       m->version);
    if (codes_v.len > MAX_ITEMS || r->buffers.len > MAX_ITEMS)
        return corrupt(r, "implausibly many operator codes or buffers");
    r->n_buffers = r->buffers.len;
    if (subgraphs_v.len == 0)
        return corrupt(r, "no subgraph");
    m->n_subgraphs = (int)(subgraphs_v.len > MAX_ITEMS ? MAX_ITEMS : subgraphs_v.len);

    /* Operator codes. The schema's first code field is one signed byte;
     * codes from 127 on live in the newer 32-bit field: the larger wins. */
    uint32_t n_codes = codes_v.len;
    int *codes = calloc(n_codes ? n_codes : 1, sizeof *codes);
    int *versions = calloc(n_codes ? n_codes : 1, sizeof *versions);
    char **customs = calloc(n_codes ? n_codes : 1, sizeof *customs);
    sl_status st = SL_OK;
    if (!codes || !versions || !customs) {
        st = sl_fail(r->err, SL_ERR_NOMEM, "%s: out of memory", m->path);
        goto done;
    }
    for (uint32_t i = 0; i < n_codes && !st; i++) {
        fb_table ct;
        if (!fb_vec_table(&codes_v, i, &ct)) {
            st = sl_fail(r->err, SL_ERR_FORMAT, "%s: operator code %u is corrupt", m->path, i);
            break;
        }
        int deprecated = (int8_t)fb_get_u8(&ct, 0, 0, &ok);
        int builtin = fb_get_i32(&ct, 3, 0, &ok);
        versions[i] = fb_get_i32(&ct, 2, 1, &ok);
        if (!ok) {
            st = sl_fail(r->err, SL_ERR_FORMAT, "%s: operator code %u: a field runs past its table",
                         m->path, i);
            break;
        }
        codes[i] = deprecated > builtin ? deprecated : builtin;
        char what[64];
        snprintf(what, sizeof what, "operator code %u's custom name", i);
        st = read_string(r, &ct, 1, what, &customs[i]);
    }
    if (st)
        goto done;

    fb_table sg;
    if (!fb_vec_table(&subgraphs_v, 0, &sg)) {
        st = corrupt(r, "subgraph 0 is corrupt");
        goto done;
    }
    fb_vec tensors_v, ops_v;
    if (!fb_get_vec(&sg, 0, 4, &tensors_v, &ok) || !fb_get_vec(&sg, 3, 4, &ops_v, &ok) || !ok) {
        st = corrupt(r, "subgraph 0's vectors run past the end of the file");
        goto done;
    }
    if (tensors_v.len > MAX_ITEMS || ops_v.len > MAX_ITEMS) {
        st = corrupt(r, "implausibly many tensors or operators");
        goto done;
    }
    m->tensors = calloc(tensors_v.len ? tensors_v.len : 1, sizeof *m->tensors);
    m->ops = calloc(ops_v.len ? ops_v.len : 1, sizeof *m->ops);
    if (!m->tensors || !m->ops) {
        st = sl_fail(r->err, SL_ERR_NOMEM, "%s: out of memory", m->path);
        goto done;
    }
    for (uint32_t i = 0; i < tensors_v.len && !st; i++) {
        fb_table tt;
        m->n_tensors = (int)i + 1; /* so that free sees what was filled */
        if (!fb_vec_table(&tensors_v, i, &tt))
            st = sl_fail(r->err, SL_ERR_FORMAT, "%s: tensor %u is corrupt", m->path, i);
        else
            st = read_tensor(r, &tt, (int)i, &m->tensors[i]);
    }
    m->n_tensors = (int)tensors_v.len;
    if (st)
        goto done;
    st = read_io(r, &sg, 1, "input", &m->n_inputs, &m->inputs);
    if (!st)
        st = read_io(r, &sg, 2, "output", &m->n_outputs, &m->outputs);
    for (uint32_t i = 0; i < ops_v.len && !st; i++) {
        fb_table ot;
        m->n_ops = (int)i + 1;
        if (!fb_vec_table(&ops_v, i, &ot))
            st = sl_fail(r->err, SL_ERR_FORMAT, "%s: operator %u is corrupt", m->path, i);
        else
            st = read_operator(r, &ot, (int)i, codes, versions, customs, n_codes, &m->ops[i]);
    }
done:
    if (customs)
        for (uint32_t i = 0; i < n_codes; i++)
            free(customs[i]);
    free(customs);
    free(codes);
    free(versions);
    return st;
}

void tflite_model_free(tflite_model *m)
{
    if (!m)
        return;
    if (m->tensors)
        for (int i = 0; i < m->n_tensors; i++)
            free(m->tensors[i].name);
    if (m->ops)
        for (int i = 0; i < m->n_ops; i++) {
            free(m->ops[i].inputs);
            free(m->ops[i].outputs);
            free(m->ops[i].custom);
        }
    free(m->tensors);
    free(m->ops);
    free(m->inputs);
    free(m->outputs);
    free(m->file);
    free(m->path);
    free(m);
}

static sl_status model_from_buffer(uint8_t *file, uint64_t size, const char *name,
                                   tflite_model **out, sl_error *err)
{
    *out = NULL;
    tflite_model *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(name ? name : "model"))) {
        free(m);
        free(file);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", name ? name : "model");
    }
    m->file = file;
    m->file_size = size;
    reader r = {.buf = {file, size}, .m = m, .err = err};
    sl_status st = read_model(&r);
    if (st) {
        tflite_model_free(m);
        return st;
    }
    *out = m;
    return SL_OK;
}

sl_status tflite_model_parse(const void *data, size_t size, const char *name, tflite_model **out,
                             sl_error *err)
{
    *out = NULL;
    if (size > MAX_FILE)
        return sl_fail(err, SL_ERR_LIMIT, "%s: %zu bytes is larger than any hand model",
                       name ? name : "model", size);
    /* Our own copy: its start is suitably aligned, and the caller's memory can
     * go away. One spare byte keeps malloc(0) out of the way. */
    uint8_t *copy = malloc(size + 1);
    if (!copy)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu bytes", name ? name : "model",
                       size);
    if (size)
        memcpy(copy, data, size);
    return model_from_buffer(copy, size, name, out, err);
}

sl_status tflite_model_open(const char *path, tflite_model **out, sl_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return sl_fail(err, SL_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > MAX_FILE) {
        fclose(f);
        return sl_fail(err, SL_ERR_LIMIT, "%s: %lld bytes is larger than any hand model", path,
                       (long long)sb.st_size);
    }
    size_t size = (size_t)sb.st_size;
    uint8_t *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory for %zu bytes", path, size);
    }
    size_t got = fread(buf, 1, size, f);
    int rerr = ferror(f);
    fclose(f);
    if (got != size || rerr) {
        free(buf);
        return sl_fail(err, SL_ERR_IO, "%s: read %zu of %zu bytes", path, got, size);
    }
    return model_from_buffer(buf, size, path, out, err);
}

int tflite_model_find_tensor(const tflite_model *m, const char *name)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0)
            return i;
    return -1;
}
