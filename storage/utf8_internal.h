/* UTF-8 checks for text that goes into or comes out of the database.
 * Private to storage/. */
#ifndef SIGHTLINE_STORAGE_UTF8_INTERNAL_H
#define SIGHTLINE_STORAGE_UTF8_INTERNAL_H

#include <stddef.h>

/* 1 when s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF) without NUL bytes. */
int utf8_valid(const char *s, size_t n);

/* A malloc'ed, NUL-terminated copy of s[0..n) in which every byte that is not
 * part of a well-formed sequence, and every NUL, is replaced by U+FFFD.
 * *out_len (may be NULL) gets its length. NULL when out of memory. */
char *utf8_repair(const char *s, size_t n, size_t *out_len);

#endif
