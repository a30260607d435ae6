/* The GGUF writer: collects metadata values (already encoded) and tensor
 * references, then writes header, padding and data in one pass. */
#include "llm/gguf.h"
#include "llm/gguf_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct writer_kv {
    char *key;
    uint32_t type;
    uint8_t *value;
    size_t len;
} writer_kv;

typedef struct writer_tensor {
    char *name;
    tensor_type type;
    int n_dims;
    int64_t ne[GGUF_MAX_DIMS];
    const void *data;
    size_t size;
} writer_tensor;

struct gguf_writer {
    uint32_t version;
    writer_kv *kv;
    size_t n_kv, cap_kv;
    writer_tensor *tensors;
    size_t n_tensors, cap_tensors;
};

/* A growing byte buffer; `failed` sticks after an allocation failure. */
typedef struct byte_buf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
} byte_buf;

static void buf_put(byte_buf *b, const void *src, size_t n)
{
    if (b->failed)
        return;
    if (n > SIZE_MAX - b->len) {
        b->failed = true;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void buf_u32(byte_buf *b, uint32_t v)
{
    uint8_t e[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_put(b, e, 4);
}

static void buf_u64(byte_buf *b, uint64_t v)
{
    buf_u32(b, (uint32_t)v);
    buf_u32(b, (uint32_t)(v >> 32));
}

static void buf_str(byte_buf *b, const char *s, size_t len)
{
    buf_u64(b, len);
    buf_put(b, s, len);
}

/* Numbers of `type` from host order to little-endian bytes. */
static void buf_nums(byte_buf *b, gguf_type type, const void *v, size_t n)
{
    size_t es = gguf_type_size(type);
    const uint8_t *src = v;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = 0;
        switch (es) {
        case 1: x = src[i]; break;
        case 2: { uint16_t t; memcpy(&t, src + i * 2, 2); x = t; } break;
        case 4: { uint32_t t; memcpy(&t, src + i * 4, 4); x = t; } break;
        case 8: memcpy(&x, src + i * 8, 8); break;
        default: break;
        }
        uint8_t e[8];
        for (size_t k = 0; k < es; k++)
            e[k] = (uint8_t)(x >> (8 * k));
        buf_put(b, e, es);
    }
}

sl_status gguf_writer_create(gguf_writer **out, sl_error *err)
{
    if (!out)
        return sl_fail(err, SL_ERR_ARG, "gguf_writer_create: out is required");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return sl_fail(err, SL_ERR_NOMEM, "gguf writer: out of memory");
    (*out)->version = GGUF_VERSION_MAX;
    return SL_OK;
}

void gguf_writer_free(gguf_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        free(w->kv[i].value);
    }
    free(w->kv);
    for (size_t i = 0; i < w->n_tensors; i++)
        free(w->tensors[i].name);
    free(w->tensors);
    free(w);
}

sl_status gguf_writer_set_version(gguf_writer *w, uint32_t version, sl_error *err)
{
    if (version < GGUF_VERSION_MIN || version > GGUF_VERSION_MAX)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: version %" PRIu32 " cannot be written (2 or 3)",
                       version);
    w->version = version;
    return SL_OK;
}

/* Takes ownership of the encoded value in b (freed on failure). */
static sl_status set_value(gguf_writer *w, const char *key, uint32_t type, byte_buf *b,
                           sl_error *err)
{
    if (b->failed) {
        free(b->p);
        return sl_fail(err, SL_ERR_NOMEM, "gguf writer: out of memory for metadata %s", key);
    }
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, key) == 0) {
            free(w->kv[i].value);
            w->kv[i].type = type;
            w->kv[i].value = b->p;
            w->kv[i].len = b->len;
            return SL_OK;
        }
    }
    if (w->n_kv == w->cap_kv) {
        size_t cap = w->cap_kv ? w->cap_kv * 2 : 16;
        writer_kv *kv = realloc(w->kv, cap * sizeof *kv);
        if (!kv) {
            free(b->p);
            return sl_fail(err, SL_ERR_NOMEM, "gguf writer: out of memory for metadata %s", key);
        }
        w->kv = kv;
        w->cap_kv = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(b->p);
        return sl_fail(err, SL_ERR_NOMEM, "gguf writer: out of memory for metadata %s", key);
    }
    w->kv[w->n_kv++] = (writer_kv){k, type, b->p, b->len};
    return SL_OK;
}

static sl_status check_key(gguf_writer *w, const char *key, sl_error *err)
{
    if (!w || !key || !key[0] || strlen(key) > 65535)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: a metadata key must be 1 to 65535 bytes");
    return SL_OK;
}

static sl_status set_scalar(gguf_writer *w, const char *key, gguf_type type, const void *v,
                            sl_error *err)
{
    sl_status st = check_key(w, key, err);
    if (st)
        return st;
    byte_buf b = {0};
    buf_nums(&b, type, v, 1);
    return set_value(w, key, type, &b, err);
}

sl_status gguf_writer_set_u8(gguf_writer *w, const char *key, uint8_t v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_UINT8, &v, err);
}

