#include "app/meeting_import.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEAKER_MAX 64

typedef struct reader {
    const char *name;
    const char *p, *end;
    int line; /* of the line last returned */
} reader;

/* Next line without its ending (\n, \r\n); false at the end. */
static bool next_line(reader *r, const char **s, size_t *n)
{
    if (r->p >= r->end)
        return false;
    const char *e = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = e ? e : r->end;
    *s = r->p;
    *n = (size_t)(stop - r->p);
    if (*n && (*s)[*n - 1] == '\r')
        (*n)--;
    r->p = e ? e + 1 : r->end;
    r->line++;
    return true;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* Up to 6 digits; -1 when none. */
static long digits(const char *s, size_t n, size_t *used)
{
    long v = 0;
    size_t i = 0;
    while (i < n && i < 6 && isdigit((unsigned char)s[i]))
        v = v * 10 + (s[i++] - '0');
    *used = i;
    return i ? v : -1;
}

static size_t parse_time_n(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0, u;
    long part[3];
    int parts = 0;
    while (parts < 3) {
        long v = digits(s + i, n - i, &u);
        if (v < 0)
            return 0;
        part[parts++] = v;
        i += u;
        if (i < n && s[i] == ':' && parts < 3)
            i++;
        else
            break;
    }
    if (parts < 2)
        return 0;
    long h = parts == 3 ? part[0] : 0, m = part[parts - 2], sec = part[parts - 1];
    if (m > 59 || sec > 59)
        return 0;
    long frac = 0;
    if (i < n && (s[i] == ',' || s[i] == '.')) {
        long v = digits(s + i + 1, n - i - 1, &u);
        if (v < 0 || u > 3)
            return 0;
        i += 1 + u;
        for (; u < 3; u++)
            v *= 10;
        frac = v;
    }
    *ms = ((int64_t)h * 3600 + m * 60 + sec) * 1000 + frac;
    return i;
}

size_t transcript_parse_time(const char *s, int64_t *ms)
{
    return parse_time_n(s, strlen(s), ms);
}

static size_t time_len(const char *s, size_t n, int64_t *ms)
{
    return parse_time_n(s, n, ms);
}

/* The "-->" of a cue timing line, or NULL. */
static const char *strstr_n(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (s[i] == '-' && s[i + 1] == '-' && s[i + 2] == '>')
            return s + i;
    return NULL;
}

static sl_status add(transcript *t, size_t *cap, int64_t t0, int64_t t1, const char *sp,
                     size_t spn, const char *text, size_t tn, int line, sl_error *err)
{
    if (t->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        transcript_line *g = realloc(t->items, nc * sizeof *g);
        if (!g)
            return sl_fail(err, SL_ERR_NOMEM, "out of memory reading a transcript");
        t->items = g;
        *cap = nc;
    }
    transcript_line *l = &t->items[t->count];
    l->speaker = strndup(sp, spn);
    l->text = strndup(text, tn);
    if (!l->speaker || !l->text) {
        free(l->speaker);
        free(l->text);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory reading a transcript");
    }
    l->t0_ms = t0;
    l->t1_ms = t1 >= t0 ? t1 : t0;
    l->line = line;
    t->count++;
    return SL_OK;
}

/* Splits "Name: text" when Name is short (1-4 words, no digits-only). */
static void split_speaker(const char **s, size_t *n, const char **sp, size_t *spn)
{
    *sp = "";
    *spn = 0;
    const char *c = memchr(*s, ':', *n);
    /* "Name:" with nothing after it is a speaker who said nothing. */
    if (!c || c == *s || (size_t)(c - *s) > SPEAKER_MAX || (c + 1 < *s + *n && c[1] != ' '))
        return;
    int spaces = 0;
    for (const char *q = *s; q < c; q++) {
        if (*q == ' ')
            spaces++;
        if (*q == '.' || *q == ',' || *q == '!' || *q == '?')
            return;
    }
    if (spaces > 3)
        return;
    *sp = *s;
    *spn = (size_t)(c - *s);
    size_t skip = c + 1 < *s + *n ? 2 : 1;
    *s = c + skip;
    *n -= *spn + skip;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Cue text with tags removed (<v Name> gives the speaker), lines joined by
 * spaces, into buf. */
static size_t clean_cue(const char *s, size_t n, char *buf, size_t cap, char *speaker,
                        size_t spcap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        if (s[i] == '<') {
            const char *e = memchr(s + i, '>', n - i);
            if (!e)
                break;
            if (s[i + 1] == 'v' && (s[i + 2] == ' ' || s[i + 2] == '.') && !speaker[0]) {
                const char *nm = memchr(s + i, ' ', (size_t)(e - (s + i)));
                if (nm) {
                    size_t len = (size_t)(e - nm - 1);
                    if (len >= spcap)
                        len = spcap - 1;
                    memcpy(speaker, nm + 1, len);
                    speaker[len] = '\0';
                }
            }
            i = (size_t)(e - s);
            continue;
        }
        buf[o++] = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
    }
    buf[o] = '\0';
    return o;
}

/* SRT and VTT: cues of an optional id line, a "A --> B" line and text
 * lines up to a blank line. */
static sl_status parse_cues(reader *r, bool vtt, transcript *t, sl_error *err)
{
    size_t cap = 0;
    const char *s;
    size_t n;
    if (vtt)
        next_line(r, &s, &n); /* WEBVTT header line */
    char *text = NULL;
    size_t text_cap = 0;
    sl_status st = SL_OK;
    while (st == SL_OK && next_line(r, &s, &n)) {
        if (blank(s, n))
            continue;
        /* VTT header blocks: NOTE, STYLE, REGION up to a blank line. */
        if (vtt && (n >= 4 && (memcmp(s, "NOTE", 4) == 0 || (n >= 5 && memcmp(s, "STYLE", 5) == 0)
                               || (n >= 6 && memcmp(s, "REGION", 6) == 0)))) {
            while (next_line(r, &s, &n) && !blank(s, n))
                ;
            continue;
        }
        const char *arrow = n >= 3 ? strstr_n(s, n) : NULL;
        if (!arrow) {
            /* The cue id; the timing must follow. */
            if (!next_line(r, &s, &n) || !(arrow = strstr_n(s, n))) {
                st = sl_fail(err, SL_ERR_FORMAT, "%s:%d: expected a cue timing 'start --> end'",
                             r->name, r->line);
                break;
            }
        }
        int line = r->line;
        int64_t t0 = 0, t1 = 0;
        const char *a = s;
        size_t an = (size_t)(arrow - s);
        trim(&a, &an);
        const char *b = arrow + 3;
        size_t bn = (size_t)(s + n - b);
        trim(&b, &bn);
        if (!time_len(a, an, &t0) || time_len(a, an, &t0) != an || !time_len(b, bn, &t1)) {
            st = sl_fail(err, SL_ERR_FORMAT, "%s:%d: bad cue timing", r->name, line);
            break;
        }
        if (t1 < t0) {
            st = sl_fail(err, SL_ERR_FORMAT, "%s:%d: cue ends before it starts", r->name, line);
            break;
        }
        /* Text lines up to a blank line. */
        size_t used = 0;
        while (next_line(r, &s, &n) && !blank(s, n)) {
            if (used + n + 2 > text_cap) {
                size_t nc = (used + n + 2) * 2;
                char *g = realloc(text, nc);
                if (!g) {
                    st = sl_fail(err, SL_ERR_NOMEM, "out of memory reading a transcript");
                    break;
                }
                text = g;
                text_cap = nc;
            }
            if (used)
                text[used++] = ' ';
            memcpy(text + used, s, n);
            used += n;
        }
        if (st != SL_OK || used == 0)
            continue;
        char speaker[SPEAKER_MAX + 1] = "";
        char *clean = malloc(used + 1);
        if (!clean) {
            st = sl_fail(err, SL_ERR_NOMEM, "out of memory reading a transcript");
            break;
        }
        size_t cn = clean_cue(text, used, clean, used + 1, speaker, sizeof speaker);
        const char *c = clean, *sp = speaker;
        size_t spn = strlen(speaker);
        trim(&c, &cn);
        if (!spn)
            split_speaker(&c, &cn, &sp, &spn);
        trim(&c, &cn);
        if (cn)
            st = add(t, &cap, t0, t1, sp, spn, c, cn, line, err);
        free(clean);
    }
    free(text);
    return st;
}

/* `[hh:mm:ss] Speaker: text`; the end of a line is the start of the next
 * (the last gets 400 ms a word). */
static sl_status parse_plain(reader *r, transcript *t, sl_error *err)
{
    size_t cap = 0;
    const char *s;
    size_t n;
    sl_status st = SL_OK;
    while (st == SL_OK && next_line(r, &s, &n)) {
        trim(&s, &n);
        if (n == 0 || s[0] == '#')
            continue;
        int64_t t0 = 0;
        size_t u = n > 1 && s[0] == '[' ? parse_time_n(s + 1, n - 1, &t0) : 0;
        if (!u || 1 + u >= n || s[1 + u] != ']') {
            st = sl_fail(err, SL_ERR_FORMAT, "%s:%d: expected '[hh:mm:ss] Speaker: text'",
                         r->name, r->line);
            break;
        }
        if (t->count && t0 < t->items[t->count - 1].t0_ms) {
            st = sl_fail(err, SL_ERR_FORMAT, "%s:%d: time goes backwards", r->name, r->line);
            break;
        }
        const char *c = s + u + 2, *sp;
        size_t cn = n - u - 2, spn;
        trim(&c, &cn);
        split_speaker(&c, &cn, &sp, &spn);
        trim(&c, &cn);
        if (cn == 0)
            continue;
        if (t->count)
            t->items[t->count - 1].t1_ms = t0;
        st = add(t, &cap, t0, t0, sp, spn, c, cn, r->line, err);
    }
    if (st == SL_OK && t->count) {
        transcript_line *l = &t->items[t->count - 1];
        int64_t words = 1;
        for (const char *q = l->text; *q; q++)
            words += *q == ' ';
        l->t1_ms = l->t0_ms + 400 * words;
    }
    return st;
}

sl_status transcript_parse(const char *name, const char *data, size_t size, transcript *out,
                           sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (size > TRANSCRIPT_FILE_MAX)
        return sl_fail(err, SL_ERR_LIMIT, "%s: a transcript is at most %d bytes", name,
                       TRANSCRIPT_FILE_MAX);
    if (memchr(data, '\0', size))
        return sl_fail(err, SL_ERR_FORMAT, "%s: not a text file (it holds a zero byte)", name);
    reader r = {.name = name, .p = data, .end = data + size};
    if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        r.p += 3;
    sl_status s;
    if ((size_t)(r.end - r.p) >= 6 && memcmp(r.p, "WEBVTT", 6) == 0) {
        s = parse_cues(&r, true, out, err);
    } else {
        /* SRT when the first non-blank line is a number followed by a timing. */
        reader probe = r;
        const char *l;
        size_t n;
        bool srt = false;
        while (next_line(&probe, &l, &n))
            if (!blank(l, n)) {
                size_t u;
                trim(&l, &n);
                srt = digits(l, n, &u) >= 0 && u == n && next_line(&probe, &l, &n) &&
                      strstr_n(l, n);
                break;
            }
        s = srt ? parse_cues(&r, false, out, err) : parse_plain(&r, out, err);
    }
    if (s == SL_OK && out->count == 0)
        s = sl_fail(err, SL_ERR_FORMAT, "%s: no transcript lines found", name);
    if (s != SL_OK)
        transcript_free(out);
    return s;
}

sl_status transcript_read_file(const char *path, transcript *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    sl_status s = SL_OK;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap > TRANSCRIPT_FILE_MAX) {
            s = sl_fail(err, SL_ERR_LIMIT, "%s: a transcript is at most %d bytes", path,
                        TRANSCRIPT_FILE_MAX);
            break;
        }
        char *g = realloc(buf, cap * 2);
        if (!g) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = g;
        cap *= 2;
    }
    if (!buf)
        s = sl_fail(err, SL_ERR_NOMEM, "out of memory reading %s", path);
    else if (s == SL_OK && ferror(f))
        s = sl_fail(err, SL_ERR_IO, "%s: read error", path);
    fclose(f);
    if (s == SL_OK)
        s = transcript_parse(path, buf, n, out, err);
    free(buf);
    return s;
}

void transcript_free(transcript *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->items[i].speaker);
        free(t->items[i].text);
    }
    free(t->items);
    memset(t, 0, sizeof *t);
}
