/* A picture in memory: 8-bit RGB, rows of `stride` bytes (stride >= 3 * width).
 * Whoever receives a frame owns its pixels and releases them with frame_free. */
#ifndef SIGHTLINE_VISION_FRAME_H
#define SIGHTLINE_VISION_FRAME_H

#include <stdint.h>

#include "llm/error.h"

typedef struct frame {
    int width;
    int height;
    int stride;
    uint8_t *pixels;
} frame;

/* Allocates a zeroed width x height frame with a tightly packed stride. */
sl_status frame_alloc(frame *f, int width, int height, sl_error *err);
void frame_free(frame *f);

static inline uint8_t *frame_pixel(const frame *f, int x, int y)
{
    return f->pixels + (int64_t)y * f->stride + 3 * x;
}

#endif