sl_status gguf_writer_set_i8(gguf_writer *w, const char *key, int8_t v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_INT8, &v, err);
}

sl_status gguf_writer_set_u16(gguf_writer *w, const char *key, uint16_t v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_UINT16, &v, err);
}

sl_status gguf_writer_set_i16(gguf_writer *w, const char *key, int16_t v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_INT16, &v, err);
}

sl_status gguf_writer_set_u32(gguf_writer *w, const char *key, uint32_t v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_UINT32, &v, err);
}

sl_status gguf_writer_set_i32(gguf_writer *w, const char *key, int32_t v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_INT32, &v, err);
}

sl_status gguf_writer_set_u64(gguf_writer *w, const char *key, uint64_t v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_UINT64, &v, err);
}

sl_status gguf_writer_set_i64(gguf_writer *w, const char *key, int64_t v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_INT64, &v, err);
}

sl_status gguf_writer_set_f32(gguf_writer *w, const char *key, float v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_FLOAT32, &v, err);
}

sl_status gguf_writer_set_f64(gguf_writer *w, const char *key, double v, sl_error *err)
{
    return set_scalar(w, key, GGUF_TYPE_FLOAT64, &v, err);
}

sl_status gguf_writer_set_bool(gguf_writer *w, const char *key, bool v, sl_error *err)
{
    uint8_t b = v ? 1 : 0;
    return set_scalar(w, key, GGUF_TYPE_BOOL, &b, err);
}

sl_status gguf_writer_set_strn(gguf_writer *w, const char *key, const char *v, size_t len,
                               sl_error *err)
{
    sl_status st = check_key(w, key, err);
    if (st)
        return st;
    if (!v && len)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: metadata %s: NULL string", key);
    byte_buf b = {0};
    buf_str(&b, v, len);
    return set_value(w, key, GGUF_TYPE_STRING, &b, err);
}

sl_status gguf_writer_set_str(gguf_writer *w, const char *key, const char *v, sl_error *err)
{
    if (!v)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: metadata %s: NULL string", key ? key : "?");
    return gguf_writer_set_strn(w, key, v, strlen(v), err);
}

sl_status gguf_writer_set_arr_str(gguf_writer *w, const char *key, const char *const *v,
                                  size_t n, sl_error *err)
{
    sl_status st = check_key(w, key, err);
    if (st)
        return st;
    if (!v && n)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: metadata %s: NULL array", key);
    byte_buf b = {0};
    buf_u32(&b, GGUF_TYPE_STRING);
    buf_u64(&b, n);
    for (size_t i = 0; i < n; i++) {
        const char *s = v[i] ? v[i] : "";
        buf_str(&b, s, strlen(s));
    }
    return set_value(w, key, GGUF_TYPE_ARRAY, &b, err);
}

sl_status gguf_writer_set_arr_num(gguf_writer *w, const char *key, gguf_type elem_type,
                                  const void *v, size_t n, sl_error *err)
{
    sl_status st = check_key(w, key, err);
    if (st)
        return st;
    if (!gguf_type_size(elem_type))
        return sl_fail(err, SL_ERR_ARG, "gguf writer: metadata %s: %s is not a numeric type", key,
                       gguf_type_name(elem_type));
    if (!v && n)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: metadata %s: NULL array", key);
    byte_buf b = {0};
    buf_u32(&b, (uint32_t)elem_type);
    buf_u64(&b, n);
    buf_nums(&b, elem_type, v, n);
    return set_value(w, key, GGUF_TYPE_ARRAY, &b, err);
}

sl_status gguf_writer_set_raw(gguf_writer *w, const char *key, uint32_t type, const void *value,
                              size_t len, sl_error *err)
{
    sl_status st = check_key(w, key, err);
    if (st)
        return st;
    if (!value && len)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: metadata %s: NULL value", key);
    byte_buf b = {0};
    buf_put(&b, value, len);
    if (!b.failed && !b.p)
        b.p = malloc(1); /* an empty value still owns a buffer */
    if (!b.p)
        b.failed = true;
    return set_value(w, key, type, &b, err);
}

