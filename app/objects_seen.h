/* Taught objects and people in a picture, for describe and ask: the
 * picture's regions (vision/object_match.h) are described with every method
 * the database holds descriptors of and the caller can compute (classic
 * always; the VLM's encoder when one is loaded) and matched against them.
 * teach uses objects_describe_picture for what it stores. */
#ifndef SIGHTLINE_APP_OBJECTS_SEEN_H
#define SIGHTLINE_APP_OBJECTS_SEEN_H

#include "app/cli.h"
#include "storage/storage.h"
#include "vision/vision.h"

enum { OBJECTS_SEEN_MAX = 8 };

typedef struct object_seen {
    char name[TAUGHT_NAME_MAX + 1];
    taught_kind kind;
    object_position position;
    float score;
} object_seen;

typedef struct objects_seen {
    object_seen items[OBJECTS_SEEN_MAX];
    int count; /* best first; a name appears once even if several methods find it */
} objects_seen;

/* The taught names in pic. clip and enc may be NULL (classic only). Finding
 * nothing, or a database that cannot be read, gives count 0: recognition is
 * a help, never a reason for describe to fail. */
void objects_find(const app_context *app, const frame *pic, const clip_model *clip,
                  clip_encoder *enc, objects_seen *out);

/* For the prompt's system text: "The user's mug is in view, on the left.\n"
 * per object, "Max is in view, on the right.\n" per person. malloc'ed; NULL
 * when nothing was seen. */
char *objects_prompt_text(const objects_seen *seen);

/* For the user, without a model: "Your mug is in view, left.\n" per
 * object, "Max is in view, right.\n" per person. malloc'ed; NULL when
 * nothing was seen. */
char *objects_user_text(const objects_seen *seen);

/* The descriptors teach stores for one picture (the whole picture): the
 * classic one, and the VLM's when clip and enc are given. */
typedef struct object_descriptors {
    float classic[OBJECT_CLASSIC_DIM];
    float *clip; /* clip_n_embd_out floats, or NULL */
    int clip_dim;
    char clip_method[OBJECT_METHOD_MAX];
} object_descriptors;

sl_status objects_describe_picture(const frame *pic, const clip_model *clip, clip_encoder *enc,
                                   object_descriptors *out, sl_error *err);
void object_descriptors_free(object_descriptors *d);

#endif
