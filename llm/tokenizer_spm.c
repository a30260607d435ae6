/* SentencePiece (BPE flavour, as llama.cpp runs it): the text, spaces
 * already turned into U+2581, starts as one symbol per UTF-8 character;
 * the adjacent pair whose concatenation is the best-scoring token merges
 * first (leftmost on ties) until no pair forms a token. A final symbol that
 * is not a token falls back to byte tokens <0xXX>. */
#include "llm/tokenizer_internal.h"

#include "llm/unicode_utf8.h"

static bool add_pair(const tokenizer *t, const char *text, const merge_sym *sym, int32_t l,
                     int32_t r, merge_heap *h)
{
    if (l < 0 || r < 0)
        return true;
    uint32_t size = sym[l].n + sym[r].n;
    int32_t id = tok_lookup(t, text + sym[l].start, size);
    if (id < 0)
        return true;
    return merge_heap_push(h, (merge_pair){.left = l, .right = r, .score = t->scores[id],
                                           .size = size});
}

bool spm_encode_fragment(const tokenizer *t, const char *text, size_t len, tok_scratch *s,
                         tok_ids *out)
{
    if (len > UINT32_MAX)
        return false;
    if (!tok_grow(&s->sym, &s->sym_cap, len, sizeof(merge_sym)))
        return false;
    merge_sym *sym = s->sym;
    int32_t n = 0;
    for (size_t off = 0; off < len; n++) {
        size_t k = utf8_lead_len((unsigned char)text[off]);
        if (k > len - off)
            k = len - off;
        sym[n] = (merge_sym){.start = (uint32_t)off, .n = (uint32_t)k, .prev = n - 1, .next = n + 1};
        off += k;
    }
    if (n == 0)
        return true;
    sym[n - 1].next = -1;

    merge_heap h = {.v = s->heap, .cap = s->heap_cap, .by_score = true};
    bool ok = true;
    for (int32_t i = 1; i < n && ok; i++)
        ok = add_pair(t, text, sym, i - 1, i, &h);
    while (ok && h.n > 0) {
        merge_pair p = merge_heap_pop(&h);
        merge_sym *l = &sym[p.left], *r = &sym[p.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != p.size)
            continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = p.left;
        ok = add_pair(t, text, sym, l->prev, p.left, &h) &&
             add_pair(t, text, sym, p.left, l->next, &h);
    }
    s->heap = h.v;
    s->heap_cap = h.cap;
    if (!ok)
        return false;

    for (int32_t i = 0; i >= 0; i = sym[i].next) {
        int32_t id = tok_lookup(t, text + sym[i].start, sym[i].n);
        if (id >= 0) {
            if (!tok_ids_push(out, id))
                return false;
            continue;
        }
        /* Merged symbols are tokens by construction, so this is a single
         * character missing from the vocabulary: its bytes. A vocabulary
         * without byte tokens gets <unk> per byte (llama.cpp would abort). */
        for (uint32_t j = 0; j < sym[i].n; j++) {
            int32_t b = t->byte_token[(unsigned char)text[sym[i].start + j]];
            if (b < 0)
                b = t->unk;
            if (b >= 0 && !tok_ids_push(out, b))
                return false;
        }
    }
    return true;
}
