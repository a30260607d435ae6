/* The GGUF reader: maps the file and checks the whole header before any
 * accessor can see it. Positions are file offsets (uint64_t) checked
 * against the size before each read, so the mapping is never read outside
 * whatever the bytes say; allocations grow with what has been parsed, never
 * with a count taken on trust. */
#include "llm/gguf.h"
#include "llm/gguf_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Smallest encodings, used to bound header counts by the bytes left:
 * key (u64 length + 1 byte) + u32 type + a 1-byte value; tensor info with
 * an empty name: u64 length + u32 n_dims + one u64 dim + u32 type + u64
 * offset; an array header: u32 type + u64 count. */
#define MIN_KV_BYTES 14u
#define MIN_TENSOR_INFO_BYTES 32u
#define ARRAY_HEADER_BYTES 12u
#define MAX_KEY_LEN 65535u

typedef struct gguf_kv {
    char *key;          /* NUL-terminated copy */
    gguf_type type;
    uint64_t value_pos; /* first byte after the type field */
    uint64_t value_len;
    /* Arrays: element type, count, position of the first element. */
    gguf_type elem_type;
    uint64_t count;
    uint64_t elems_pos;
    uint64_t *str_pos;  /* string arrays: position of each element's length */
    char *str;          /* scalar strings: NUL-terminated copy */
} gguf_kv;

struct gguf_file {
    char *path;
    const uint8_t *base;
    uint64_t size;
    void *map; /* NULL for gguf_open_memory */
    size_t map_len;
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;
    int64_t n_kv;
    gguf_kv *kv;
    int64_t n_tensors;
    gguf_tensor *tensors;
    /* Open-addressing tables of indexes (-1 = empty), power-of-two sized. */
    int64_t *kv_slots;
    int64_t *tensor_slots;
    uint64_t kv_mask;
    uint64_t tensor_mask;
};

static const char *const type_names[GGUF_TYPE_COUNT] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
    "bool", "string", "array", "uint64", "int64", "float64",
};

static const size_t type_sizes[GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *gguf_type_name(gguf_type type)
{
    return (unsigned)type < GGUF_TYPE_COUNT ? type_names[type] : "?";
}

size_t gguf_type_size(gguf_type type)
{
    return (unsigned)type < GGUF_TYPE_COUNT ? type_sizes[type] : 0;
}

/* ---------------------------------------------------------------------- */
/* Parsing */

typedef struct reader {
    gguf_file *f;
    uint64_t pos;
    sl_error *err;
} reader;

static uint64_t remaining(const reader *r)
{
    return r->f->size - r->pos;
}

static sl_status past_end(reader *r, const char *what, uint64_t at, uint64_t need)
{
    return sl_fail(r->err, SL_ERR_FORMAT,
                   "%s: %s at byte %" PRIu64 " (%" PRIu64 " bytes) runs past the end of the "
                   "file (size %" PRIu64 ")",
                   r->f->path, what, at, need, r->f->size);
}

static sl_status read_u32(reader *r, const char *what, uint32_t *v)
{
    if (remaining(r) < 4)
        return past_end(r, what, r->pos, 4);
    *v = gguf_le32(r->f->base + r->pos);
    r->pos += 4;
    return SL_OK;
}

static sl_status read_u64(reader *r, const char *what, uint64_t *v)
{
    if (remaining(r) < 8)
        return past_end(r, what, r->pos, 8);
    *v = gguf_le64(r->f->base + r->pos);
    r->pos += 8;
    return SL_OK;
}

/* A string: its length field and bytes; *pos gets the first byte. */
static sl_status read_string(reader *r, const char *what, uint64_t *pos, uint64_t *len)
{
    uint64_t at = r->pos;
    sl_status st = read_u64(r, what, len);
    if (st)
        return st;
    if (*len > remaining(r))
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: %s at byte %" PRIu64 ": string length %" PRIu64
                       " runs past the end of the file (size %" PRIu64 ")",
                       r->f->path, what, at, *len, r->f->size);
    *pos = r->pos;
    r->pos += *len;
    return SL_OK;
}

/* Names appear in one-line error messages: no control characters. */
static bool has_control(const uint8_t *p, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return true;
    return false;
}

static char *copy_cstr(const uint8_t *p, uint64_t len)
{
    char *s = malloc((size_t)len + 1);
    if (s) {
        memcpy(s, p, (size_t)len);
        s[len] = '\0';
    }
    return s;
}

