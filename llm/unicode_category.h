/* Unicode facts the tokenizers' pre-tokenizers need: the major general
 * category of a code point (what \p{L}, \p{N}, ... match) and whether it is
 * White_Space (what \s matches). Tables come from Debian's unicode-data via
 * scripts/gen-unicode-tables.sh. */
#ifndef SIGHTLINE_LLM_UNICODE_CATEGORY_H
#define SIGHTLINE_LLM_UNICODE_CATEGORY_H

#include <stdbool.h>
#include <stdint.h>

typedef enum unicode_class {
    UNICODE_UNASSIGNED = 0, /* Cn, and anything above U+10FFFF */
    UNICODE_NUMBER = 1,     /* Nd Nl No */
    UNICODE_LETTER = 2,     /* Lu Ll Lt Lm Lo */
    UNICODE_SEPARATOR = 3,  /* Zs Zl Zp */
    UNICODE_MARK = 4,       /* Mn Mc Me */
    UNICODE_PUNCT = 5,      /* Pc Pd Ps Pe Pi Pf Po */
    UNICODE_SYMBOL = 6,     /* Sm Sc Sk So */
    UNICODE_CONTROL = 7,    /* Cc Cf Cs Co */
} unicode_class;

/* The class in bits 0-2 and UNICODE_WHITESPACE_BIT for White_Space. */
#define UNICODE_WHITESPACE_BIT 8u
unsigned unicode_class_bits(uint32_t cp);

static inline unicode_class unicode_class_of(uint32_t cp)
{
    return (unicode_class)(unicode_class_bits(cp) & 7u);
}

static inline bool unicode_is_whitespace(uint32_t cp)
{
    return (unicode_class_bits(cp) & UNICODE_WHITESPACE_BIT) != 0;
}

#endif
