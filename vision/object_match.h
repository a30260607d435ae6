/* Finding taught objects in a picture: descriptors (object_descriptor.h) of
 * the whole picture and of a grid of overlapping crops are compared with
 * the taught ones by cosine similarity; a name whose best similarity reaches
 * the threshold is in view, and the crop where it scores best says where.
 *
 * Regions: the whole frame, then a 3 x 3 grid of crops of half the width
 * and height, a quarter apart (row-major), so each crop column is centred
 * at a quarter, half or three quarters of the width: left, centre, right. */
#ifndef SIGHTLINE_VISION_OBJECT_MATCH_H
#define SIGHTLINE_VISION_OBJECT_MATCH_H

#include "vision/object_descriptor.h"

enum { OBJECT_REGIONS = 10 };

/* Calibrated on assets/objects (tests/vision/test_objects.c prints the
 * sweep): each of 4 objects taught from 3 close-ups, scored against 20
 * scenes of them (positives) and 116 pairs of a scene with another taught
 * object, of 12 pictures of 6 other things and of 2 empty backgrounds
 * (negatives). Positives scored 0.767..0.991, negatives up to 0.829 (a red
 * apple against the red book, a blue phone against the blue mug). At 0.84:
 * 16 of 20 recognised (one of them at 0.840), 0 of 116 false accepts;
 * 0.80: 19 of 20 but 4 false accepts; 0.83: 18 of 20, 0, with no margin.
 * A wrong "your mug is here" misleads more than a missed one, hence the
 * margin over every negative. The misses: the mug at 70% light on a dark
 * cloth, the silver key ring on a white wall at 125% light (the ring
 * becomes background), and the key ring cut by the frame's edge. */
#define OBJECT_CLASSIC_THRESHOLD 0.84f
/* For VLM embeddings: no real model could be measured here; a value to
 * revise when one is (pooled SigLIP-style embeddings of the same object
 * usually sit well above 0.8, of different objects around 0.5-0.7). */
#define OBJECT_CLIP_THRESHOLD 0.85f

/* The regions of a width x height frame (both >= 1); returns OBJECT_REGIONS. */
int object_regions(int width, int height, object_region out[OBJECT_REGIONS]);

typedef enum object_position {
    OBJECT_LEFT = 0,
    OBJECT_CENTRE = 1,
    OBJECT_RIGHT = 2,
} object_position;

/* "left", "centre", "right". */
const char *object_position_word(object_position p);

/* Cosine similarity of two n-vectors; 0 when either is zero. */
float object_cosine(const float *a, const float *b, int n);

/* A taught descriptor: label is the caller's (an index into its names). */
typedef struct object_reference {
    int label;
    const float *vector;
} object_reference;

typedef struct object_match {
    int label;
    float score;               /* best cosine over its references and the regions */
    int region;                /* where that was (0 = the whole frame) */
    object_position position;  /* from the best-scoring crop of the grid */
} object_match;

/* region_vecs: OBJECT_REGIONS x dim (the regions of object_regions, in
 * order); refs: n_refs descriptors of the same method and dim. Fills out
 * with one entry per label that reaches threshold, best first; returns how
 * many (at most max_out). */
int object_match_find(const float *region_vecs, int dim, const object_region *regions,
                      int frame_width, const object_reference *refs, int n_refs,
                      float threshold, object_match *out, int max_out);

#endif
