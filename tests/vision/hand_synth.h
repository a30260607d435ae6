/* Synthetic hand landmarks for the sign tests: a kinematic hand (joint
 * bends and finger spreads), placed, scaled and turned in the picture,
 * moving along a path, with noise. Test-only: the project has no recorded
 * sign videos, so the sign figures are measured on these. */
#ifndef SIGHTLINE_TESTS_VISION_HAND_SYNTH_H
#define SIGHTLINE_TESTS_VISION_HAND_SYNTH_H

#include <stdint.h>

#include "vision/signs.h"

/* Bends in degrees at the three middle joints of each finger (thumb first),
 * and each finger's spread from its rest direction. */
typedef struct handshape {
    float flex[5][3];
    float spread[5];
} handshape;

/* A deterministic random source. */
typedef struct synth_rng {
    uint64_t s;
} synth_rng;
float synth_uniform(synth_rng *r, float lo, float hi);
float synth_gauss(synth_rng *r);

/* The 21 landmarks of a handshape: hand frame (palm length 1, fingers up,
 * palm to the camera), mirrored for a left hand, turned by (roll in the
 * picture, pitch, yaw) degrees, scaled to `scale` pixels per palm length and
 * put at (x, y). */
void synth_landmarks(const handshape *h, int left, float roll, float pitch, float yaw,
                     float scale, float x, float y, float out[HAND_LANDMARKS][3]);

/* Named shapes: the letters used by the tests, and a few for signs. */
typedef struct named_shape {
    const char *name;
    handshape shape;
} named_shape;
extern const named_shape synth_letters[];
extern const int synth_letter_count;

/* A dynamic sign: handshapes at start and end, one or two hands, and a
 * path: wrist offset (across, along the hand, in palm lengths), turn
 * (degrees) and the distance between two hands as functions of time. */
typedef struct synth_sign {
    const char *name;
    int hands;
    int shape_from, shape_to; /* indices into synth_letters */
    int path;                 /* see hand_synth.c */
    float frames;             /* typical length at 30 frames per second */
} synth_sign;
extern const synth_sign synth_signs[];
extern const int synth_sign_count;

/* How much examples vary. */
typedef struct synth_variation {
    float speed_lo, speed_hi;   /* length factor */
    float roll_deg;             /* picture turn, +/- */
    float tilt_deg;             /* pitch and yaw, +/- */
    float scale_lo, scale_hi;   /* pixels per palm length */
    float joint_deg;            /* per-example joint error, +/- */
    float noise;                /* landmark noise, palm lengths (sigma) */
} synth_variation;
/* Default: speed x0.75-1.35, turned +-30 degrees in the picture and +-12 in
 * depth, 40-110 pixels per palm length, joints +-6 degrees, landmark noise
 * 2% of a palm length. Hard: x0.6-1.6, +-45 and +-25 degrees, 30-140
 * pixels, joints +-12 degrees, noise 4%. */
extern const synth_variation synth_default_variation, synth_hard_variation;

/* One example of sign i: frames written to out (at most max); returns the count. */
int synth_sign_frames(int sign, const synth_variation *v, synth_rng *r, sign_frame *out, int max);

/* One example of letter i held still for n frames. */
int synth_letter_frames(int letter, const synth_variation *v, synth_rng *r, int n, sign_frame *out);

/* Untaught motion: a random handshape changing while the hand turns (kind
 * 0), a random handshape on a path no taught sign uses (kind 1), or a taught
 * sign's handshape on such a path (kind 2). */
int synth_untaught_frames(int kind, const synth_variation *v, synth_rng *r, sign_frame *out,
                          int max);

#endif