static sl_status no_memory(reader *r, const char *what)
{
    return sl_fail(r->err, SL_ERR_NOMEM, "%s: out of memory reading %s", r->f->path, what);
}

/* Skips (and checks) count values of fixed-size type `type`. */
static sl_status skip_fixed(reader *r, const char *what, gguf_type type, uint64_t count)
{
    size_t es = type_sizes[type];
    if (count > remaining(r) / es)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: %s at byte %" PRIu64 ": %" PRIu64 " %s values run past the end of "
                       "the file (size %" PRIu64 ")",
                       r->f->path, what, r->pos, count, type_names[type], r->f->size);
    if (type == GGUF_TYPE_BOOL) {
        for (uint64_t i = 0; i < count; i++) {
            uint8_t b = r->f->base[r->pos + i];
            if (b > 1)
                return sl_fail(r->err, SL_ERR_FORMAT,
                               "%s: %s at byte %" PRIu64 ": bool value %u is neither 0 nor 1",
                               r->f->path, what, r->pos + i, b);
        }
    }
    r->pos += count * es;
    return SL_OK;
}

static sl_status read_value(reader *r, const char *what, uint32_t type, int depth);

/* An array after its type field: u32 element type, u64 count, elements. */
static sl_status read_array(reader *r, const char *what, int depth, uint32_t *elem_type,
                            uint64_t *count, uint64_t *elems_pos)
{
    uint64_t at = r->pos;
    sl_status st;
    if ((st = read_u32(r, what, elem_type)) || (st = read_u64(r, what, count)))
        return st;
    *elems_pos = r->pos;
    if (*elem_type >= GGUF_TYPE_COUNT)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: %s at byte %" PRIu64 ": array of unknown value type %" PRIu32,
                       r->f->path, what, at, *elem_type);
    if (*elem_type == GGUF_TYPE_ARRAY && depth + 1 >= GGUF_MAX_NESTING)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: %s at byte %" PRIu64 ": arrays nested more than %d deep",
                       r->f->path, what, at, GGUF_MAX_NESTING);
    gguf_type et = (gguf_type)*elem_type;
    if (type_sizes[et])
        return skip_fixed(r, what, et, *count);
    /* Strings take at least 8 bytes, arrays 12: bound the loop by the file. */
    uint64_t min = et == GGUF_TYPE_STRING ? 8 : ARRAY_HEADER_BYTES;
    if (*count > remaining(r) / min)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: %s at byte %" PRIu64 ": %" PRIu64 " %s elements cannot fit in the "
                       "%" PRIu64 " bytes left",
                       r->f->path, what, at, *count, type_names[et], remaining(r));
    for (uint64_t i = 0; i < *count; i++)
        if ((st = read_value(r, what, et, depth + 1)))
            return st;
    return SL_OK;
}

static sl_status read_value(reader *r, const char *what, uint32_t type, int depth)
{
    if (type >= GGUF_TYPE_COUNT)
        return sl_fail(r->err, SL_ERR_FORMAT, "%s: %s at byte %" PRIu64 ": unknown value type %" PRIu32,
                       r->f->path, what, r->pos, type);
    if (type == GGUF_TYPE_STRING) {
        uint64_t pos = 0, len = 0;
        return read_string(r, what, &pos, &len);
    }
    if (type == GGUF_TYPE_ARRAY) {
        uint32_t et = 0;
        uint64_t count = 0, elems = 0;
        return read_array(r, what, depth, &et, &count, &elems);
    }
    return skip_fixed(r, what, (gguf_type)type, 1);
}

