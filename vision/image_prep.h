/* Preparing a frame for Tesseract: grey levels, flattened background,
 * text scaled up to the size the recogniser was trained on, small rotation
 * removed. Each step can be switched off so the OCR benchmark can show what
 * it gains (bench/ocr.c). The prepared picture remembers how it was made so
 * that boxes found on it map back to the caller's frame. */
#ifndef SIGHTLINE_VISION_IMAGE_PREP_H
#define SIGHTLINE_VISION_IMAGE_PREP_H

#include <stdbool.h>

#include "llm/error.h"
#include "vision/frame.h"

struct Pix;

typedef struct image_prep_options {
    bool gray;        /* luminance instead of colour (Tesseract's per-channel threshold
                         loses light text on coloured backgrounds) */
    bool normalize;   /* flatten uneven light and coloured paper to a white background */
    bool upscale;     /* enlarge small text to about target_height pixels */
    bool deskew;      /* undo a rotation of up to max_skew_deg degrees */
    int target_height;   /* median height of a letter after upscaling; 0 = default */
    float max_scale;     /* largest enlargement; 0 = default (4) */
} image_prep_options;

/* Every step on, default sizes. */
image_prep_options image_prep_defaults(void);

typedef struct prepared_image {
    struct Pix *pix;   /* 8-bit grey, or 32-bit RGB when gray is off */
    int src_width, src_height;
    float scale;       /* prepared = original * scale */
    float angle_deg;   /* rotation applied about the centre (0 = none); the canvas
                          grows so that no corner is cut off */
    int base_width, base_height; /* size before the rotation (scaled frame) */
    int text_height;   /* median letter height found in the original, 0 if none */
    bool inverted;     /* light text on a dark background was turned dark on light */
} prepared_image;

/* Makes the picture Tesseract reads. The frame must be at least 1x1. */
sl_status image_prep_run(const frame *f, const image_prep_options *opt, prepared_image *out,
                         sl_error *err);
void prepared_image_free(prepared_image *p);

/* Maps a box found on the prepared picture back to the original frame,
 * clipped to it. Returns false when nothing of it is left inside. */
bool prepared_box_to_source(const prepared_image *p, int *x, int *y, int *w, int *h);

#endif
