/* GGUF model files: a validating reader over a read-only mapping, and a
 * writer for tests and the model generator.
 *
 * Layout (ggml's docs/gguf.md): magic "GGUF", u32 version (2 or 3), u64
 * tensor count, u64 metadata count, the metadata (key string, u32 type,
 * value), the tensor infos (name string, u32 n_dims, u64 ne[n_dims], u32
 * type, u64 offset), padding to the alignment (general.alignment, else 32),
 * then the tensor data. A string is a u64 length and that many bytes (no
 * NUL). Everything is little-endian.
 *
 * gguf_open checks the whole header before returning: every count, length,
 * offset, dimension and type against the file size and against overflow, so
 * that no accessor below can read outside the mapping whatever the bytes.
 * Errors name the file, the field and its byte offset. Refused: version 1,
 * big-endian files, unknown value or tensor types, duplicate keys or tensor
 * names, keys or names holding control characters, zero or overflowing
 * dimensions, rows that are not whole blocks,
 * data offsets that are not aligned or run past the end of the file.
 *
 * A gguf_file is immutable after gguf_open: its accessors may be called
 * from several threads at once. */
#ifndef SIGHTLINE_LLM_GGUF_H
#define SIGHTLINE_LLM_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/tensor_type.h"

/* Value types; the numbers are stored in files. */
typedef enum gguf_type {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8,
    GGUF_TYPE_UINT16,
    GGUF_TYPE_INT16,
    GGUF_TYPE_UINT32,
    GGUF_TYPE_INT32,
    GGUF_TYPE_FLOAT32,
    GGUF_TYPE_BOOL,
    GGUF_TYPE_STRING,
    GGUF_TYPE_ARRAY,
    GGUF_TYPE_UINT64,
    GGUF_TYPE_INT64,
    GGUF_TYPE_FLOAT64,
    GGUF_TYPE_COUNT
} gguf_type;

#define GGUF_DEFAULT_ALIGNMENT 32
/* ggml's GGML_MAX_DIMS and GGML_MAX_NAME: longer names are refused, as
 * llama.cpp refuses them. */
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_NAME 64
/* Real files hold tens of keys and at most some thousands of tensors; the
 * limits keep a hostile header from making the reader allocate many times
 * the file's size in bookkeeping. */
#define GGUF_MAX_KV (1 << 20)
#define GGUF_MAX_TENSORS (1 << 20)
/* Arrays inside arrays deeper than this are refused (they cost the reader
 * stack; no real file nests at all). */
#define GGUF_MAX_NESTING 8

/* "uint32", "string", "array", ...; "?" for a number out of range. */
const char *gguf_type_name(gguf_type type);
/* Bytes of one value of a fixed-size type; 0 for STRING, ARRAY, unknown. */
size_t gguf_type_size(gguf_type type);

/* A view into the mapping, NOT NUL-terminated. */
typedef struct gguf_str {
    const char *data;
    uint64_t len;
} gguf_str;

typedef struct gguf_tensor {
    const char *name;  /* NUL-terminated copy */
    tensor_type type;
    int n_dims;        /* 1..4 */
    int64_t ne[4];     /* ne[0] = row length (elements), unused dims = 1; all >= 1 */
    uint64_t offset;   /* from the data section start; a multiple of the alignment */
    size_t size;       /* bytes */
    const void *data;  /* view into the mapping: file position data_offset + offset */
} gguf_tensor;
/* gguf_open maps the file at a page boundary, so tensor data is aligned to
 * the file's alignment (32 unless general.alignment says otherwise; a file
 * may say 1, so check before casting to wider types). The mapping is
 * private and read-only: a file truncated by another process while open
 * raises SIGBUS, as with any mmap reader. */

typedef struct gguf_file gguf_file;

/* Maps and validates the file. SL_ERR_IO when it cannot be opened or read
 * (the message says why), SL_ERR_FORMAT when its content is invalid. */
sl_status gguf_open(const char *path, gguf_file **out, sl_error *err);
/* Same checks over bytes in memory (they must outlive the gguf_file);
 * `name` is used in messages. For fuzzing and tests. */
sl_status gguf_open_memory(const void *bytes, size_t size, const char *name, gguf_file **out,
                           sl_error *err);
void gguf_close(gguf_file *f);

const char *gguf_path(const gguf_file *f);
uint32_t gguf_version(const gguf_file *f);
uint64_t gguf_file_size(const gguf_file *f);
uint32_t gguf_alignment(const gguf_file *f);
/* Position of the data section in the file: the end of the header rounded
 * up to the alignment (past the end of the file when there are no tensors
 * and the writer did not pad). */
uint64_t gguf_data_offset(const gguf_file *f);

/* ---- metadata ---- */
int64_t gguf_kv_count(const gguf_file *f);
const char *gguf_kv_key(const gguf_file *f, int64_t i);    /* NUL-terminated; NULL out of range */
int64_t gguf_find_key(const gguf_file *f, const char *key); /* -1 if absent */
gguf_type gguf_kv_type(const gguf_file *f, int64_t i);      /* GGUF_TYPE_COUNT out of range */
/* The value's bytes as stored (after the type field): for tests and dumps. */
gguf_str gguf_kv_raw(const gguf_file *f, int64_t i);

/* Typed getters with defaults: they return def when the key is absent or of
 * another type. Integer getters accept any integer type whose value fits
 * (else def); the float getter accepts FLOAT32 and FLOAT64; bool only BOOL.
 * gguf_get_str returns a NUL-terminated copy owned by f (a string holding a
 * NUL byte is cut there). */
