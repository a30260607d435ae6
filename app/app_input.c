#include "app/app_input.h"

#include <string.h>

/* Cameras start dark or blurred while auto-exposure and focus settle; the
 * first frames are thrown away. */
#define CAMERA_SETTLE_FRAMES 5

int app_grab_picture(const app_context *app, const char *path, const char *camera, frame *out)
{
    sl_error err = {0};
    memset(out, 0, sizeof *out);
    if (path) {
        if (frame_load_image(path, out, &err) != SL_OK)
            return cli_fail(&err);
        return EXIT_OK;
    }
    frame_source *src = NULL;
    if (frame_source_open(camera ? camera : APP_CAMERA_DEFAULT, NULL, &src, &err) != SL_OK)
        return cli_fail(&err);
    cli_note(app, "taking a picture with %s", frame_source_name(src));
    sl_status st = SL_OK;
    for (int i = 0; i < CAMERA_SETTLE_FRAMES && st == SL_OK; i++)
        st = frame_source_next(src, out, &err);
    frame_source_close(src);
    if (st != SL_OK) {
        frame_free(out);
        return cli_fail(&err);
    }
    return EXIT_OK;
}
