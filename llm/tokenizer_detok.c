/* The streaming detokenizer: token pieces in, valid UTF-8 out.
 *
 * Pieces are bytes: a byte-fallback token <0xE2> or a GPT-2 byte token is
 * a third of a character. The held-back bytes (at most 3) are always the
 * start of a well-formed sequence that the next piece may complete; bytes
 * that can no longer be completed become U+FFFD, one per maximal ill-formed
 * subpart (Unicode's recommended practice, as Python and browsers do). */
#include "llm/tokenizer_internal.h"

#include <stdlib.h>
#include <string.h>

static const char replacement[3] = {'\xEF', '\xBF', '\xBD'};

/* The input seen as pending bytes followed by a piece. */
typedef struct joined {
    const unsigned char *a;
    size_t na;
    const unsigned char *b;
    size_t nb;
} joined;

static inline unsigned char byte_at(const joined *j, size_t i)
{
    return i < j->na ? j->a[i] : j->b[i - j->na];
}

/* Expected length of a well-formed sequence starting with b, and the range
 * its second byte must fall in; 0 for a byte that cannot start one. */
static size_t seq_len(unsigned char b, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (b < 0x80)
        return 1;
    if (b < 0xC2)
        return 0;
    if (b < 0xE0)
        return 2;
    if (b < 0xF0) {
        if (b == 0xE0)
            *lo = 0xA0;
        else if (b == 0xED)
            *hi = 0x9F; /* no surrogates */
        return 3;
    }
    if (b < 0xF5) {
        if (b == 0xF0)
            *lo = 0x90;
        else if (b == 0xF4)
            *hi = 0x8F; /* nothing above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Sanitizes j into dst (NULL: only counts). With final false, an
 * incomplete but well-formed tail is not written: *held gets its start.
 * Returns the output length. */
static size_t sanitize(const joined *j, bool final, char *dst, size_t *held)
{
    size_t n = j->na + j->nb, i = 0, o = 0;
    while (i < n) {
        unsigned char lo, hi, c = byte_at(j, i);
        size_t want = seq_len(c, &lo, &hi);
        if (want == 1) {
            if (dst)
                dst[o] = (char)c;
            o++;
            i++;
            continue;
        }
        size_t k = 1; /* bytes of the sequence that are well formed so far */
        if (want > 1) {
            while (k < want && i + k < n) {
                unsigned char d = byte_at(j, i + k);
                if (d < lo || d > hi)
                    break;
                lo = 0x80;
                hi = 0xBF;
                k++;
            }
            if (k == want) {
                for (size_t m = 0; m < k; m++)
                    if (dst)
                        dst[o + m] = (char)byte_at(j, i + m);
                o += k;
                i += k;
                continue;
            }
            if (i + k == n && !final) {
                *held = i; /* may still be completed by the next piece */
                return o;
            }
        }
        if (dst)
            memcpy(dst + o, replacement, 3);
        o += 3;
        i += k;
    }
    *held = n;
    return o;
}

void detokenizer_init(detokenizer *d, const tokenizer *t)
{
    memset(d, 0, sizeof *d);
    d->t = t;
    d->first = true;
}

int detokenizer_push(detokenizer *d, int32_t id, bool render_special, char *buf, size_t cap)
{
    const tokenizer *t = d->t;
    size_t len = 0;
    const char *piece = t ? tokenizer_piece(t, id, render_special, &len) : NULL;
    if (!piece)
        return 0;
    bool first = d->first;
    if (first && id != t->bos) {
        first = false;
        /* The space SPM put in front of the text is not the user's. */
        if (t->add_space_prefix && len > 0 && piece[0] == ' ' &&
            !(t->attr[id] & (TOK_ATTR_SPECIAL | TOK_ATTR_USER_DEFINED))) {
            piece++;
            len--;
        }
    }
    joined j = {(const unsigned char *)d->pending, (size_t)d->n_pending,
                (const unsigned char *)piece, len};
    size_t held;
    size_t need = sanitize(&j, false, NULL, &held);
    if (need > cap || need > (size_t)INT32_MAX)
        return -1;
    sanitize(&j, false, buf, &held);
    /* Keep the incomplete tail (it is shorter than 4 bytes). */
    size_t total = j.na + j.nb, keep = total - held;
    char tail[4];
    for (size_t m = 0; m < keep; m++)
        tail[m] = (char)byte_at(&j, held + m);
    memcpy(d->pending, tail, keep);
    d->n_pending = (int)keep;
    d->first = first;
    return (int)need;
}

int detokenizer_flush(detokenizer *d, char *buf, size_t cap)
{
    joined j = {(const unsigned char *)d->pending, (size_t)d->n_pending, NULL, 0};
    size_t held;
    size_t need = sanitize(&j, true, NULL, &held);
    if (need > cap)
        return -1;
    sanitize(&j, true, buf, &held);
    d->n_pending = 0;
    return (int)need;
}

sl_status tokenizer_decode(const tokenizer *t, const int32_t *ids, size_t n, bool render_special,
                           char **out, size_t *len, sl_error *err)
{
    if (!out || !len)
        return sl_fail(err, SL_ERR_ARG, "tokenizer_decode: no output pointers");
    *out = NULL;
    *len = 0;
    if (!t || (!ids && n > 0))
        return sl_fail(err, SL_ERR_ARG, "tokenizer_decode: no tokenizer or ids");
    size_t step = 3 * (t->max_piece + 4);
    size_t cap = step + 1, used = 0;
    char *s = malloc(cap);
    if (!s)
        return sl_fail(err, SL_ERR_NOMEM, "tokenizer_decode: out of memory");
    detokenizer d;
    detokenizer_init(&d, t);
    for (size_t i = 0; i <= n; i++) {
        if (cap - used < step + 1) {
            size_t ncap = cap * 2 > used + step + 1 ? cap * 2 : used + step + 1;
            char *q = realloc(s, ncap);
            if (!q) {
                free(s);
                return sl_fail(err, SL_ERR_NOMEM, "tokenizer_decode: out of memory for %zu bytes",
                               ncap);
            }
            s = q;
            cap = ncap;
        }
        int k = i < n ? detokenizer_push(&d, ids[i], render_special, s + used, cap - used - 1)
                      : detokenizer_flush(&d, s + used, cap - used - 1);
        if (k < 0) {
            free(s);
            return sl_fail(err, SL_ERR_INTERNAL, "tokenizer_decode: piece larger than its bound");
        }
        used += (size_t)k;
    }
    s[used] = '\0';
    *out = s;
    *len = used;
    return SL_OK;
}
