/* Where the modes that look at one picture get it: a file, or a frame
 * from the camera. */
#ifndef SIGHTLINE_APP_INPUT_H
#define SIGHTLINE_APP_INPUT_H

#include "app/cli.h"
#include "vision/vision.h"

/* The camera spec `--camera` means when --device is not given. */
#define APP_CAMERA_DEFAULT "camera:/dev/video0"

/* Loads the picture at path, or, when path is NULL, takes a frame from the
 * camera (after a few frames, so its exposure has settled). On failure
 * prints the one-line error and returns the exit code. */
int app_grab_picture(const app_context *app, const char *path, const char *camera, frame *out);

#endif
