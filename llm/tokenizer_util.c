/* Small pieces the tokenizer files share: hashing, growing arrays, the
 * merge heap. */
#include "llm/tokenizer_internal.h"

#include <stdlib.h>
#include <string.h>

uint32_t tok_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return (uint32_t)(h ^ (h >> 32));
}

bool tok_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return false;
        n *= 2;
    }
    void *q = realloc(*p, n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

bool tok_ids_push(tok_ids *ids, int32_t id)
{
    if (ids->n == ids->cap && !tok_grow((void **)&ids->v, &ids->cap, ids->n + 1, sizeof *ids->v))
        return false;
    ids->v[ids->n++] = id;
    return true;
}

void tok_scratch_free(tok_scratch *s)
{
    free(s->sym);
    free(s->heap);
    free(s->buf);
    free(s->cps);
    free(s->cls);
    free(s->ends);
    memset(s, 0, sizeof *s);
}

static bool pair_before(const merge_heap *h, const merge_pair *a, const merge_pair *b)
{
    if (h->by_score) {
        if (a->score != b->score)
            return a->score > b->score;
    } else if (a->rank != b->rank) {
        return a->rank < b->rank;
    }
    return a->left < b->left;
}

bool merge_heap_push(merge_heap *h, merge_pair p)
{
    if (h->n == h->cap && !tok_grow((void **)&h->v, &h->cap, h->n + 1, sizeof *h->v))
        return false;
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!pair_before(h, &p, &h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = p;
    return true;
}

merge_pair merge_heap_pop(merge_heap *h)
{
    merge_pair top = h->v[0];
    merge_pair last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && pair_before(h, &h->v[c + 1], &h->v[c]))
            c++;
        if (!pair_before(h, &h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
    return top;
}