/* Records the positions of a string array's elements (already validated). */
static sl_status index_strings(reader *r, gguf_kv *kv, const char *what)
{
    if (kv->count == 0)
        return SL_OK;
    /* count <= file size / 8 (checked by read_array): the table is no larger
     * than the file. */
    kv->str_pos = malloc((size_t)kv->count * sizeof *kv->str_pos);
    if (!kv->str_pos)
        return no_memory(r, what);
    uint64_t pos = kv->elems_pos;
    for (uint64_t i = 0; i < kv->count; i++) {
        kv->str_pos[i] = pos;
        pos += 8 + gguf_le64(r->f->base + pos);
    }
    return SL_OK;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static sl_status make_slots(reader *r, int64_t n, int64_t **slots, uint64_t *mask)
{
    uint64_t cap = 8;
    while (cap < (uint64_t)n * 2)
        cap *= 2;
    *slots = malloc(cap * sizeof **slots);
    if (!*slots)
        return no_memory(r, "the index of names");
    for (uint64_t i = 0; i < cap; i++)
        (*slots)[i] = -1;
    *mask = cap - 1;
    return SL_OK;
}

/* Finds `name` among names[]; with insert, adds index i when absent and
 * returns the index of an earlier equal name, or -1. */
static int64_t slot_lookup(int64_t *slots, uint64_t mask, const char *name,
                           const char *(*name_of)(const gguf_file *, int64_t),
                           const gguf_file *f, int64_t insert)
{
    uint64_t h = hash_bytes(name, strlen(name)) & mask;
    for (;;) {
        int64_t idx = slots[h];
        if (idx < 0) {
            if (insert >= 0)
                slots[h] = insert;
            return -1;
        }
        if (strcmp(name_of(f, idx), name) == 0)
            return idx;
        h = (h + 1) & mask;
    }
}

static const char *kv_name(const gguf_file *f, int64_t i)
{
    return f->kv[i].key;
}

static const char *tensor_name(const gguf_file *f, int64_t i)
{
    return f->tensors[i].name;
}

static sl_status read_kvs(reader *r, uint64_t n_kv)
{
    gguf_file *f = r->f;
    sl_status st;
    uint64_t cap = 0;
    char what[GGUF_MAX_NAME * 2 + 64];
    for (uint64_t i = 0; i < n_kv; i++) {
        if (i == cap) {
            cap = cap ? cap * 2 : 64;
            if (cap > n_kv)
                cap = n_kv;
            gguf_kv *grown = realloc(f->kv, cap * sizeof *grown);
            if (!grown)
                return no_memory(r, "the metadata");
            f->kv = grown;
        }
        snprintf(what, sizeof what, "metadata key %" PRIu64, i);
        uint64_t key_at = r->pos, key_pos = 0, key_len = 0;
        if ((st = read_string(r, what, &key_pos, &key_len)))
            return st;
        if (key_len == 0 || key_len > MAX_KEY_LEN || has_control(f->base + key_pos, key_len))
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: %s at byte %" PRIu64 " is %s", f->path, what, key_at,
                           key_len == 0 ? "empty"
                           : key_len > MAX_KEY_LEN ? "longer than 65535 bytes"
                                                   : "holding a control character");
        gguf_kv *kv = &f->kv[i];
        memset(kv, 0, sizeof *kv);
        f->n_kv = (int64_t)i + 1;
        kv->key = copy_cstr(f->base + key_pos, key_len);
        if (!kv->key)
            return no_memory(r, what);
        snprintf(what, sizeof what, "metadata '%.*s'", GGUF_MAX_NAME * 2, kv->key);

        uint64_t type_at = r->pos;
        uint32_t type = 0;
        if ((st = read_u32(r, what, &type)))
            return st;
        if (type >= GGUF_TYPE_COUNT)
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: %s at byte %" PRIu64 " has unknown value type %" PRIu32,
                           f->path, what, type_at, type);
        kv->type = (gguf_type)type;
        kv->value_pos = r->pos;
        if (type == GGUF_TYPE_ARRAY) {
            uint32_t et = 0;
            if ((st = read_array(r, what, 0, &et, &kv->count, &kv->elems_pos)))
                return st;
            kv->elem_type = (gguf_type)et;
            if (et == GGUF_TYPE_STRING && (st = index_strings(r, kv, what)))
                return st;
        } else if (type == GGUF_TYPE_STRING) {
            uint64_t pos = 0, len = 0;
            if ((st = read_string(r, what, &pos, &len)))
                return st;
            kv->str = copy_cstr(f->base + pos, len);
            if (!kv->str)
                return no_memory(r, what);
        } else if ((st = skip_fixed(r, what, kv->type, 1))) {
            return st;
        }
        kv->value_len = r->pos - kv->value_pos;
    }
    if ((st = make_slots(r, f->n_kv, &f->kv_slots, &f->kv_mask)))
        return st;
    for (int64_t i = 0; i < f->n_kv; i++) {
        int64_t prev = slot_lookup(f->kv_slots, f->kv_mask, f->kv[i].key, kv_name, f, i);
        if (prev >= 0)
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: metadata key '%s' appears twice (entries %" PRId64 " and %" PRId64
                           ")",
                           f->path, f->kv[i].key, prev, i);
    }
    return SL_OK;
}