const char *gguf_get_str(const gguf_file *f, const char *key, const char *def);
int64_t gguf_get_int(const gguf_file *f, const char *key, int64_t def);
uint32_t gguf_get_u32(const gguf_file *f, const char *key, uint32_t def);
uint64_t gguf_get_u64(const gguf_file *f, const char *key, uint64_t def);
float gguf_get_f32(const gguf_file *f, const char *key, float def);
bool gguf_get_bool(const gguf_file *f, const char *key, bool def);

/* Required variants: SL_ERR_FORMAT "PATH: metadata KEY missing" or
 * "PATH: metadata KEY has type T, expected U" (or its value is out of range). */
sl_status gguf_require_u32(const gguf_file *f, const char *key, uint32_t *out, sl_error *err);
sl_status gguf_require_f32(const gguf_file *f, const char *key, float *out, sl_error *err);
sl_status gguf_require_str(const gguf_file *f, const char *key, const char **out,
                           sl_error *err);

/* Arrays. gguf_get_array_info works for every array (numeric, string,
 * nested): false when the key is absent or not an array. */
bool gguf_get_array_info(const gguf_file *f, const char *key, gguf_type *elem_type,
                         uint64_t *count);
/* Numeric (and bool) arrays as a view of count elements of elem_type, which
 * may be unaligned: copy with memcpy. SL_ERR_FORMAT when the key is absent,
 * not an array, or an array of strings or arrays. */
sl_status gguf_get_array(const gguf_file *f, const char *key, gguf_type *elem_type,
                         uint64_t *count, const void **data, sl_error *err);
/* Element i of an array of strings, in O(1); {NULL, 0} if the key is absent,
 * not a string array, or i is out of range. */
gguf_str gguf_get_array_str(const gguf_file *f, const char *key, uint64_t i);

/* ---- tensors ---- */
int64_t gguf_tensor_count(const gguf_file *f);
const gguf_tensor *gguf_tensor_at(const gguf_file *f, int64_t i);           /* NULL out of range */
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name); /* NULL if absent */
/* Elements of a tensor: ne[0]*ne[1]*ne[2]*ne[3] (checked not to overflow). */
int64_t gguf_tensor_elems(const gguf_tensor *t);

/* ---- writer ---- */
typedef struct gguf_writer gguf_writer;

sl_status gguf_writer_create(gguf_writer **out, sl_error *err);
void gguf_writer_free(gguf_writer *w);
/* 3 by default; 2 writes the same layout with version 2 in the header. */
sl_status gguf_writer_set_version(gguf_writer *w, uint32_t version, sl_error *err);

/* Setting a key again replaces its value (the position stays). */
sl_status gguf_writer_set_u8(gguf_writer *w, const char *key, uint8_t v, sl_error *err);
sl_status gguf_writer_set_i8(gguf_writer *w, const char *key, int8_t v, sl_error *err);
sl_status gguf_writer_set_u16(gguf_writer *w, const char *key, uint16_t v, sl_error *err);
sl_status gguf_writer_set_i16(gguf_writer *w, const char *key, int16_t v, sl_error *err);
sl_status gguf_writer_set_u32(gguf_writer *w, const char *key, uint32_t v, sl_error *err);
sl_status gguf_writer_set_i32(gguf_writer *w, const char *key, int32_t v, sl_error *err);
sl_status gguf_writer_set_u64(gguf_writer *w, const char *key, uint64_t v, sl_error *err);
sl_status gguf_writer_set_i64(gguf_writer *w, const char *key, int64_t v, sl_error *err);
sl_status gguf_writer_set_f32(gguf_writer *w, const char *key, float v, sl_error *err);
sl_status gguf_writer_set_f64(gguf_writer *w, const char *key, double v, sl_error *err);
sl_status gguf_writer_set_bool(gguf_writer *w, const char *key, bool v, sl_error *err);
sl_status gguf_writer_set_str(gguf_writer *w, const char *key, const char *v, sl_error *err);
/* A string of len bytes (may hold NUL bytes). */
sl_status gguf_writer_set_strn(gguf_writer *w, const char *key, const char *v, size_t len,
                               sl_error *err);
sl_status gguf_writer_set_arr_str(gguf_writer *w, const char *key, const char *const *v,
                                  size_t n, sl_error *err);
/* n elements of a numeric or bool type, packed little-endian in v. */
sl_status gguf_writer_set_arr_num(gguf_writer *w, const char *key, gguf_type elem_type,
                                  const void *v, size_t n, sl_error *err);
/* For tests: the value is `type` (any number, unchecked) followed by `len`
 * bytes copied verbatim (e.g. a nested array: u32 ARRAY, u64 n, then n
 * arrays each as u32 type, u64 count, elements). */
sl_status gguf_writer_set_raw(gguf_writer *w, const char *key, uint32_t type, const void *value,
                              size_t len, sl_error *err);

/* ne[0] must be a whole number of the type's blocks; n_dims 1..4; every
 * ne >= 1. `data` (the tensor's bytes, tensor_type_row_bytes(type, ne[0]) *
 * ne[1] * ... ) is referenced, not copied: it must stay valid until
 * gguf_writer_write or gguf_writer_free. NULL data writes zeros. */
sl_status gguf_writer_add_tensor(gguf_writer *w, const char *name, tensor_type type, int n_dims,
                                 const int64_t *ne, const void *data, sl_error *err);

/* Writes the file (alignment from general.alignment, which must be a uint32
 * power of two, else 32). Tensors are laid out in the order added, each at
 * an aligned offset. The file is written to PATH.tmp and renamed. */
sl_status gguf_writer_write(gguf_writer *w, const char *path, sl_error *err);

#endif
