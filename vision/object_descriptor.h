/* Descriptors of a region of a picture, to recognise a taught object or
 * person again (app/ stores them with storage/objects.h and compares them
 * with vision/object_match.h).
 *
 * Two methods; vectors of different methods are never compared:
 *
 *   "classic-v1"  no model needed. OBJECT_CLASSIC_DIM floats: a hue x
 *                 saturation histogram of the region (grey levels in their
 *                 own bins) weighted towards its centre, where the object
 *                 is; the same, coarser, for each quarter; a histogram of
 *                 gradient orientations for each quarter (HOG-like, the
 *                 outline); and rotation-invariant uniform local binary
 *                 patterns (the texture). Each part is a square-rooted
 *                 histogram scaled to unit length and weighted, so the
 *                 cosine of two vectors is a weighted sum of Hellinger
 *                 affinities. Colours are first divided by the picture's
 *                 white level (98th percentile of max(R,G,B)) and pixels
 *                 in the colours of the picture's edges count little
 *                 (background). Hue and LBP do not change with the light;
 *                 nothing depends on where the object stands in the region
 *                 except the quarters.
 *
 *   "clip:PROJECTOR:N_EMBD"  with a VLM installed: the region resized to the
 *                 encoder's overview tile, encoded and projected (the
 *                 embeddings the text model sees), averaged over the
 *                 tile's tokens and scaled to unit length. The projector's
 *                 output, not the ViT's patch embeddings, because it is what
 *                 clip_encoder_run gives (no second path through the
 *                 encoder) and, pixel-shuffled, it summarises 4x4 patches
 *                 each, so the mean is less dominated by background texture.
 *
 * Regions are rectangles in pixels, clipped to the frame by the caller
 * (object_match.h's object_regions gives them). */
#ifndef SIGHTLINE_VISION_OBJECT_DESCRIPTOR_H
#define SIGHTLINE_VISION_OBJECT_DESCRIPTOR_H

#include <stddef.h>

#include "llm/error.h"
#include "vision/clip.h"
#include "vision/frame.h"

#define OBJECT_CLASSIC_METHOD "classic-v1"
#define OBJECT_CLASSIC_DIM 172
#define OBJECT_METHOD_MAX 64

typedef struct object_region {
    int x, y, width, height;
} object_region;

/* out: OBJECT_CLASSIC_DIM floats of unit length (all zero only for a region
 * without any colour, texture or edge, which then matches nothing).
 * SL_ERR_ARG when the region is empty or not inside the frame. */
sl_status object_descriptor_classic(const frame *f, object_region r, float *out, sl_error *err);

/* "clip:idefics3:576" for the model (at most OBJECT_METHOD_MAX bytes with
 * the NUL). */
void object_descriptor_clip_method(const clip_model *m, char out[OBJECT_METHOD_MAX]);

/* out: clip_n_embd_out(m) floats of unit length. enc belongs to m. */
sl_status object_descriptor_clip(const clip_model *m, clip_encoder *enc, const frame *f,
                                 object_region r, float *out, sl_error *err);

#endif
