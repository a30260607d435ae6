/* Helpers shared by the GGUF reader and writer. */
#ifndef SIGHTLINE_LLM_GGUF_INTERNAL_H
#define SIGHTLINE_LLM_GGUF_INTERNAL_H

#include <stdint.h>

#include "llm/gguf.h"

#define GGUF_MAGIC "GGUF"
#define GGUF_VERSION_MIN 2
#define GGUF_VERSION_MAX 3

/* Files are little-endian whatever the host: decode byte by byte. */
static inline uint16_t gguf_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t gguf_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t gguf_le64(const uint8_t *p)
{
    return (uint64_t)gguf_le32(p) | (uint64_t)gguf_le32(p + 4) << 32;
}

static inline bool gguf_type_is_integer(gguf_type t)
{
    return t == GGUF_TYPE_UINT8 || t == GGUF_TYPE_INT8 || t == GGUF_TYPE_UINT16 ||
           t == GGUF_TYPE_INT16 || t == GGUF_TYPE_UINT32 || t == GGUF_TYPE_INT32 ||
           t == GGUF_TYPE_UINT64 || t == GGUF_TYPE_INT64;
}

#endif
