/* Touches everything a gguf_file hands out: every key, every getter, every
 * string array element, the first and last byte of every tensor. Used by
 * the mutated-corpus test and the fuzz target, where ASan turns any read
 * outside the input into a crash. Returns a checksum so nothing is
 * optimized away. */
#ifndef SIGHTLINE_TESTS_LLM_TEST_GGUF_WALK_H
#define SIGHTLINE_TESTS_LLM_TEST_GGUF_WALK_H

#include <string.h>

#include "llm/gguf.h"

static inline uint64_t gguf_walk(const gguf_file *f)
{
    uint64_t sum = gguf_version(f) + gguf_alignment(f) + gguf_data_offset(f);
    for (int64_t i = 0; i < gguf_kv_count(f); i++) {
        const char *key = gguf_kv_key(f, i);
        sum += strlen(key) + (uint64_t)gguf_kv_type(f, i);
        sum += (uint64_t)(gguf_find_key(f, key) == i);
        gguf_str raw = gguf_kv_raw(f, i);
        if (raw.len)
            sum += (unsigned char)raw.data[0] + (unsigned char)raw.data[raw.len - 1];
        const char *s = gguf_get_str(f, key, NULL);
        if (s)
            sum += strlen(s);
        sum += (uint64_t)gguf_get_int(f, key, 0) + gguf_get_u32(f, key, 0) + gguf_get_u64(f, key, 0);
        sum += (uint64_t)(gguf_get_f32(f, key, 0.0f) != 0.0f) + gguf_get_bool(f, key, false);
        gguf_type et;
        uint64_t n;
        if (gguf_get_array_info(f, key, &et, &n)) {
            const void *data;
            if (gguf_get_array(f, key, &et, &n, &data, NULL) == SL_OK && n) {
                size_t es = gguf_type_size(et);
                const unsigned char *p = data;
                sum += p[0] + p[n * es - 1];
            }
            for (uint64_t k = 0; et == GGUF_TYPE_STRING && k < n; k++) {
                gguf_str e = gguf_get_array_str(f, key, k);
                sum += e.len;
                if (e.len)
                    sum += (unsigned char)e.data[0] + (unsigned char)e.data[e.len - 1];
            }
            sum += gguf_get_array_str(f, key, n).len;
        }
    }
    for (int64_t i = 0; i < gguf_tensor_count(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        sum += (uint64_t)(gguf_find_tensor(f, t->name) == t);
        sum += (uint64_t)gguf_tensor_elems(t) + t->size + t->offset;
        const unsigned char *p = t->data;
        sum += p[0] + p[t->size - 1];
    }
    return sum;
}

#endif