static sl_status read_alignment(reader *r)
{
    gguf_file *f = r->f;
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    int64_t i = gguf_find_key(f, "general.alignment");
    if (i < 0)
        return SL_OK;
    const gguf_kv *kv = &f->kv[i];
    if (kv->type != GGUF_TYPE_UINT32)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: metadata general.alignment at byte %" PRIu64 " has type %s, expected uint32",
                       f->path, kv->value_pos, type_names[kv->type]);
    uint32_t a = gguf_le32(f->base + kv->value_pos);
    if (a == 0 || (a & (a - 1)) != 0)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: metadata general.alignment at byte %" PRIu64 " is %" PRIu32
                       ", not a power of two",
                       f->path, kv->value_pos, a);
    f->alignment = a;
    return SL_OK;
}

/* Tensor infos: positions of each offset field are kept to name them in
 * the data checks. */
static sl_status read_tensor_infos(reader *r, uint64_t n_tensors, uint64_t **offset_at)
{
    gguf_file *f = r->f;
    sl_status st;
    uint64_t cap = 0;
    char what[GGUF_MAX_NAME + 64];
    for (uint64_t i = 0; i < n_tensors; i++) {
        if (i == cap) {
            cap = cap ? cap * 2 : 64;
            if (cap > n_tensors)
                cap = n_tensors;
            gguf_tensor *grown = realloc(f->tensors, cap * sizeof *grown);
            uint64_t *grown_at = grown ? realloc(*offset_at, cap * sizeof *grown_at) : NULL;
            if (grown)
                f->tensors = grown;
            if (!grown_at)
                return no_memory(r, "the tensor list");
            *offset_at = grown_at;
        }
        snprintf(what, sizeof what, "tensor %" PRIu64 " name", i);
        uint64_t name_at = r->pos, name_pos = 0, name_len = 0;
        if ((st = read_string(r, what, &name_pos, &name_len)))
            return st;
        if (name_len >= GGUF_MAX_NAME || has_control(f->base + name_pos, name_len))
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: %s at byte %" PRIu64 " is %s", f->path, what, name_at,
                           name_len >= GGUF_MAX_NAME ? "64 bytes or longer"
                                                     : "holding a control character");
        gguf_tensor *t = &f->tensors[i];
        memset(t, 0, sizeof *t);
        f->n_tensors = (int64_t)i + 1;
        char *name = copy_cstr(f->base + name_pos, name_len);
        if (!name)
            return no_memory(r, what);
        t->name = name;
        snprintf(what, sizeof what, "tensor '%s'", name);

        uint64_t dims_at = r->pos;
        uint32_t n_dims = 0;
        if ((st = read_u32(r, what, &n_dims)))
            return st;
        if (n_dims < 1 || n_dims > GGUF_MAX_DIMS)
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: %s at byte %" PRIu64 " has %" PRIu32 " dimensions (1 to %d allowed)",
                           f->path, what, dims_at, n_dims, GGUF_MAX_DIMS);
        t->n_dims = (int)n_dims;
        int64_t elems = 1;
        for (int d = 0; d < GGUF_MAX_DIMS; d++) {
            t->ne[d] = 1;
            if (d >= (int)n_dims)
                continue;
            uint64_t ne_at = r->pos, ne = 0;
            if ((st = read_u64(r, what, &ne)))
                return st;
            if (ne == 0 || ne > (uint64_t)INT64_MAX)
                return sl_fail(r->err, SL_ERR_FORMAT,
                               "%s: %s dimension %d at byte %" PRIu64 " is %" PRIu64
                               " (must be 1 to 2^63-1)",
                               f->path, what, d, ne_at, ne);
            if ((int64_t)ne > INT64_MAX / elems)
                return sl_fail(r->err, SL_ERR_FORMAT,
                               "%s: %s dimension %d at byte %" PRIu64 " (%" PRIu64
                               ") makes the element count overflow",
                               f->path, what, d, ne_at, ne);
            t->ne[d] = (int64_t)ne;
            elems *= (int64_t)ne;
        }

        uint64_t type_at = r->pos;
        uint32_t type = 0;
        if ((st = read_u32(r, what, &type)))
            return st;
        if (!tensor_type_known(type))
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: %s at byte %" PRIu64 " has unknown tensor type %" PRIu32, f->path,
                           what, type_at, type);
        t->type = (tensor_type)type;
        size_t row;
        if (!tensor_type_row_bytes(t->type, t->ne[0], &row))
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: %s at byte %" PRIu64 ": row of %" PRId64
                           " elements is not a whole number of %s blocks (%" PRId64 ")",
                           f->path, what, dims_at, t->ne[0], tensor_type_name(t->type),
                           tensor_type_block_elems(t->type));
        uint64_t rows = (uint64_t)(elems / t->ne[0]);
        if (row != 0 && rows > SIZE_MAX / row)
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: %s at byte %" PRIu64 ": size in bytes overflows", f->path, what,
                           dims_at);
        t->size = row * (size_t)rows;

        (*offset_at)[i] = r->pos;
        if ((st = read_u64(r, what, &t->offset)))
            return st;
    }
    if (n_tensors == 0)
        return SL_OK;
    if ((st = make_slots(r, f->n_tensors, &f->tensor_slots, &f->tensor_mask)))
        return st;
    for (int64_t i = 0; i < f->n_tensors; i++) {
        int64_t prev =
            slot_lookup(f->tensor_slots, f->tensor_mask, f->tensors[i].name, tensor_name, f, i);
        if (prev >= 0)
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: tensor name '%s' appears twice (tensors %" PRId64 " and %" PRId64
                           ")",
                           f->path, f->tensors[i].name, prev, i);
    }
    return SL_OK;
}

