/* Shared by the signs files and their tests. */
#ifndef SIGHTLINE_VISION_SIGNS_INTERNAL_H
#define SIGHTLINE_VISION_SIGNS_INTERNAL_H

#include "vision/signs.h"

enum {
    SIGN_SLOT = 1 + SIGN_HAND_FEATURES + 3, /* one hand's entries in a frame's features */
    SIGN_MAX_FRAMES = 4096,                 /* about two minutes at 30 frames per second */
};

/* Motion per frame is a few hundredths of a palm length: weighted so that it
 * counts about as much as the handshape. */
#ifndef SIGN_MOTION_WEIGHT
#define SIGN_MOTION_WEIGHT 16.0f
#endif

/* Distance from the wrist to the middle finger's base. */
float signs_palm_length(const float lm[HAND_LANDMARKS][3]);

#endif
