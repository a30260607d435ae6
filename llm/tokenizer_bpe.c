/* Byte-level BPE: pre-tokenize into words, map each word's bytes to GPT-2's
 * byte characters, then merge adjacent symbols, lowest merge rank first
 * (leftmost on ties), until no listed merge applies. */
#include "llm/tokenizer_internal.h"

#include <stdlib.h>
#include <string.h>

#include "llm/unicode_category.h"
#include "llm/unicode_utf8.h"

static bool add_pair(const tokenizer *t, const char *w, const merge_sym *sym, int32_t l, int32_t r,
                     merge_heap *h)
{
    if (l < 0 || r < 0)
        return true;
    int32_t rank = tok_merge_rank(t, w + sym[l].start, sym[l].n, w + sym[r].start, sym[r].n);
    if (rank < 0)
        return true;
    /* size packs both lengths' sum; the pair is stale once either side
     * changed, which the check in merge_word sees through n. */
    return merge_heap_push(h, (merge_pair){.left = l, .right = r, .rank = rank,
                                           .size = sym[l].n + sym[r].n});
}

/* One byte-encoded word w[0..len). */
static bool merge_word(const tokenizer *t, const char *w, size_t len, tok_scratch *s, tok_ids *out)
{
    if (t->ignore_merges) {
        int32_t id = tok_lookup(t, w, len);
        if (id >= 0)
            return tok_ids_push(out, id);
    }
    if (!tok_grow(&s->sym, &s->sym_cap, len, sizeof(merge_sym)))
        return false;
    merge_sym *sym = s->sym;
    int32_t n = 0;
    for (size_t off = 0; off < len; n++) {
        size_t k = utf8_lead_len((unsigned char)w[off]);
        if (k > len - off)
            k = len - off;
        sym[n] = (merge_sym){.start = (uint32_t)off, .n = (uint32_t)k, .prev = n - 1, .next = n + 1};
        off += k;
    }
    if (n > 0)
        sym[n - 1].next = -1;

    merge_heap h = {.v = s->heap, .cap = s->heap_cap, .by_score = false};
    bool ok = true;
    for (int32_t i = 1; i < n && ok; i++)
        ok = add_pair(t, w, sym, i - 1, i, &h);
    while (ok && h.n > 0) {
        merge_pair p = merge_heap_pop(&h);
        merge_sym *l = &sym[p.left], *r = &sym[p.right];
        /* Stale: a side was merged away or grew since the pair was queued
         * (symbols only grow, so an unchanged total means both unchanged). */
        if (l->n == 0 || r->n == 0 || l->n + r->n != p.size || l->next != p.right)
            continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = p.left;
        ok = add_pair(t, w, sym, l->prev, p.left, &h) && add_pair(t, w, sym, p.left, l->next, &h);
    }
    s->heap = h.v;
    s->heap_cap = h.cap;
    if (!ok)
        return false;

    for (int32_t i = 0; i >= 0 && i < n; i = sym[i].next) {
        int32_t id = tok_lookup(t, w + sym[i].start, sym[i].n);
        if (id >= 0) {
            if (!tok_ids_push(out, id))
                return false;
            continue;
        }
        /* Not in the vocabulary: llama.cpp looks each byte up on its own
         * and drops what it does not find. */
        for (uint32_t j = 0; j < sym[i].n; j++) {
            id = tok_lookup(t, w + sym[i].start + j, 1);
            if (id >= 0 && !tok_ids_push(out, id))
                return false;
        }
    }
    return true;
}

bool bpe_encode_fragment(const tokenizer *t, const char *text, size_t len, tok_scratch *s,
                         tok_ids *out)
{
    /* Code points (invalid bytes read as U+FFFD, as llama.cpp reads them)
     * and their classes. */
    if (!tok_grow((void **)&s->cps, &s->cps_cap, len + 1, sizeof *s->cps))
        return false;
    size_t cap = s->cps_cap;
    uint8_t *cls = realloc(s->cls, cap);
    if (!cls)
        return false;
    s->cls = cls;
    uint32_t *ends = realloc(s->ends, cap * sizeof *ends);
    if (!ends)
        return false;
    s->ends = ends;
    size_t n = 0;
    for (size_t pos = 0; pos < len; n++) {
        s->cps[n] = utf8_decode_lax(text, len, &pos);
        s->cls[n] = (uint8_t)unicode_class_bits(s->cps[n]);
    }
    size_t n_words = pretok_split(t->pre, s->cps, s->cls, n, s->ends);

    size_t start = 0;
    for (size_t w = 0; w < n_words; w++) {
        size_t end = s->ends[w];
        /* Each code point re-encoded as UTF-8, each byte as its character:
         * at most 4 bytes of 2 characters' bytes per code point. */
        if (!tok_grow((void **)&s->buf, &s->buf_cap, (end - start) * 8, 1))
            return false;
        size_t blen = 0;
        for (size_t i = start; i < end; i++) {
            char u[4];
            size_t k = utf8_encode(s->cps[i], u);
            for (size_t j = 0; j < k; j++) {
                unsigned char b = (unsigned char)u[j];
                memcpy(s->buf + blen, t->byte_char[b], t->byte_char_len[b]);
                blen += t->byte_char_len[b];
            }
        }
        if (!merge_word(t, s->buf, blen, s, out))
            return false;
        start = end;
    }
    return true;
}
