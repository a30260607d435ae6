/* The key/value cache of a decoder: for every layer, the keys (after RoPE)
 * and values of every position seen so far, n_embd_kv = n_head_kv *
 * head_dim numbers per position, stored as F16 (half the memory, what
 * llama.cpp uses by default) or F32.
 *
 * Layout per layer: K and V each n_ctx rows of n_embd_kv elements, row p
 * holding position p, heads side by side. Used by the forward pass only. */
#ifndef SIGHTLINE_LLM_KV_CACHE_H
#define SIGHTLINE_LLM_KV_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "llm/error.h"
#include "llm/tensor_type.h"

typedef struct kv_cache {
    tensor_type type; /* TENSOR_F16 or TENSOR_F32 */
    int32_t n_layer;
    int32_t n_ctx;
    int32_t n_embd_kv;
    size_t elem_bytes;
    void *data; /* layer l: K at l * 2 * plane, V at (l * 2 + 1) * plane */
    size_t plane_bytes;
} kv_cache;

sl_status kv_cache_create(int32_t n_layer, int32_t n_ctx, int32_t n_embd_kv, tensor_type type,
                          kv_cache **out, sl_error *err);
void kv_cache_free(kv_cache *kv);
size_t kv_cache_bytes(const kv_cache *kv);

/* Stores n positions pos.. of one layer: row i of k (stride ldk floats) and
 * of v (stride ldv) go to position pos + i. The caller checks the range. */
void kv_cache_store(kv_cache *kv, int32_t layer, int32_t pos, int32_t n, const float *k,
                    int64_t ldk, const float *v, int64_t ldv);

/* Row `pos` of layer's K (which = 0) or V (which = 1), in the cache's type:
 * rows are contiguous, so positions [a, b) form one run of (b - a) *
 * n_embd_kv elements that attention reads or widens in one pass. */
static inline void *kv_cache_row(const kv_cache *kv, int32_t layer, int which, int32_t pos)
{
    return (uint8_t *)kv->data + kv->plane_bytes * (size_t)(layer * 2 + which) +
           (size_t)pos * (size_t)kv->n_embd_kv * kv->elem_bytes;
}

#endif
