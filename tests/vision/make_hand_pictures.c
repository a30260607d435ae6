/* Writes the hand pictures in assets/hands/ (see scripts/make-hand-assets.sh):
 * the drawn hand of hand_sketch.c, which MediaPipe's models take for a hand.
 * No photographs of real hands ship with the project. */
#include <stdio.h>

#include "hand_sketch.h"
#include "vision/frame_source.h"

static int save(const char *dir, const char *name, const hand_pose *poses, int n)
{
    frame f;
    sl_error err;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (frame_alloc(&f, 640, 480, &err) != SL_OK ||
        (hand_sketch_draw(&f, poses, n), frame_save_png(&f, path, &err)) != SL_OK) {
        fprintf(stderr, "make_hand_pictures: %s\n", err.msg);
        frame_free(&f);
        return 1;
    }
    frame_free(&f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    /* One open right hand, a little turned; two hands side by side. */
    const hand_pose one = {330, 300, 0.75f, 12, false};
    const hand_pose two[2] = {{170, 260, 0.55f, -15, true}, {470, 250, 0.55f, 10, false}};
    return save(argv[1], "open-hand.png", &one, 1) | save(argv[1], "two-hands.png", two, 2);
}
