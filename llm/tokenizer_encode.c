/* tokenizer_encode: cut special tokens out of the text, run the model on
 * the raw pieces between them, add BOS/EOS. */
#include "llm/tokenizer_internal.h"

#include <stdlib.h>
#include <string.h>

/* A piece of the input: raw text [off, off+len), or a special token. */
typedef struct fragment {
    size_t off, len;
    int32_t token; /* -1 for raw text */
} fragment;

typedef struct fragments {
    fragment *v;
    size_t n, cap;
} fragments;

static bool frag_push(fragments *f, fragment x)
{
    if (f->n == f->cap && !tok_grow((void **)&f->v, &f->cap, f->n + 1, sizeof *f->v))
        return false;
    f->v[f->n++] = x;
    return true;
}

static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || m > n)
        return NULL;
    const char *end = hay + n - m;
    for (const char *p = hay; p <= end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p, needle, m) == 0)
            return p;
    }
    return NULL;
}

/* Splits the raw fragments at every occurrence of each special token in
 * turn (longest token first), as llama.cpp's tokenizer_st_partition does.
 * Control and unknown tokens take part only with parse_special;
 * user-defined ones always. */
static bool partition(const tokenizer *t, const char *text, size_t len, bool parse_special,
                      fragments *cur, fragments *next)
{
    cur->n = 0;
    if (len == 0)
        return true;
    if (!frag_push(cur, (fragment){0, len, -1}))
        return false;
    for (int32_t k = 0; k < t->n_special; k++) {
        int32_t id = t->special[k];
        if (!parse_special && (t->attr[id] & TOK_ATTR_SPECIAL))
            continue;
        size_t slen;
        const char *stext = tok_text(t, id, &slen);
        next->n = 0;
        bool changed = false;
        for (size_t i = 0; i < cur->n; i++) {
            fragment f = cur->v[i];
            if (f.token >= 0) {
                if (!frag_push(next, f))
                    return false;
                continue;
            }
            size_t off = f.off, left = f.len;
            const char *m;
            while (left > 0 && (m = find_bytes(text + off, left, stext, slen)) != NULL) {
                size_t at = (size_t)(m - text);
                if (at > off && !frag_push(next, (fragment){off, at - off, -1}))
                    return false;
                if (!frag_push(next, (fragment){at, slen, id}))
                    return false;
                left -= at - off + slen;
                off = at + slen;
                changed = true;
            }
            if (left > 0 && !frag_push(next, (fragment){off, left, -1}))
                return false;
        }
        if (changed) {
            fragments tmp = *cur;
            *cur = *next;
            *next = tmp;
        }
    }
    return true;
}

/* SPM: spaces become U+2581, and a raw fragment at the start or after a
 * special token gets a space in front when add_space_prefix. */
static bool spm_fragment(const tokenizer *t, const char *text, size_t len, bool prefix,
                         tok_scratch *s, char **esc, size_t *esc_cap, tok_ids *out)
{
    size_t spaces = prefix;
    for (size_t i = 0; i < len; i++)
        spaces += text[i] == ' ';
    if (len > (SIZE_MAX - 3) / 3)
        return false;
    size_t need = len + 1 + spaces * 2;
    if (!tok_grow((void **)esc, esc_cap, need, 1))
        return false;
    size_t n = 0;
    if (prefix) {
        memcpy(*esc, "\xe2\x96\x81", 3);
        n = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(*esc + n, "\xe2\x96\x81", 3);
            n += 3;
        } else {
            (*esc)[n++] = text[i];
        }
    }
    return spm_encode_fragment(t, *esc, n, s, out);
}

sl_status tokenizer_encode(const tokenizer *t, const char *text, size_t len, bool add_special,
                           bool parse_special, int32_t **out, size_t *n_out, sl_error *err)
{
    if (!out || !n_out)
        return sl_fail(err, SL_ERR_ARG, "tokenizer_encode: no output pointers");
    *out = NULL;
    *n_out = 0;
    if (!t || (!text && len > 0))
        return sl_fail(err, SL_ERR_ARG, "tokenizer_encode: no tokenizer or text");
    if (len > UINT32_MAX / 8)
        return sl_fail(err, SL_ERR_LIMIT, "tokenizer_encode: %zu bytes of text, more than %u", len,
                       UINT32_MAX / 8);

    fragments cur = {0}, next = {0};
    tok_scratch s = {0};
    tok_ids ids = {0};
    char *esc = NULL;
    size_t esc_cap = 0;
    bool ok = partition(t, text, len, parse_special, &cur, &next);

    if (ok && add_special && t->add_bos && t->bos >= 0)
        ok = tok_ids_push(&ids, t->bos);
    bool prev_special = true; /* the start counts as after a special token */
    for (size_t i = 0; ok && i < cur.n; i++) {
        fragment f = cur.v[i];
        if (f.token >= 0) {
            ok = tok_ids_push(&ids, f.token);
            prev_special = true;
        } else if (t->kind == TOKENIZER_SPM) {
            ok = spm_fragment(t, text + f.off, f.len, t->add_space_prefix && prev_special, &s, &esc,
                              &esc_cap, &ids);
            prev_special = false;
        } else {
            ok = bpe_encode_fragment(t, text + f.off, f.len, &s, &ids);
        }
    }
    if (ok && add_special && t->add_eos && t->eos >= 0)
        ok = tok_ids_push(&ids, t->eos);

    free(cur.v);
    free(next.v);
    free(esc);
    tok_scratch_free(&s);
    if (!ok) {
        free(ids.v);
        return sl_fail(err, SL_ERR_NOMEM, "tokenizer_encode: out of memory for %zu bytes of text",
                       len);
    }
    if (ids.n == 0) {
        free(ids.v);
        ids.v = NULL;
    }
    *out = ids.v;
    *n_out = ids.n;
    return SL_OK;
}
