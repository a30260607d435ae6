/* What `sightline hands`, `teach` and `sign` share: frames from a picture, a
 * video or the camera, the hand pipeline run over them, and the taught
 * examples loaded from the database into a classifier. Private to app/. */
#ifndef SIGHTLINE_APP_HANDS_INPUT_H
#define SIGHTLINE_APP_HANDS_INPUT_H

#include <stdbool.h>

#include "app/cli.h"
#include "storage/storage.h"
#include "vision/vision.h"

/* A picture (one frame), a video (its frames in order) or the camera (until
 * interrupted or max_frames). */
typedef struct hands_input {
    const char *label;  /* the path, or "camera" */
    bool still;         /* a picture: one frame */
    bool camera;
    frame_source *src;  /* video and camera */
    frame picture;      /* still */
    long delivered;
    long max_frames;    /* camera: 0 = until interrupted */
} hands_input;

/* path NULL means the camera. A missing camera is SL_ERR_DEVICE with a
 * message that starts "no camera found". */
sl_status hands_input_open(const char *path, long max_frames, hands_input *in, sl_error *err);

/* The next frame into *f (zeroed before the first call; the caller frees it
 * with frame_free after the last). *done is set at the end of the input, or
 * when the user interrupts a camera. */
sl_status hands_input_next(hands_input *in, frame *f, bool *done, sl_error *err);
void hands_input_close(hands_input *in);

/* Installs a SIGINT handler that ends camera input cleanly; true once the
 * user pressed Ctrl-C. */
void hands_input_catch_interrupt(void);
bool hands_input_interrupted(void);

/* The pool for --threads (NULL is fine for one thread). */
sl_status hands_pool_create(const app_context *app, thread_pool **pool, sl_error *err);

/* The hands of every frame of an input, tracked from frame to frame (a
 * picture: detected). *frames is malloc'ed, *n frames; *with_hands counts
 * frames where a hand was found. */
typedef struct hands_recording {
    sign_frame *frames;
    int n;
    int with_hands;
} hands_recording;

/* ready_note (may be NULL) goes to stderr (unless -q) once the input is
 * open: "sign now" must not come before "no camera found". */
sl_status hands_record(const char *path, long max_frames, thread_pool *pool,
                       const app_context *app, const char *ready_note, hands_recording *out,
                       sl_error *err);
void hands_recording_free(hands_recording *r);

/* Opens the database of --db (or the default one). */
sl_status hands_open_db(const app_context *app, sl_db **db, sl_error *err);

/* A classifier holding every example in the database; *n_signs and
 * *n_letters (may be NULL) get how many examples of each kind it holds. */
sl_status hands_load_classifier(sl_db *db, sign_classifier **out, int *n_signs, int *n_letters,
                                sl_error *err);

#endif
