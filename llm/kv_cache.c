#include "llm/kv_cache.h"

#include <stdlib.h>
#include <string.h>

#include "llm/fp16.h"

/* A cache larger than this is a mistake in the request, not a real need. */
#define KV_CACHE_MAX_BYTES ((uint64_t)64 << 30)

sl_status kv_cache_create(int32_t n_layer, int32_t n_ctx, int32_t n_embd_kv, tensor_type type,
                          kv_cache **out, sl_error *err)
{
    *out = NULL;
    if (type != TENSOR_F16 && type != TENSOR_F32)
        return sl_fail(err, SL_ERR_ARG, "KV cache: type %s is not supported (F16 or F32)",
                       tensor_type_name(type));
    if (n_layer < 1 || n_ctx < 1 || n_embd_kv < 1)
        return sl_fail(err, SL_ERR_ARG, "KV cache: invalid size %d layers x %d positions x %d",
                       n_layer, n_ctx, n_embd_kv);
    size_t elem = type == TENSOR_F16 ? 2 : 4;
    uint64_t plane = (uint64_t)n_ctx * (uint64_t)n_embd_kv * elem;
    uint64_t total = plane * 2u * (uint64_t)n_layer;
    if (total > KV_CACHE_MAX_BYTES || total > SIZE_MAX)
        return sl_fail(err, SL_ERR_NOMEM,
                       "KV cache: %d positions need %llu MiB, more than the %llu MiB allowed",
                       n_ctx, (unsigned long long)(total >> 20),
                       (unsigned long long)(KV_CACHE_MAX_BYTES >> 20));
    kv_cache *kv = calloc(1, sizeof *kv);
    if (!kv)
        return sl_fail(err, SL_ERR_NOMEM, "KV cache: out of memory");
    /* calloc: pages are only touched as positions are written. */
    kv->data = calloc(1, (size_t)total);
    if (!kv->data) {
        free(kv);
        return sl_fail(err, SL_ERR_NOMEM, "KV cache: out of memory for %llu MiB",
                       (unsigned long long)(total >> 20));
    }
    kv->type = type;
    kv->n_layer = n_layer;
    kv->n_ctx = n_ctx;
    kv->n_embd_kv = n_embd_kv;
    kv->elem_bytes = elem;
    kv->plane_bytes = (size_t)plane;
    *out = kv;
    return SL_OK;
}

void kv_cache_free(kv_cache *kv)
{
    if (!kv)
        return;
    free(kv->data);
    free(kv);
}

size_t kv_cache_bytes(const kv_cache *kv)
{
    return kv->plane_bytes * 2u * (size_t)kv->n_layer;
}

static void store_rows(kv_cache *kv, int32_t layer, int which, int32_t pos, int32_t n,
                       const float *src, int64_t lds)
{
    for (int32_t i = 0; i < n; i++) {
        void *dst = kv_cache_row(kv, layer, which, pos + i);
        if (kv->type == TENSOR_F16)
            f32_to_fp16_row(src + i * lds, dst, kv->n_embd_kv);
        else
            memcpy(dst, src + i * lds, (size_t)kv->n_embd_kv * sizeof(float));
    }
}

void kv_cache_store(kv_cache *kv, int32_t layer, int32_t pos, int32_t n, const float *k,
                    int64_t ldk, const float *v, int64_t ldv)
{
    store_rows(kv, layer, 0, pos, n, k, ldk);
    store_rows(kv, layer, 1, pos, n, v, ldv);
}