static sl_status place_tensor_data(reader *r, const uint64_t *offset_at)
{
    gguf_file *f = r->f;
    uint64_t a = f->alignment;
    /* pos <= size < 2^63, so this cannot overflow. */
    f->data_offset = (r->pos + a - 1) / a * a;
    if (f->n_tensors == 0)
        return SL_OK;
    if (f->data_offset > f->size)
        return sl_fail(r->err, SL_ERR_FORMAT,
                       "%s: data section at byte %" PRIu64 " (header end %" PRIu64
                       " aligned to %" PRIu32 ") starts past the end of the file (size %" PRIu64 ")",
                       f->path, f->data_offset, r->pos, f->alignment, f->size);
    uint64_t data_len = f->size - f->data_offset;
    for (int64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        if (t->offset % a != 0)
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: tensor '%s' data offset %" PRIu64 " at byte %" PRIu64
                           " is not a multiple of the alignment %" PRIu32,
                           f->path, t->name, t->offset, offset_at[i], f->alignment);
        if (t->offset > data_len || t->size > data_len - t->offset) {
            char start[32] = "past 2^64", end[32] = "past 2^64";
            if (t->offset <= UINT64_MAX - f->data_offset) {
                uint64_t s0 = f->data_offset + t->offset;
                snprintf(start, sizeof start, "%" PRIu64, s0);
                if (t->size <= UINT64_MAX - s0)
                    snprintf(end, sizeof end, "%" PRIu64, s0 + t->size);
            }
            return sl_fail(r->err, SL_ERR_FORMAT,
                           "%s: tensor '%s' data [%s..%s) at byte %" PRIu64
                           " runs past the end of the file (size %" PRIu64 ")",
                           f->path, t->name, start, end, offset_at[i], f->size);
        }
        t->data = f->base + f->data_offset + t->offset;
    }
    return SL_OK;
}

static sl_status parse(gguf_file *f, sl_error *err)
{
    reader rd = {f, 0, err};
    reader *r = &rd;
    sl_status st;
    if (f->size < 4 || memcmp(f->base, GGUF_MAGIC, 4) != 0) {
        char shown[5] = "";
        for (uint64_t i = 0; i < 4 && i < f->size; i++)
            shown[i] = f->base[i] >= 0x20 && f->base[i] < 0x7f ? (char)f->base[i] : '?';
        shown[f->size < 4 ? f->size : 4] = '\0';
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: not a GGUF file (magic at byte 0 is '%s', expected 'GGUF')", f->path,
                       shown);
    }
    r->pos = 4;
    if ((st = read_u32(r, "version", &f->version)))
        return st;
    if (f->version != 0 && (f->version & 0xffffu) == 0)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: version at byte 4 reads 0x%08" PRIx32
                       ": a big-endian GGUF file, only little-endian files are supported",
                       f->path, f->version);
    if (f->version == 1)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: GGUF version 1 (at byte 4) is not supported; convert the model "
                       "again with a current llama.cpp",
                       f->path);
    if (f->version < GGUF_VERSION_MIN || f->version > GGUF_VERSION_MAX)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: GGUF version %" PRIu32 " at byte 4 is not supported (2 and 3 are)",
                       f->path, f->version);
    uint64_t n_tensors = 0, n_kv = 0;
    if ((st = read_u64(r, "tensor count", &n_tensors)) || (st = read_u64(r, "metadata count", &n_kv)))
        return st;
    if (n_kv > GGUF_MAX_KV)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: metadata count %" PRIu64 " at byte 16 is over the limit of %d", f->path,
                       n_kv, GGUF_MAX_KV);
    if (n_tensors > GGUF_MAX_TENSORS)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: tensor count %" PRIu64 " at byte 8 is over the limit of %d", f->path,
                       n_tensors, GGUF_MAX_TENSORS);
    uint64_t left = remaining(r);
    if (n_kv > left / MIN_KV_BYTES)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: metadata count %" PRIu64 " at byte 16 cannot fit in the %" PRIu64
                       " bytes left",
                       f->path, n_kv, left);
    left -= n_kv * MIN_KV_BYTES;
    if (n_tensors > left / MIN_TENSOR_INFO_BYTES)
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: tensor count %" PRIu64 " at byte 8 cannot fit in the %" PRIu64
                       " bytes left",
                       f->path, n_tensors, remaining(r));
    if ((st = read_kvs(r, n_kv)) || (st = read_alignment(r)))
        return st;
    uint64_t *offset_at = NULL;
    st = read_tensor_infos(r, n_tensors, &offset_at);
    if (!st)
        st = place_tensor_data(r, offset_at);
    free(offset_at);
    return st;
}

