/* Test helpers for the Whisper tests: numpy .npy (little-endian f4, C
 * order) and 16-bit PCM mono WAV readers for the fixtures. Test-local:
 * the project's own WAV reader lives in speech/wav.h. */
#ifndef SIGHTLINE_TESTS_SPEECH_WHISPER_TEST_UTIL_H
#define SIGHTLINE_TESTS_SPEECH_WHISPER_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support.h"

/* Reads a float32 .npy; shape into dims[0..*ndim). NULL on error. */
static inline float *npy_read_f32(const char *path, int64_t *dims, int *ndim, size_t *count)
{
    size_t size;
    unsigned char *b = read_file_bytes(path, &size);
    if (!b)
        return NULL;
    float *out = NULL;
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        goto done;
    size_t hl, ho;
    if (b[6] == 1) {
        hl = (size_t)b[8] | (size_t)b[9] << 8;
        ho = 10;
    } else {
        if (size < 12)
            goto done;
        hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        ho = 12;
    }
    if (ho + hl > size)
        goto done;
    char hdr[512];
    size_t n = hl < sizeof hdr - 1 ? hl : sizeof hdr - 1;
    memcpy(hdr, b + ho, n);
    hdr[n] = 0;
    if (!strstr(hdr, "'<f4'") || strstr(hdr, "True"))
        goto done;
    char *sp = strstr(hdr, "'shape': (");
    if (!sp)
        goto done;
    sp += 10;
    *ndim = 0;
    size_t total = 1;
    while (*sp && *sp != ')' && *ndim < 4) {
        long long d = strtoll(sp, &sp, 10);
        dims[(*ndim)++] = d;
        total *= (size_t)d;
        while (*sp == ',' || *sp == ' ')
            sp++;
    }
    if (ho + hl + total * 4 > size)
        goto done;
    out = malloc(total * sizeof(float) + 1);
    if (out)
        memcpy(out, b + ho + hl, total * sizeof(float));
    *count = total;
done:
    free(b);
    return out;
}

/* Reads a RIFF/WAVE 16-bit PCM mono file as floats s16 / 32768. */
static inline float *wav_read_s16_mono(const char *path, size_t *n, int *rate)
{
    size_t size;
    unsigned char *b = read_file_bytes(path, &size);
    if (!b)
        return NULL;
    float *out = NULL;
    if (size < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WAVE", 4) != 0)
        goto done;
    size_t off = 12;
    int channels = 0, bits = 0;
    while (off + 8 <= size) {
        uint32_t len = (uint32_t)b[off + 4] | (uint32_t)b[off + 5] << 8 |
                       (uint32_t)b[off + 6] << 16 | (uint32_t)b[off + 7] << 24;
        const unsigned char *c = b + off + 8;
        if (len > size - off - 8)
            len = (uint32_t)(size - off - 8);
        if (memcmp(b + off, "fmt ", 4) == 0 && len >= 16) {
            channels = c[2] | c[3] << 8;
            *rate = (int)((uint32_t)c[4] | (uint32_t)c[5] << 8 | (uint32_t)c[6] << 16 |
                          (uint32_t)c[7] << 24);
            bits = c[14] | c[15] << 8;
        } else if (memcmp(b + off, "data", 4) == 0) {
            if (channels != 1 || bits != 16)
                goto done;
            *n = len / 2;
            out = malloc(*n * sizeof(float) + 1);
            if (!out)
                goto done;
            for (size_t i = 0; i < *n; i++) {
                int16_t s = (int16_t)(c[2 * i] | c[2 * i + 1] << 8);
                out[i] = (float)s * (1.0f / 32768.0f);
            }
            goto done;
        }
        off += 8 + len + (len & 1);
    }
done:
    free(b);
    return out;
}

#endif
