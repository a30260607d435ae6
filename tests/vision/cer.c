#include "tests/vision/cer.h"

#include <stdlib.h>
#include <string.h>

static int is_space(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
           c == 0xa0;
}

/* One code point from UTF-8; a malformed sequence yields its first byte. */
static unsigned next_cp(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    unsigned c = p[0];
    int extra = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    if (c >= 0xf8)
        extra = 0;
    unsigned v = extra == 3 ? c & 7 : extra == 2 ? c & 15 : extra == 1 ? c & 31 : c;
    for (int i = 1; i <= extra; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *pp = p + 1;
            return c;
        }
        v = (v << 6) | (p[i] & 0x3f);
    }
    *pp = p + 1 + extra;
    return v;
}

unsigned *cer_normalise(const char *s, size_t *n)
{
    size_t len = strlen(s);
    unsigned *out = malloc((len + 1) * sizeof *out);
    if (!out)
        return NULL;
    size_t k = 0;
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = next_cp(&p);
        if (is_space(c)) {
            pending_space = k > 0;
            continue;
        }
        if (pending_space)
            out[k++] = ' ';
        pending_space = 0;
        out[k++] = c;
    }
    *n = k;
    return out;
}

long cer_distance(const unsigned *a, size_t na, const unsigned *b, size_t nb)
{
    size_t *row = malloc((nb + 1) * sizeof *row);
    if (!row)
        return -1;
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    long d = (long)row[nb];
    free(row);
    return d;
}

double cer(const char *expected, const char *got)
{
    size_t na, nb;
    unsigned *a = cer_normalise(expected, &na);
    unsigned *b = cer_normalise(got, &nb);
    double r = -1;
    if (a && b) {
        long d = cer_distance(a, na, b, nb);
        if (d >= 0)
            r = na ? (double)d / (double)na : (double)nb;
    }
    free(a);
    free(b);
    return r;
}
