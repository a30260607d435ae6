/* Pre-tokenizers of byte-level BPE: hand-written scanners for the regexes
 * of tokenizer_internal.h, over code points and their Unicode classes.
 *
 * They reproduce llama.cpp's own scanners (src/unicode.cpp) rather than a
 * textbook regex engine where the two differ: a word never crosses the end
 * of the segment it is scanned in, and "(?!\S)" after a run of spaces holds
 * back the last space only when something follows inside the segment. */
#include "llm/tokenizer_internal.h"

#include "llm/unicode_category.h"

/* Class of position i of the segment, or OUTSIDE past its end. */
#define OUTSIDE 0xFFu

typedef struct seg {
    const uint32_t *cps;
    const uint8_t *cls;
    size_t end;
    uint32_t *ends;
    size_t n_ends;
} seg;

static inline unsigned at(const seg *s, size_t i)
{
    return i < s->end ? s->cls[i] : OUTSIDE;
}

static inline bool is_letter(unsigned c)
{
    return c != OUTSIDE && (c & 7u) == UNICODE_LETTER;
}

static inline bool is_number(unsigned c)
{
    return c != OUTSIDE && (c & 7u) == UNICODE_NUMBER;
}

static inline bool is_space(unsigned c)
{
    return c != OUTSIDE && (c & UNICODE_WHITESPACE_BIT);
}

/* [^\s\p{L}\p{N}]: anything else inside the segment. */
static inline bool is_other(unsigned c)
{
    return c != OUTSIDE && !is_space(c) && !is_letter(c) && !is_number(c);
}

static inline void emit(seg *s, size_t end)
{
    s->ends[s->n_ends++] = (uint32_t)end;
}

static inline uint32_t ascii_lower(uint32_t c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 's 't 're 've 'm 'll 'd at pos: the length matched, or 0. With fold,
 * either case (the generator checks that no non-ASCII letter lower-cases
 * to one of these letters, so ASCII folding is Unicode folding here). */
static size_t contraction(const seg *s, size_t pos, bool fold)
{
    if (s->cps[pos] != '\'' || pos + 1 >= s->end)
        return 0;
    uint32_t a = s->cps[pos + 1];
    if (fold)
        a = ascii_lower(a);
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    if (pos + 2 >= s->end)
        return 0;
    uint32_t b = s->cps[pos + 2];
    if (fold)
        b = ascii_lower(b);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 3;
    return 0;
}

static void scan_gpt2(seg *s, size_t pos)
{
    while (pos < s->end) {
        size_t k = contraction(s, pos, false);
        if (k) {
            emit(s, pos += k);
            continue;
        }
        /* ' ?X+' for X = letters, numbers, others: an optional space, then
         * a run of one class. */
        bool space = s->cps[pos] == ' ';
        size_t p = pos + space;
        unsigned c = at(s, p);
        bool (*same)(unsigned) = is_letter(c) ? is_letter : is_number(c) ? is_number
                                                          : is_other(c)  ? is_other
                                                                         : NULL;
        if (same) {
            while (same(at(s, p)))
                p++;
            emit(s, pos = p);
            continue;
        }
        size_t n = 0;
        while (is_space(at(s, pos + n)))
            n++;
        if (n > 1 && pos + n < s->end)
            pos += n - 1; /* \s+(?!\S): the last space goes with what follows */
        else
            pos += n ? n : 1;
        emit(s, pos);
    }
}

/* LLAMA3 (max_digits 3) and QWEN2 (max_digits 1). */
static void scan_llama3(seg *s, size_t pos, size_t max_digits)
{
    while (pos < s->end) {
        size_t k = contraction(s, pos, true);
        if (k) {
            emit(s, pos += k);
            continue;
        }
        uint32_t cp = s->cps[pos];
        unsigned c = at(s, pos);
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        if (cp != '\r' && cp != '\n' && !is_number(c) &&
            (is_letter(c) || is_letter(at(s, pos + 1)))) {
            pos++;
            while (is_letter(at(s, pos)))
                pos++;
            emit(s, pos);
            continue;
        }
        /* \p{N}{1,max} */
        if (is_number(c)) {
            size_t p = pos + 1;
            while (p - pos < max_digits && is_number(at(s, p)))
                p++;
            emit(s, pos = p);
            continue;
        }
        /* ' ?[^\s\p{L}\p{N}]+[\r\n]*'. A lone space at the segment's end
         * also lands here (llama.cpp's scanner does the same); it is one
         * word either way. */
        unsigned c2 = cp == ' ' ? at(s, pos + 1) : c;
        if (!is_space(c2) && !is_letter(c2) && !is_number(c2)) {
            size_t p = pos + (cp == ' ');
            while (is_other(at(s, p)))
                p++;
            while (p < s->end && (s->cps[p] == '\r' || s->cps[p] == '\n'))
                p++;
            emit(s, pos = p);
            continue;
        }
        /* \s*[\r\n]+ | \s+(?!\S) | \s+ */
        size_t n = 0, after_newline = 0;
        while (is_space(at(s, pos + n))) {
            if (s->cps[pos + n] == '\r' || s->cps[pos + n] == '\n')
                after_newline = pos + n + 1;
            n++;
        }
        if (after_newline)
            pos = after_newline;
        else if (n > 1 && pos + n < s->end)
            pos += n - 1;
        else
            pos += n ? n : 1;
        emit(s, pos);
    }
}

size_t pretok_split(pretok_kind kind, const uint32_t *cps, const uint8_t *cls, size_t n,
                    uint32_t *ends)
{
    seg s = {.cps = cps, .cls = cls, .end = n, .ends = ends, .n_ends = 0};
    switch (kind) {
    case PRETOK_GPT2:
        scan_gpt2(&s, 0);
        break;
    case PRETOK_LLAMA3:
        scan_llama3(&s, 0, 3);
        break;
    case PRETOK_QWEN2:
        scan_llama3(&s, 0, 1);
        break;
    case PRETOK_SMOLLM: {
        /* \p{N} first: each number character is a segment of its own, and
         * GPT2 runs on the segments between them. */
        size_t start = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i < n && !is_number(cls[i]))
                continue;
            if (i > start) {
                s.end = i;
                scan_gpt2(&s, start);
            }
            if (i < n)
                emit(&s, i + 1);
            start = i + 1;
        }
        break;
    }
    }
    return s.n_ends;
}