sl_status gguf_writer_add_tensor(gguf_writer *w, const char *name, tensor_type type, int n_dims,
                                 const int64_t *ne, const void *data, sl_error *err)
{
    if (!w || !name || !ne)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: add_tensor needs a name and a shape");
    size_t name_len = strlen(name);
    if (name_len >= GGUF_MAX_NAME)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: tensor name '%s' is 64 bytes or longer", name);
    if (!tensor_type_known((uint32_t)type))
        return sl_fail(err, SL_ERR_ARG, "gguf writer: tensor '%s' has unknown type %d", name,
                       (int)type);
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: tensor '%s' has %d dimensions (1 to 4)", name,
                       n_dims);
    for (size_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return sl_fail(err, SL_ERR_ARG, "gguf writer: tensor '%s' added twice", name);
    writer_tensor t = {.type = type, .n_dims = n_dims, .data = data};
    int64_t elems = 1;
    for (int d = 0; d < GGUF_MAX_DIMS; d++) {
        t.ne[d] = d < n_dims ? ne[d] : 1;
        if (t.ne[d] < 1 || t.ne[d] > INT64_MAX / elems)
            return sl_fail(err, SL_ERR_ARG,
                           "gguf writer: tensor '%s' dimension %d (%" PRId64 ") is zero, negative "
                           "or overflows",
                           name, d, t.ne[d]);
        elems *= t.ne[d];
    }
    size_t row;
    if (!tensor_type_row_bytes(type, t.ne[0], &row))
        return sl_fail(err, SL_ERR_ARG,
                       "gguf writer: tensor '%s': row of %" PRId64 " is not a whole number of %s "
                       "blocks",
                       name, t.ne[0], tensor_type_name(type));
    uint64_t rows = (uint64_t)(elems / t.ne[0]);
    if (rows > SIZE_MAX / row)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: tensor '%s' is too large", name);
    t.size = row * (size_t)rows;
    if (w->n_tensors == w->cap_tensors) {
        size_t cap = w->cap_tensors ? w->cap_tensors * 2 : 16;
        writer_tensor *grown = realloc(w->tensors, cap * sizeof *grown);
        if (!grown)
            return sl_fail(err, SL_ERR_NOMEM, "gguf writer: out of memory for tensor '%s'", name);
        w->tensors = grown;
        w->cap_tensors = cap;
    }
    t.name = strdup(name);
    if (!t.name)
        return sl_fail(err, SL_ERR_NOMEM, "gguf writer: out of memory for tensor '%s'", name);
    w->tensors[w->n_tensors++] = t;
    return SL_OK;
}

static sl_status writer_alignment(const gguf_writer *w, uint64_t *alignment, sl_error *err)
{
    *alignment = GGUF_DEFAULT_ALIGNMENT;
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, "general.alignment") != 0)
            continue;
        if (w->kv[i].type != GGUF_TYPE_UINT32 || w->kv[i].len != 4)
            return sl_fail(err, SL_ERR_ARG, "gguf writer: general.alignment must be a uint32");
        uint32_t a = gguf_le32(w->kv[i].value);
        if (a == 0 || (a & (a - 1)) != 0)
            return sl_fail(err, SL_ERR_ARG,
                           "gguf writer: general.alignment %" PRIu32 " is not a power of two", a);
        *alignment = a;
    }
    return SL_OK;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) / a * a;
}

static bool write_zeros(FILE *fp, uint64_t n)
{
    static const uint8_t zeros[4096];
    while (n) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        if (fwrite(zeros, 1, k, fp) != k)
            return false;
        n -= k;
    }
    return true;
}

sl_status gguf_writer_write(gguf_writer *w, const char *path, sl_error *err)
{
    if (!w || !path)
        return sl_fail(err, SL_ERR_ARG, "gguf writer: write needs a path");
    uint64_t alignment;
    sl_status st = writer_alignment(w, &alignment, err);
    if (st)
        return st;

    byte_buf h = {0};
    buf_put(&h, GGUF_MAGIC, 4);
    buf_u32(&h, w->version);
    buf_u64(&h, w->n_tensors);
    buf_u64(&h, w->n_kv);
    for (size_t i = 0; i < w->n_kv; i++) {
        buf_str(&h, w->kv[i].key, strlen(w->kv[i].key));
        buf_u32(&h, w->kv[i].type);
        buf_put(&h, w->kv[i].value, w->kv[i].len);
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        const writer_tensor *t = &w->tensors[i];
        buf_str(&h, t->name, strlen(t->name));
        buf_u32(&h, (uint32_t)t->n_dims);
        for (int d = 0; d < t->n_dims; d++)
            buf_u64(&h, (uint64_t)t->ne[d]);
        buf_u32(&h, (uint32_t)t->type);
        buf_u64(&h, offset);
        offset = align_up(offset + t->size, alignment);
    }
    if (h.failed) {
        free(h.p);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory building the header", path);
    }

    size_t tmp_len = strlen(path) + 5;
    char *tmp = malloc(tmp_len);
    if (!tmp) {
        free(h.p);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(tmp, tmp_len, "%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        int e = errno;
        free(h.p);
        free(tmp);
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(e));
    }
    bool ok = fwrite(h.p, 1, h.len, fp) == h.len;
    ok = ok && write_zeros(fp, align_up(h.len, alignment) - h.len);
    for (size_t i = 0; ok && i < w->n_tensors; i++) {
        const writer_tensor *t = &w->tensors[i];
        if (t->data)
            ok = fwrite(t->data, 1, t->size, fp) == t->size;
        else
            ok = write_zeros(fp, t->size);
        ok = ok && write_zeros(fp, align_up(t->size, alignment) - t->size);
    }
    int e = errno;
    if (fclose(fp) != 0 && ok) {
        ok = false;
        e = errno;
    }
    free(h.p);
    if (!ok) {
        remove(tmp);
        free(tmp);
        return sl_fail(err, SL_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        remove(tmp);
        free(tmp);
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(e));
    }
    free(tmp);
    return SL_OK;
}
