/* Videos of the drawn hand (tests/vision/hand_sketch.c) for the CLI tests of
 * `sightline teach` and `sign`: MJPEG in AVI, written with GStreamer. */
#ifndef SIGHTLINE_TESTS_APP_HAND_VIDEO_H
#define SIGHTLINE_TESTS_APP_HAND_VIDEO_H

#include <stdint.h>

typedef enum hand_motion {
    HAND_ACROSS = 0, /* the hand sweeps sideways, about 1.2 palm lengths */
    HAND_RISE = 1,   /* the hand rises about a palm length */
    HAND_HOLD = 2,   /* the hand is held still */
} hand_motion;

/* Writes a 320x240, 10 frames a second video: `blank` frames without a hand,
 * the motion over `frames` frames, `blank` more without a hand. Where, how
 * large and how turned the hand is varies with seed, as between two people
 * or two takes. Fails the test if GStreamer cannot write it. */
void hand_video_write(const char *path, hand_motion motion, int frames, int blank,
                      uint64_t seed);

#endif
