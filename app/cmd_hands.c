/* sightline hands: the hand landmarks of a picture, a video or the camera. */
#include <stdio.h>
#include <string.h>

#include "app/commands.h"
#include "app/hands_input.h"
#include "app/json.h"

static const char *const landmark_names[HAND_LANDMARKS] = {
    "wrist",      "thumb_cmc",  "thumb_mcp",  "thumb_ip",   "thumb_tip",  "index_mcp",
    "index_pip",  "index_dip",  "index_tip",  "middle_mcp", "middle_pip", "middle_dip",
    "middle_tip", "ring_mcp",   "ring_pip",   "ring_dip",   "ring_tip",   "pinky_mcp",
    "pinky_pip",  "pinky_dip",  "pinky_tip",
};

/* The model answers for a mirrored (selfie) picture: in a file or a plain
 * camera picture its "right" is the person's left hand (vision/hands.h). */
static const char *handedness(const hand *h)
{
    return h->right > 0.5f ? "left" : "right";
}

static void print_text(long index, bool still, const hand *h, int n)
{
    if (still)
        printf("%d hand%s\n", n, n == 1 ? "" : "s");
    else
        printf("frame %ld: %d hand%s\n", index, n, n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        printf("  hand %d: %s, presence %.2f\n", i + 1, handedness(&h[i]), h[i].presence);
        for (int k = 0; k < HAND_LANDMARKS; k++)
            printf("    %-10s %8.1f %8.1f %8.1f\n", landmark_names[k], h[i].landmarks[k][0],
                   h[i].landmarks[k][1], h[i].landmarks[k][2]);
    }
}

static void json_xyz(json_writer *w, const float xyz[3])
{
    json_begin_array(w);
    for (int c = 0; c < 3; c++)
        json_double(w, xyz[c]);
    json_end_array(w);
}

static void json_frame(json_writer *w, long index, const frame *f, const hand *h, int n)
{
    json_begin_object(w);
    json_kv_int(w, "index", index);
    json_kv_int(w, "width", f->width);
    json_kv_int(w, "height", f->height);
    json_key(w, "hands");
    json_begin_array(w);
    for (int i = 0; i < n; i++) {
        json_begin_object(w);
        json_kv_string(w, "handedness", handedness(&h[i]));
        json_kv_double(w, "presence", h[i].presence);
        json_kv_bool(w, "tracked", h[i].tracked);
        json_key(w, "landmarks");
        json_begin_array(w);
        for (int k = 0; k < HAND_LANDMARKS; k++)
            json_xyz(w, h[i].landmarks[k]);
        json_end_array(w);
        json_key(w, "world");
        json_begin_array(w);
        for (int k = 0; k < HAND_LANDMARKS; k++)
            json_xyz(w, h[i].world[k]);
        json_end_array(w);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
}

typedef struct hands_args {
    const char *path; /* NULL: camera */
    const char *overlay;
    bool json, full;
    long max_frames;
} hands_args;

static int parse_args(int argc, char **argv, hands_args *a)
{
    bool camera = false;
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--json") == 0) {
            a->json = true;
        } else if (strcmp(s, "--full") == 0) {
            a->full = true;
        } else if (strcmp(s, "--camera") == 0) {
            camera = true;
        } else if (strcmp(s, "--overlay") == 0 || strcmp(s, "--frames") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(&cmd_hands, "%s needs a value", s);
            if (s[2] == 'o') {
                a->overlay = argv[++i];
            } else if (!cli_parse_int(argv[++i], 1, 1000000, &a->max_frames)) {
                return cli_usage_error(&cmd_hands, "--frames wants a number from 1 to 1000000,"
                                       " not '%s'", argv[i]);
            }
        } else if (s[0] == '-' && s[1] && strcmp(s, "--") != 0) {
            return cli_usage_error(&cmd_hands, "unknown option '%s'", s);
        } else {
            if (strcmp(s, "--") == 0) {
                if (++i >= argc)
                    break;
                s = argv[i];
            }
            if (a->path)
                return cli_usage_error(&cmd_hands, "one picture or video at a time ('%s' and"
                                       " '%s')", a->path, s);
            a->path = s;
        }
    }
    if (camera && a->path)
        return cli_usage_error(&cmd_hands, "give a file or --camera, not both");
    if (!camera && !a->path)
        return cli_usage_error(&cmd_hands, "which picture or video? (or --camera)");
    return EXIT_OK;
}

