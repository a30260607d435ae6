/* Signs and fingerspelled letters from hand landmarks.
 *
 * Features: each frame of up to two hands becomes a vector that does not
 * change when the hands move, grow or turn in the picture: per hand the
 * bend of every finger joint, the spread between fingers and the distances
 * between fingertips and to the wrist in palm lengths; between the hands
 * their distance and placement in palm lengths; and motion, as the wrist's
 * displacement in the hand's own axes and the hand's turn since the previous
 * frame.
 *
 * Recognition is by nearest neighbour over the examples the user taught:
 * dynamic time warping over whole sequences for signs, the mean handshape of
 * a hold for letters. The answer comes with a confidence, and "unknown" when
 * the nearest example is much farther than the taught examples of that sign
 * are from each other.
 *
 * Segmentation cuts a stream into signs at pauses (no hand, or hands held
 * still) and finds holds, the still moments that fingerspelled letters are. */
#ifndef SIGHTLINE_VISION_SIGNS_H
#define SIGHTLINE_VISION_SIGNS_H

#include <stdbool.h>
#include <stddef.h>

#include "llm/error.h"
#include "vision/hands.h"

enum {
    SIGN_HAND_FEATURES = 34, /* 15 joint bends, 4 spreads, 15 distances */
    SIGN_FEATURES = 2 * (1 + SIGN_HAND_FEATURES + 3) + 3, /* per frame: see signs_frame_features */
    SIGN_NAME_MAX = 64,
};

/* Up to two hands in one frame, in picture order (the left-most first). */
typedef struct sign_frame {
    int n_hands;
    float lm[2][HAND_LANDMARKS][3]; /* frame pixels, as hands_process gives */
} sign_frame;

/* Builds a sign_frame from hands_process's output (keeps the two surest
 * hands, orders them left to right). */
void sign_frame_from_hands(const hand *hands, int n, sign_frame *out);

/* The handshape features of one hand: SIGN_HAND_FEATURES values. False when
 * the landmarks are degenerate (no palm length). */
bool signs_hand_features(const float lm[HAND_LANDMARKS][3], float *out);

/* The features of frame `cur` given the previous frame (NULL for the first):
 * SIGN_FEATURES values, laid out as, for each of two hand slots,
 * [present, handshape (34), wrist motion along and across the hand, turn],
 * then [distance between the wrists, the second wrist's position in the
 * first hand's axes (2)], all in palm lengths. */
void signs_frame_features(const sign_frame *prev, const sign_frame *cur, float *out);

/* A sequence of frame features. */
typedef struct sign_sequence {
    int n;       /* frames */
    float *data; /* n * SIGN_FEATURES, owned */
} sign_sequence;

/* Features of a run of frames; the sequence owns its memory. */
sl_status signs_sequence(const sign_frame *frames, int n, sign_sequence *out, sl_error *err);
void signs_sequence_free(sign_sequence *s);

/* Distance between two sequences: dynamic time warping with a band of a
 * quarter of the longer length, frame distance Euclidean (motion weighted
 * more), normalised by the path length. */
float signs_dtw(const sign_sequence *a, const sign_sequence *b);

/* The mean handshape of a sequence (letters): SIGN_FEATURES values with the
 * motion entries zero. */
void signs_static_features(const sign_sequence *s, float *out);

typedef enum sign_kind { SIGN_KIND_SIGN = 0, SIGN_KIND_LETTER = 1 } sign_kind;

/* Taught examples, and recognition among them. */
typedef struct sign_classifier sign_classifier;

typedef struct sign_options {
    /* An answer is "unknown" when the nearest distance exceeds
     * reject_factor x the mean distance between that sign's own examples
     * (or reject_floor, whichever is larger)... */
    float reject_factor, reject_floor;
    /* ...or when the confidence is below min_confidence. */
    float min_confidence;
} sign_options;

/* The defaults measured by tests/vision/test_signs.c. */
sign_options sign_default_options(void);

sl_status sign_classifier_create(const sign_options *opt, sign_classifier **out, sl_error *err);
void sign_classifier_free(sign_classifier *c);

/* Adds an example (copied). Letters keep only their mean handshape. */
sl_status sign_classifier_add(sign_classifier *c, const char *name, sign_kind kind,
                              const sign_sequence *example, sl_error *err);
int sign_classifier_count(const sign_classifier *c);

typedef struct sign_result {
    char name[SIGN_NAME_MAX]; /* empty when unknown */
    bool unknown;
    float confidence;         /* 0..1: how much nearer the best sign is than the next */
    float distance;           /* to the nearest example */
    char nearest[SIGN_NAME_MAX]; /* the nearest sign even when unknown */
} sign_result;

/* Recognises a sequence among the taught examples of one kind. */
sl_status sign_classify(const sign_classifier *c, sign_kind kind, const sign_sequence *s,
                        sign_result *out, sl_error *err);

/* --- storage ---------------------------------------------------------------- */

/* Taught examples are stored as their landmark frames (features can then
 * change without losing what the user taught), in a little-endian blob:
 * "SLSG", version 1, frame count, then per frame the hand count and 2 x 21
 * x 3 floats. signs_frames_from_blob checks every field of an untrusted blob
 * (a database can be corrupt). */
sl_status signs_frames_to_blob(const sign_frame *frames, int n, unsigned char **blob, size_t *size,
                               sl_error *err);
sl_status signs_frames_from_blob(const unsigned char *blob, size_t size, sign_frame **frames,
                                 int *n, sl_error *err);

/* --- segmentation --------------------------------------------------------- */

typedef enum sign_segment_kind {
    SIGN_SEGMENT_MOTION = 0, /* hands present, from appearance to a pause */
    SIGN_SEGMENT_HOLD = 1,   /* hands present and still: a letter */
} sign_segment_kind;

typedef struct sign_segment {
    int start, end; /* frames [start, end) */
    sign_segment_kind kind;
    bool word_end;  /* a pause (no hand) follows: ends a fingerspelled word */
} sign_segment;

typedef struct sign_segment_options {
    int gap_frames;   /* frames without a hand that end a sign (default 5) */
    int hold_frames;  /* still frames that make a hold (default 6) */
    float still;      /* wrist speed below which a hand is still, palm lengths per
                         frame over a 5-frame window (default 0.04) */
    int min_frames;   /* shorter motions are dropped (default 8) */
} sign_segment_options;

/* Cuts frames into motions (signs) and holds (letters). Returns how many
 * segments were written (at most max), in order. opt may be NULL. */
int signs_segment(const sign_frame *frames, int n, const sign_segment_options *opt,
                  sign_segment *out, int max);

#endif
