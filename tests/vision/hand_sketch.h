/* A drawn hand for the tests and benchmarks: an open right hand (palm
 * towards the viewer, fingers up) with a forearm, flat skin colour, an
 * outline and a blur. MediaPipe's palm detector and landmark model both take
 * it for a hand. No pictures of real hands ship with the project; this is
 * what the pipeline's end-to-end tests see. */
#ifndef SIGHTLINE_TESTS_VISION_HAND_SKETCH_H
#define SIGHTLINE_TESTS_VISION_HAND_SKETCH_H

#include <stdbool.h>

#include "vision/frame.h"

/* Where the hand goes: the sketch is designed around the palm centre
 * (320, 310) of a 640x480 picture; it is scaled about that point, rotated
 * clockwise (on screen) by angle_deg, optionally mirrored (a left hand),
 * and moved so that the palm centre lands on (cx, cy). */
typedef struct hand_pose {
    float cx, cy, scale, angle_deg;
    bool mirror;
} hand_pose;

/* The fingertips of the design, in design coordinates: thumb, index,
 * middle, ring, pinky. */
extern const float hand_sketch_tips[5][2];

/* Maps a design point to the frame. */
void hand_sketch_map(const hand_pose *p, const float in[2], float out[2]);

/* Fills the frame with the background and draws the hands. */
void hand_sketch_draw(frame *f, const hand_pose *poses, int n);

#endif
