/* Bounds-checked access to a FlatBuffer in memory (the container of .tflite
 * files). Private to the TFLite reader.
 *
 * Every accessor checks offsets and lengths against the buffer before it
 * reads, with 64-bit arithmetic so that no sum can wrap; values are read with
 * memcpy, so misaligned (hostile) offsets are harmless. A failed check makes
 * the accessor return false and leaves the caller to name what was wrong. */
#ifndef SIGHTLINE_VISION_TFLITE_FLATBUF_H
#define SIGHTLINE_VISION_TFLITE_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct fb_buf {
    const uint8_t *data;
    uint64_t size;
} fb_buf;

/* A table: its position and that of its vtable, both validated. */
typedef struct fb_table {
    const fb_buf *buf;
    uint64_t pos;
    uint64_t vt;
    uint32_t vt_size;    /* bytes of the vtable, header included */
    uint32_t table_size; /* bytes of the table's inline part */
} fb_table;

/* A vector: where its first element starts and how many there are. */
typedef struct fb_vec {
    const fb_buf *buf;
    uint64_t start;
    uint32_t len;
} fb_vec;

static inline bool fb_in(const fb_buf *b, uint64_t pos, uint64_t n)
{
    return pos <= b->size && n <= b->size - pos;
}

static inline uint16_t fb_u16(const fb_buf *b, uint64_t pos)
{
    uint16_t v;
    memcpy(&v, b->data + pos, 2);
    return v;
}

static inline uint32_t fb_u32(const fb_buf *b, uint64_t pos)
{
    uint32_t v;
    memcpy(&v, b->data + pos, 4);
    return v;
}

static inline uint64_t fb_u64(const fb_buf *b, uint64_t pos)
{
    uint64_t v;
    memcpy(&v, b->data + pos, 8);
    return v;
}

/* FlatBuffers are little-endian; the readers above assume a little-endian
 * host, which every platform sightline targets is. */
_Static_assert(sizeof(uint32_t) == 4, "uint32_t");

/* Validates the table at pos. */
static inline bool fb_table_at(const fb_buf *b, uint64_t pos, fb_table *t)
{
    if (!fb_in(b, pos, 4))
        return false;
    int32_t soff = (int32_t)fb_u32(b, pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !fb_in(b, (uint64_t)vt, 4))
        return false;
    uint32_t vt_size = fb_u16(b, (uint64_t)vt);
    uint32_t table_size = fb_u16(b, (uint64_t)vt + 2);
    if (vt_size < 4 || (vt_size & 1) || !fb_in(b, (uint64_t)vt, vt_size))
        return false;
    if (table_size < 4 || !fb_in(b, pos, table_size))
        return false;
    t->buf = b;
    t->pos = pos;
    t->vt = (uint64_t)vt;
    t->vt_size = vt_size;
    t->table_size = table_size;
    return true;
}

/* Offset of field `slot` inside the table, 0 when absent. *ok turns false when
 * the field's `width` bytes would run past the table's inline part. */
static inline uint32_t fb_field(const fb_table *t, int slot, uint32_t width, bool *ok)
{
    uint32_t at = 4u + 2u * (uint32_t)slot;
    if (at + 2 > t->vt_size)
        return 0;
    uint32_t off = fb_u16(t->buf, t->vt + at);
    if (off == 0)
        return 0;
    if (off < 4 || (uint64_t)off + width > t->table_size) {
        *ok = false;
        return 0;
    }
    return off;
}

static inline uint8_t fb_get_u8(const fb_table *t, int slot, uint8_t dflt, bool *ok)
{
    uint32_t off = fb_field(t, slot, 1, ok);
    return off ? t->buf->data[t->pos + off] : dflt;
}

static inline int32_t fb_get_i32(const fb_table *t, int slot, int32_t dflt, bool *ok)
{
    uint32_t off = fb_field(t, slot, 4, ok);
    return off ? (int32_t)fb_u32(t->buf, t->pos + off) : dflt;
}

static inline uint32_t fb_get_u32(const fb_table *t, int slot, uint32_t dflt, bool *ok)
{
    uint32_t off = fb_field(t, slot, 4, ok);
    return off ? fb_u32(t->buf, t->pos + off) : dflt;
}

static inline uint64_t fb_get_u64(const fb_table *t, int slot, uint64_t dflt, bool *ok)
{
    uint32_t off = fb_field(t, slot, 8, ok);
    return off ? fb_u64(t->buf, t->pos + off) : dflt;
}

/* Follows the uoffset stored in field `slot`: *target gets the absolute
 * position. Returns false when the field is absent (and *ok is untouched) or
 * when the offset leaves the buffer (then *ok turns false). */
static inline bool fb_get_ref(const fb_table *t, int slot, uint64_t *target, bool *ok)
{
    uint32_t off = fb_field(t, slot, 4, ok);
    if (!off)
        return false;
    uint64_t at = t->pos + off;
    uint64_t to = at + fb_u32(t->buf, at);
    if (!fb_in(t->buf, to, 4)) {
        *ok = false;
        return false;
    }
    *target = to;
    return true;
}

/* The vector in field `slot` with elements of elem_size bytes; an absent field
 * gives an empty vector. */
static inline bool fb_get_vec(const fb_table *t, int slot, uint32_t elem_size, fb_vec *v, bool *ok)
{
    uint64_t at;
    v->buf = t->buf;
    v->start = 0;
    v->len = 0;
    if (!fb_get_ref(t, slot, &at, ok))
        return *ok;
    uint32_t len = fb_u32(t->buf, at);
    if (!fb_in(t->buf, at + 4, (uint64_t)len * elem_size)) {
        *ok = false;
        return false;
    }
    v->start = at + 4;
    v->len = len;
    return true;
}

/* Element i of a vector of tables. */
static inline bool fb_vec_table(const fb_vec *v, uint32_t i, fb_table *t)
{
    uint64_t at = v->start + 4ull * i;
    return fb_table_at(v->buf, at + fb_u32(v->buf, at), t);
}

static inline int32_t fb_vec_i32(const fb_vec *v, uint32_t i)
{
    return (int32_t)fb_u32(v->buf, v->start + 4ull * i);
}

#endif
