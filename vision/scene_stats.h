/* What can be said about a picture without a model: how bright it is and
 * its main colours, in words a person uses. `describe` falls back to this
 * when no vision-language model is installed. */
#ifndef SIGHTLINE_VISION_SCENE_STATS_H
#define SIGHTLINE_VISION_SCENE_STATS_H

#include "vision/frame.h"

#define SCENE_MAX_COLOURS 3

typedef struct scene_colour {
    const char *name; /* "red", "dark blue", "white", ... (static string) */
    double share;     /* fraction of the picture, 0..1 */
} scene_colour;

typedef struct scene_stats {
    double brightness; /* mean luminance, 0 (black) .. 1 (white) */
    double contrast;   /* standard deviation of luminance, 0 .. 0.5 */
    int n_colours;     /* colours covering at least SCENE_COLOUR_MIN_SHARE, largest first */
    scene_colour colours[SCENE_MAX_COLOURS];
} scene_stats;

/* A colour must cover this much of the picture to be named. */
#define SCENE_COLOUR_MIN_SHARE 0.10

/* f must hold at least one pixel. */
void scene_stats_compute(const frame *f, scene_stats *out);

/* "very dark", "dark", "dim", "moderately lit", "bright", "very bright". */
const char *scene_brightness_word(double brightness);

/* The name of one colour (8-bit RGB). */
const char *scene_colour_name(uint8_t r, uint8_t g, uint8_t b);

#endif