static sl_status finish_open(gguf_file *f, gguf_file **out, sl_error *err)
{
    sl_status st = parse(f, err);
    if (st) {
        gguf_close(f);
        return st;
    }
    *out = f;
    return SL_OK;
}

static gguf_file *new_file(const char *path)
{
    gguf_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->path = strdup(path);
    if (!f->path) {
        free(f);
        return NULL;
    }
    return f;
}

sl_status gguf_open(const char *path, gguf_file **out, sl_error *err)
{
    if (!path || !out)
        return sl_fail(err, SL_ERR_ARG, "gguf_open: path and out are required");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return sl_fail(err, SL_ERR_IO, "%s: not a regular file", path);
    }
    if (sb.st_size == 0) {
        close(fd);
        return sl_fail(err, SL_ERR_FORMAT, "%s: empty file, not a GGUF model", path);
    }
    if ((uint64_t)sb.st_size > SIZE_MAX || (uint64_t)sb.st_size > (uint64_t)INT64_MAX / 2) {
        close(fd);
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: file too large to map", path);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return sl_fail(err, SL_ERR_IO, "%s: cannot map the file: %s", path, strerror(e));
    gguf_file *f = new_file(path);
    if (!f) {
        munmap(map, (size_t)sb.st_size);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    }
    f->map = map;
    f->map_len = (size_t)sb.st_size;
    f->base = map;
    f->size = (uint64_t)sb.st_size;
    return finish_open(f, out, err);
}

sl_status gguf_open_memory(const void *bytes, size_t size, const char *name, gguf_file **out,
                           sl_error *err)
{
    if (!out || (!bytes && size))
        return sl_fail(err, SL_ERR_ARG, "gguf_open_memory: bytes and out are required");
    *out = NULL;
    if (!name)
        name = "(memory)";
    if ((uint64_t)size > (uint64_t)INT64_MAX / 2)
        return sl_fail(err, SL_ERR_UNSUPPORTED, "%s: too large", name);
    gguf_file *f = new_file(name);
    if (!f)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", name);
    static const uint8_t empty[1];
    f->base = bytes ? bytes : empty;
    f->size = size;
    return finish_open(f, out, err);
}

void gguf_close(gguf_file *f)
{
    if (!f)
        return;
    for (int64_t i = 0; i < f->n_kv; i++) {
        free(f->kv[i].key);
        free(f->kv[i].str);
        free(f->kv[i].str_pos);
    }
    free(f->kv);
    for (int64_t i = 0; i < f->n_tensors; i++)
        free((char *)f->tensors[i].name);
    free(f->tensors);
    free(f->kv_slots);
    free(f->tensor_slots);
    if (f->map)
        munmap(f->map, f->map_len);
    free(f->path);
    free(f);
}

/* ---------------------------------------------------------------------- */
/* Accessors */

const char *gguf_path(const gguf_file *f) { return f->path; }
uint32_t gguf_version(const gguf_file *f) { return f->version; }
uint64_t gguf_file_size(const gguf_file *f) { return f->size; }
uint32_t gguf_alignment(const gguf_file *f) { return f->alignment; }
uint64_t gguf_data_offset(const gguf_file *f) { return f->data_offset; }
int64_t gguf_kv_count(const gguf_file *f) { return f->n_kv; }

