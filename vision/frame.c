#include "vision/frame.h"

#include <stdlib.h>
#include <string.h>

/* 2^15 pixels a side is far beyond any camera; larger sizes come from
 * corrupt headers and would only exhaust memory. */
enum { FRAME_MAX_SIDE = 32768 };

sl_status frame_alloc(frame *f, int width, int height, sl_error *err)
{
    memset(f, 0, sizeof *f);
    if (width <= 0 || height <= 0 || width > FRAME_MAX_SIDE || height > FRAME_MAX_SIDE)
        return sl_fail(err, SL_ERR_ARG, "frame size %dx%d is out of range", width, height);
    size_t stride = (size_t)width * 3;
    f->pixels = calloc((size_t)height, stride);
    if (!f->pixels)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory for a %dx%d frame", width, height);
    f->width = width;
    f->height = height;
    f->stride = (int)stride;
    return SL_OK;
}

void frame_free(frame *f)
{
    if (!f)
        return;
    free(f->pixels);
    memset(f, 0, sizeof *f);
}