static int run_hands(app_context *app, int argc, char **argv)
{
    hands_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    thread_pool *pool = NULL;
    hands_input in;
    sl_status st = hands_input_open(a.path, a.max_frames, &in, &err);
    if (st != SL_OK)
        return cli_fail(&err);
    if (in.camera)
        hands_input_catch_interrupt();
    hands_tracker *t = NULL;
    hands_options opt = {.max_hands = 2, .full = a.full, .track = !in.still};
    st = hands_pool_create(app, &pool, &err);
    if (st == SL_OK)
        st = hands_open(NULL, &opt, pool, &t, &err);

    json_writer w;
    if (a.json) {
        json_init(&w, stdout, false);
        json_begin_object(&w);
        json_kv_string(&w, "source", in.label);
        json_key(&w, "frames");
        json_begin_array(&w);
    }
    frame f = {0}, shown = {0};
    hand h[HANDS_MAX], shown_hands[HANDS_MAX];
    int shown_n = 0;
    long frames = 0, with_hands = 0;
    while (st == SL_OK) {
        bool done;
        st = hands_input_next(&in, &f, &done, &err);
        if (st != SL_OK || done)
            break;
        int n = 0;
        st = hands_process(t, &f, h, HANDS_MAX, &n, &err);
        if (st != SL_OK)
            break;
        if (a.json)
            json_frame(&w, frames, &f, h, n);
        else
            print_text(frames, in.still, h, n);
        fflush(stdout);
        /* The overlay shows the last frame that had a hand (else the last). */
        if (a.overlay && (n > 0 || with_hands == 0)) {
            if (shown.width != f.width || shown.height != f.height) {
                frame_free(&shown);
                st = frame_alloc(&shown, f.width, f.height, &err);
                if (st != SL_OK)
                    break;
            }
            for (int y = 0; y < f.height; y++)
                memcpy(frame_pixel(&shown, 0, y), frame_pixel(&f, 0, y), (size_t)f.width * 3);
            memcpy(shown_hands, h, sizeof h);
            shown_n = n;
        }
        frames++;
        with_hands += n > 0;
    }
    if (a.json) {
        json_end_array(&w);
        json_kv_int(&w, "frames_with_hands", with_hands);
        json_end_object(&w);
        json_finish(&w);
    }
    if (st == SL_OK && a.overlay && shown.pixels) {
        hands_draw(&shown, shown_hands, shown_n);
        st = frame_save_png(&shown, a.overlay, &err);
    }
    if (st == SL_OK && !a.json)
        cli_note(app, "%ld frame%s, %ld with a hand%s%s", frames, frames == 1 ? "" : "s",
                 with_hands, a.overlay ? "; overlay in " : "", a.overlay ? a.overlay : "");
    frame_free(&f);
    frame_free(&shown);
    hands_close(t);
    hands_input_close(&in);
    thread_pool_destroy(pool);
    return st == SL_OK ? EXIT_OK : cli_fail(&err);
}

const command cmd_hands = {
    .name = "hands",
    .summary = "hand landmarks in a picture, video or camera: sightline hands pic.jpg",
    .help = "usage: sightline hands IMAGE|VIDEO|--camera [--json] [--overlay OUT.png]\n"
            "                       [--frames N] [--full]\n"
            "\n"
            "Finds hands with MediaPipe's hand models and prints the 21 landmarks of\n"
            "each: x and y in pixels of the picture, z the depth relative to the wrist\n"
            "in the same scale (smaller is nearer). In a video or from the camera the\n"
            "hands are tracked from frame to frame, and every frame is printed.\n"
            "\n"
            "Options:\n"
            "  --json           one JSON document: {source, frames: [{index, width, height,\n"
            "                   hands: [{handedness, presence, tracked, landmarks: 21 x\n"
            "                   [x, y, z], world: 21 x [x, y, z] in metres}]}], frames_with_hands}\n"
            "  --overlay FILE   draw the landmarks on the picture (on a video's last frame\n"
            "                   with a hand) and save it as PNG\n"
            "  --frames N       stop after N frames (the camera runs until Ctrl-C otherwise)\n"
            "  --full           the larger, slower models\n"
            "\n"
            "The models come from scripts/fetch-hand-models.sh (models/mediapipe, or the\n"
            "folder in $SIGHTLINE_HAND_MODELS).\n"
            "\n"
            "Examples:\n"
            "  sightline hands photo.jpg --overlay hands.png\n"
            "  sightline hands clip.mp4 --json > landmarks.json\n",
    .run = run_hands,
};