const char *gguf_kv_key(const gguf_file *f, int64_t i)
{
    return i >= 0 && i < f->n_kv ? f->kv[i].key : NULL;
}

int64_t gguf_find_key(const gguf_file *f, const char *key)
{
    if (!key || !f->kv_slots)
        return -1;
    return slot_lookup(f->kv_slots, f->kv_mask, key, kv_name, f, -1);
}

gguf_type gguf_kv_type(const gguf_file *f, int64_t i)
{
    return i >= 0 && i < f->n_kv ? f->kv[i].type : GGUF_TYPE_COUNT;
}

gguf_str gguf_kv_raw(const gguf_file *f, int64_t i)
{
    gguf_str s = {NULL, 0};
    if (i >= 0 && i < f->n_kv) {
        s.data = (const char *)f->base + f->kv[i].value_pos;
        s.len = f->kv[i].value_len;
    }
    return s;
}

static const gguf_kv *find_kv(const gguf_file *f, const char *key)
{
    int64_t i = gguf_find_key(f, key);
    return i < 0 ? NULL : &f->kv[i];
}

/* An integer value as signed (fits: true) or the u64 beyond INT64_MAX. */
static bool kv_integer(const gguf_file *f, const gguf_kv *kv, int64_t *s, uint64_t *u,
                       bool *is_big)
{
    if (!kv || !gguf_type_is_integer(kv->type))
        return false;
    const uint8_t *p = f->base + kv->value_pos;
    *is_big = false;
    switch (kv->type) {
    case GGUF_TYPE_UINT8: *s = p[0]; break;
    case GGUF_TYPE_INT8: *s = (int8_t)p[0]; break;
    case GGUF_TYPE_UINT16: *s = gguf_le16(p); break;
    case GGUF_TYPE_INT16: *s = (int16_t)gguf_le16(p); break;
    case GGUF_TYPE_UINT32: *s = gguf_le32(p); break;
    case GGUF_TYPE_INT32: *s = (int32_t)gguf_le32(p); break;
    case GGUF_TYPE_INT64: *s = (int64_t)gguf_le64(p); break;
    case GGUF_TYPE_UINT64:
        *u = gguf_le64(p);
        if (*u > (uint64_t)INT64_MAX)
            *is_big = true;
        else
            *s = (int64_t)*u;
        break;
    default: return false;
    }
    if (!*is_big)
        *u = (uint64_t)*s;
    return true;
}

const char *gguf_get_str(const gguf_file *f, const char *key, const char *def)
{
    const gguf_kv *kv = find_kv(f, key);
    return kv && kv->type == GGUF_TYPE_STRING ? kv->str : def;
}

int64_t gguf_get_int(const gguf_file *f, const char *key, int64_t def)
{
    int64_t s;
    uint64_t u;
    bool big;
    if (!kv_integer(f, find_kv(f, key), &s, &u, &big) || big)
        return def;
    return s;
}

uint32_t gguf_get_u32(const gguf_file *f, const char *key, uint32_t def)
{
    int64_t s;
    uint64_t u;
    bool big;
    if (!kv_integer(f, find_kv(f, key), &s, &u, &big) || big || s < 0 || s > UINT32_MAX)
        return def;
    return (uint32_t)s;
}

uint64_t gguf_get_u64(const gguf_file *f, const char *key, uint64_t def)
{
    int64_t s;
    uint64_t u;
    bool big;
    if (!kv_integer(f, find_kv(f, key), &s, &u, &big) || (!big && s < 0))
        return def;
    return u;
}

static bool kv_float(const gguf_file *f, const gguf_kv *kv, double *v)
{
    if (!kv)
        return false;
    const uint8_t *p = f->base + kv->value_pos;
    if (kv->type == GGUF_TYPE_FLOAT32) {
        uint32_t bits = gguf_le32(p);
        float x;
        memcpy(&x, &bits, 4);
        *v = x;
        return true;
    }
    if (kv->type == GGUF_TYPE_FLOAT64) {
        uint64_t bits = gguf_le64(p);
        memcpy(v, &bits, 8);
        return true;
    }
    return false;
}

float gguf_get_f32(const gguf_file *f, const char *key, float def)
{
    double v;
    return kv_float(f, find_kv(f, key), &v) ? (float)v : def;
}

