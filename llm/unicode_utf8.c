#include "llm/unicode_utf8.h"

uint32_t utf8_decode_lax(const char *s, size_t len, size_t *pos)
{
    const unsigned char *u = (const unsigned char *)s + *pos;
    size_t left = len - *pos;
    unsigned char b = u[0];
    size_t n;
    uint32_t cp;
    if (b < 0x80) {
        *pos += 1;
        return b;
    }
    if (b < 0xC0)
        goto invalid;
    if (b < 0xE0) {
        n = 2;
        cp = b & 0x1Fu;
    } else if (b < 0xF0) {
        n = 3;
        cp = b & 0x0Fu;
    } else if (b < 0xF8) {
        n = 4;
        cp = b & 0x07u;
    } else {
        goto invalid;
    }
    if (left < n)
        goto invalid;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            goto invalid;
        cp = (cp << 6) | (u[i] & 0x3Fu);
    }
    if (cp > 0x10FFFF)
        goto invalid;
    *pos += n;
    return cp;
invalid:
    *pos += 1;
    return UNICODE_REPLACEMENT;
}

size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp > 0x10FFFF)
        cp = UNICODE_REPLACEMENT;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
