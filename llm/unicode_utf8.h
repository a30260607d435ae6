/* UTF-8 as the tokenizers read it: leniently, the way llama.cpp does, so
 * that the same bytes give the same tokens. */
#ifndef SIGHTLINE_LLM_UNICODE_UTF8_H
#define SIGHTLINE_LLM_UNICODE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UNICODE_REPLACEMENT 0xFFFDu

/* Length of the sequence a byte starts, from its top four bits only:
 * 0x00-0xBF -> 1 (a stray continuation byte stands alone), 0xC0-0xDF -> 2,
 * 0xE0-0xEF -> 3, 0xF0-0xFF -> 4. Symbols for merging are cut this way. */
static inline size_t utf8_lead_len(unsigned char b)
{
    return b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* Decodes the code point at s[*pos] (len bytes in all) and advances *pos.
 * Only the lead byte's pattern and the continuation bytes' top bits are
 * checked (overlong forms and surrogates decode as they stand); anything
 * else, and code points above U+10FFFF, give U+FFFD and advance one byte. */
uint32_t utf8_decode_lax(const char *s, size_t len, size_t *pos);

/* Writes cp (<= 0x10FFFF, else U+FFFD) as 1-4 bytes; returns the count. */
size_t utf8_encode(uint32_t cp, char out[4]);

#endif