bool gguf_get_bool(const gguf_file *f, const char *key, bool def)
{
    const gguf_kv *kv = find_kv(f, key);
    return kv && kv->type == GGUF_TYPE_BOOL ? f->base[kv->value_pos] != 0 : def;
}

static sl_status missing_or_type(const gguf_file *f, const char *key, const gguf_kv *kv,
                                 const char *expected, sl_error *err)
{
    if (!kv)
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s missing", f->path, key);
    if (kv->type == GGUF_TYPE_ARRAY)
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s has type array of %s, expected %s",
                       f->path, key, type_names[kv->elem_type], expected);
    return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s has type %s, expected %s", f->path, key,
                   type_names[kv->type], expected);
}

sl_status gguf_require_u32(const gguf_file *f, const char *key, uint32_t *out, sl_error *err)
{
    const gguf_kv *kv = find_kv(f, key);
    int64_t s;
    uint64_t u;
    bool big;
    if (!kv_integer(f, kv, &s, &u, &big))
        return missing_or_type(f, key, kv, "uint32", err);
    if (big || s < 0 || s > UINT32_MAX) {
        if (big)
            return sl_fail(err, SL_ERR_FORMAT,
                           "%s: metadata %s is %" PRIu64 ", out of range for uint32", f->path,
                           key, u);
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s is %" PRId64 ", out of range for uint32",
                       f->path, key, s);
    }
    *out = (uint32_t)s;
    return SL_OK;
}

sl_status gguf_require_f32(const gguf_file *f, const char *key, float *out, sl_error *err)
{
    const gguf_kv *kv = find_kv(f, key);
    double v;
    if (!kv_float(f, kv, &v))
        return missing_or_type(f, key, kv, "float32", err);
    *out = (float)v;
    return SL_OK;
}

sl_status gguf_require_str(const gguf_file *f, const char *key, const char **out,
                           sl_error *err)
{
    const gguf_kv *kv = find_kv(f, key);
    if (!kv || kv->type != GGUF_TYPE_STRING)
        return missing_or_type(f, key, kv, "string", err);
    *out = kv->str;
    return SL_OK;
}

bool gguf_get_array_info(const gguf_file *f, const char *key, gguf_type *elem_type,
                         uint64_t *count)
{
    const gguf_kv *kv = find_kv(f, key);
    if (!kv || kv->type != GGUF_TYPE_ARRAY)
        return false;
    if (elem_type)
        *elem_type = kv->elem_type;
    if (count)
        *count = kv->count;
    return true;
}

sl_status gguf_get_array(const gguf_file *f, const char *key, gguf_type *elem_type,
                         uint64_t *count, const void **data, sl_error *err)
{
    const gguf_kv *kv = find_kv(f, key);
    if (!kv)
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s missing", f->path, key);
    if (kv->type != GGUF_TYPE_ARRAY)
        return sl_fail(err, SL_ERR_FORMAT, "%s: metadata %s has type %s, expected a numeric array",
                       f->path, key, type_names[kv->type]);
    if (!type_sizes[kv->elem_type])
        return sl_fail(err, SL_ERR_FORMAT,
                       "%s: metadata %s is an array of %s, expected a numeric array", f->path, key,
                       type_names[kv->elem_type]);
    if (elem_type)
        *elem_type = kv->elem_type;
    if (count)
        *count = kv->count;
    if (data)
        *data = f->base + kv->elems_pos;
    return SL_OK;
}

gguf_str gguf_get_array_str(const gguf_file *f, const char *key, uint64_t i)
{
    gguf_str s = {NULL, 0};
    const gguf_kv *kv = find_kv(f, key);
    if (!kv || kv->type != GGUF_TYPE_ARRAY || kv->elem_type != GGUF_TYPE_STRING || i >= kv->count)
        return s;
    uint64_t pos = kv->str_pos[i];
    s.len = gguf_le64(f->base + pos);
    s.data = (const char *)f->base + pos + 8;
    return s;
}

int64_t gguf_tensor_count(const gguf_file *f) { return f->n_tensors; }

const gguf_tensor *gguf_tensor_at(const gguf_file *f, int64_t i)
{
    return i >= 0 && i < f->n_tensors ? &f->tensors[i] : NULL;
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name)
{
    if (!name || !f->tensor_slots)
        return NULL;
    int64_t i = slot_lookup(f->tensor_slots, f->tensor_mask, name, tensor_name, f, -1);
    return i < 0 ? NULL : &f->tensors[i];
}

int64_t gguf_tensor_elems(const gguf_tensor *t)
{
    return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
}
