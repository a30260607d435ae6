/* Character error rate of recognised text against the expected text, as the
 * OCR tests and the `sightline read` CLI test measure it: both texts have
 * every run of whitespace (newlines included) turned into one space and the
 * ends trimmed; the rate is the Levenshtein distance over Unicode code points
 * (UTF-8 decoded; a malformed byte counts as one character) divided by the
 * expected text's length in code points. An empty expected text gives 0 for
 * an empty result and the result's length otherwise. */
#ifndef SIGHTLINE_TESTS_VISION_CER_H
#define SIGHTLINE_TESTS_VISION_CER_H

#include <stddef.h>

/* Returns -1 if memory runs out. */
double cer(const char *expected, const char *got);

/* The normalised code points of s (malloc'ed, *n of them), or NULL. */
unsigned *cer_normalise(const char *s, size_t *n);

/* Levenshtein distance between two code point strings; -1 on no memory. */
long cer_distance(const unsigned *a, size_t na, const unsigned *b, size_t nb);

#endif
