/* Taught examples as blobs for the database (format in signs.h). */
#include "vision/signs.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vision/signs_internal.h"

enum {
    BLOB_VERSION = 1,
    BLOB_HEADER = 12,
    BLOB_FRAME = 4 + 2 * HAND_LANDMARKS * 3 * 4,
};

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

sl_status signs_frames_to_blob(const sign_frame *frames, int n, unsigned char **blob, size_t *size,
                               sl_error *err)
{
    *blob = NULL;
    *size = 0;
    if (n <= 0 || n > SIGN_MAX_FRAMES)
        return sl_fail(err, SL_ERR_ARG, "signs: %d frames to store (1 to %d)", n, SIGN_MAX_FRAMES);
    size_t bytes = BLOB_HEADER + (size_t)n * BLOB_FRAME;
    unsigned char *p = malloc(bytes);
    if (!p)
        return sl_fail(err, SL_ERR_NOMEM, "signs: out of memory");
    memcpy(p, "SLSG", 4);
    put_u32(p + 4, BLOB_VERSION);
    put_u32(p + 8, (uint32_t)n);
    unsigned char *q = p + BLOB_HEADER;
    for (int t = 0; t < n; t++) {
        int hands = frames[t].n_hands < 0 ? 0 : frames[t].n_hands > 2 ? 2 : frames[t].n_hands;
        put_u32(q, (uint32_t)hands);
        q += 4;
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < HAND_LANDMARKS; i++)
                for (int k = 0; k < 3; k++) {
                    float v = h < hands ? frames[t].lm[h][i][k] : 0.0f;
                    uint32_t bits;
                    memcpy(&bits, &v, 4);
                    put_u32(q, bits);
                    q += 4;
                }
    }
    *blob = p;
    *size = bytes;
    return SL_OK;
}

sl_status signs_frames_from_blob(const unsigned char *blob, size_t size, sign_frame **frames,
                                 int *n, sl_error *err)
{
    *frames = NULL;
    *n = 0;
    if (!blob || size < BLOB_HEADER || memcmp(blob, "SLSG", 4) != 0)
        return sl_fail(err, SL_ERR_FORMAT, "signs: a stored example is not a sign recording");
    uint32_t version = get_u32(blob + 4), count = get_u32(blob + 8);
    if (version != BLOB_VERSION)
        return sl_fail(err, SL_ERR_FORMAT, "signs: stored example version %u (1 expected)",
                       version);
    if (count == 0 || count > SIGN_MAX_FRAMES ||
        (size - BLOB_HEADER) / BLOB_FRAME != count || (size - BLOB_HEADER) % BLOB_FRAME)
        return sl_fail(err, SL_ERR_FORMAT, "signs: stored example of %zu bytes does not hold its"
                       " %u frames", size, count);
    sign_frame *f = calloc(count, sizeof *f);
    if (!f)
        return sl_fail(err, SL_ERR_NOMEM, "signs: out of memory");
    const unsigned char *q = blob + BLOB_HEADER;
    for (uint32_t t = 0; t < count; t++) {
        uint32_t hands = get_u32(q);
        q += 4;
        if (hands > 2) {
            free(f);
            return sl_fail(err, SL_ERR_FORMAT, "signs: stored frame %u has %u hands", t, hands);
        }
        f[t].n_hands = (int)hands;
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < HAND_LANDMARKS; i++)
                for (int k = 0; k < 3; k++) {
                    uint32_t bits = get_u32(q);
                    q += 4;
                    float v;
                    memcpy(&v, &bits, 4);
                    if (!isfinite(v) || fabsf(v) > 1e6f) {
                        free(f);
                        return sl_fail(err, SL_ERR_FORMAT, "signs: stored frame %u has a landmark"
                                       " out of range", t);
                    }
                    f[t].lm[h][i][k] = v;
                }
    }
    *frames = f;
    *n = (int)count;
    return SL_OK;
}
