/* sightline teach: record examples of a sign or a fingerspelled letter, or
 * pictures of an object or a person, and keep them in the database; list
 * and forget them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/app_input.h"
#include "app/app_models.h"
#include "app/commands.h"
#include "app/hands_input.h"
#include "app/objects_seen.h"

/* Camera recordings: this long unless --seconds says otherwise. */
enum { CAMERA_FPS_ASSUMED = 30, CAMERA_SECONDS_DEFAULT = 5 };
/* The longest example signs_frames_to_blob stores (SIGN_MAX_FRAMES in
 * vision/signs_internal.h): over two minutes at 30 frames a second. */
enum { EXAMPLE_MAX_FRAMES = 4096 };

/* The part of a recording that is the example: for a sign the longest run
 * of frames with hands (signs_segment's motion), for a letter the longest
 * hold, else every frame with a hand. */
static sl_status pick_example(const hands_recording *r, sign_example_kind kind,
                              const char *label, sign_frame **out, int *n, sl_error *err)
{
    *out = NULL;
    *n = 0;
    if (r->with_hands == 0)
        return sl_fail(err, SL_ERR_FORMAT, "%s: no hand found in %d frame%s", label, r->n,
                       r->n == 1 ? "" : "s");
    int best_start = 0, best_len = 0;
    if (r->n > 1) {
        int max = r->n;
        sign_segment *seg = malloc((size_t)max * sizeof *seg);
        if (!seg)
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", label);
        int count = signs_segment(r->frames, r->n, NULL, seg, max);
        sign_segment_kind want =
            kind == SIGN_EXAMPLE_SIGN ? SIGN_SEGMENT_MOTION : SIGN_SEGMENT_HOLD;
        for (int i = 0; i < count; i++)
            if (seg[i].kind == want && seg[i].end - seg[i].start > best_len) {
                best_start = seg[i].start;
                best_len = seg[i].end - seg[i].start;
            }
        free(seg);
    }
    if (best_len > EXAMPLE_MAX_FRAMES)
        return sl_fail(err, SL_ERR_LIMIT, "%s: the %s lasts %d frames, more than %d (a sign"
                       " takes seconds)", label, sign_example_kind_name(kind), best_len,
                       EXAMPLE_MAX_FRAMES);
    if (best_len == 0 && kind == SIGN_EXAMPLE_SIGN)
        return sl_fail(err, SL_ERR_FORMAT, "%s: no sign seen: hands in %d of %d frames, not"
                       " long enough for a sign", label, r->with_hands, r->n);
    /* A letter without a hold: its frames with a hand (the mean handshape
     * is what counts, so the first EXAMPLE_MAX_FRAMES are plenty). */
    int fallback = r->with_hands < EXAMPLE_MAX_FRAMES ? r->with_hands : EXAMPLE_MAX_FRAMES;
    sign_frame *f = malloc((size_t)(best_len ? best_len : fallback) * sizeof *f);
    if (!f)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", label);
    if (best_len) {
        memcpy(f, r->frames + best_start, (size_t)best_len * sizeof *f);
        *n = best_len;
    } else {
        for (int i = 0; i < r->n && *n < fallback; i++)
            if (r->frames[i].n_hands > 0)
                f[(*n)++] = r->frames[i];
    }
    *out = f;
    return SL_OK;
}

typedef struct taught {
    unsigned char *blob;
    size_t size;
    int frames;
} taught;

static int run_list(app_context *app)
{
    sl_error err = {0};
    sl_db *db = NULL;
    sign_examples list = {0};
    taught_objects objects = {0};
    sl_status st = hands_open_db(app, &db, &err);
    if (st == SL_OK)
        st = sign_examples_list(db, -1, &list, &err);
    if (st == SL_OK)
        st = taught_objects_list(db, -1, NULL, &objects, &err);
    if (st == SL_OK && list.count == 0 && objects.count == 0)
        cli_note(app, "nothing taught yet (sightline teach sign NAME VIDEO..., "
                      "sightline teach object NAME PICTURE...)");
    for (size_t i = 0; st == SL_OK && i < list.count; i++) {
        const sign_example *e = &list.items[i];
        sign_frame *frames = NULL;
        int n = 0;
        /* A recording that does not read back is listed, marked, so it can be
         * forgotten. */
        sl_status ok = signs_frames_from_blob(e->blob, e->blob_size, &frames, &n, NULL);
        free(frames);
        if (ok == SL_OK)
            printf("%lld\t%s\t%s\t%d frames\n", (long long)e->id,
                   sign_example_kind_name(e->kind), e->name, n);
        else
            printf("%lld\t%s\t%s\tunreadable\n", (long long)e->id,
                   sign_example_kind_name(e->kind), e->name);
    }
    /* One line per stored descriptor: a picture taught with a VLM
     * installed has two (the classic one and the VLM's). */
    for (size_t i = 0; st == SL_OK && i < objects.count; i++) {
        const taught_object *o = &objects.items[i];
        printf("%lld\t%s\t%s\t%s\n", (long long)o->id, taught_kind_name(o->kind), o->name,
               o->method);
    }
    taught_objects_free(&objects);
    sign_examples_free(&list);
    db_close(db);
    return st == SL_OK ? EXIT_OK : cli_fail(&err);
}

static int run_forget(app_context *app, sign_example_kind kind, const char *name)
{
    sl_error err = {0};
    sl_db *db = NULL;
    int64_t deleted = 0;
    sl_status st = hands_open_db(app, &db, &err);
    if (st == SL_OK)
        st = sign_examples_delete_name(db, kind, name, &deleted, &err);
    if (st == SL_OK)
        st = db_checkpoint(db, &err);
    db_close(db);
    if (st != SL_OK)
        return cli_fail(&err);
    if (deleted == 0) {
        fprintf(stderr, "sightline teach: no %s named '%s' was taught\n",
                sign_example_kind_name(kind), name);
        return EXIT_USAGE;
    }
    printf("forgot %s '%s' (%lld example%s)\n", sign_example_kind_name(kind), name,
           (long long)deleted, deleted == 1 ? "" : "s");
    return EXIT_OK;
}

/* Forgets a taught object or person (kind < 0: a name of any kind, signs
 * and letters included). */
static int run_forget_object(app_context *app, int kind, const char *name)
{
    sl_error err = {0};
    sl_db *db = NULL;
    int64_t deleted = 0, signs = 0, letters = 0;
    sl_status st = hands_open_db(app, &db, &err);
    if (st == SL_OK)
        st = taught_objects_delete_name(db, kind, name, &deleted, &err);
    if (st == SL_OK && kind < 0)
        st = sign_examples_delete_name(db, SIGN_EXAMPLE_SIGN, name, &signs, &err);
    if (st == SL_OK && kind < 0)
        st = sign_examples_delete_name(db, SIGN_EXAMPLE_LETTER, name, &letters, &err);
    if (st == SL_OK)
        st = db_checkpoint(db, &err);
    db_close(db);
    if (st != SL_OK)
        return cli_fail(&err);
    const char *what = kind < 0 ? "anything" : taught_kind_name((taught_kind)kind);
    if (deleted + signs + letters == 0) {
        fprintf(stderr, "sightline teach: no %s named '%s' was taught\n",
                kind < 0 ? "thing" : what, name);
        return EXIT_USAGE;
    }
    if (deleted)
        printf("forgot %s '%s' (%lld descriptor%s)\n", kind < 0 ? "object or person" : what,
               name, (long long)deleted, deleted == 1 ? "" : "s");
    if (signs + letters)
        printf("forgot sign or letter '%s' (%lld example%s)\n", name,
               (long long)(signs + letters), signs + letters == 1 ? "" : "s");
    return EXIT_OK;
}

static bool parse_object_kind(const char *s, taught_kind *kind)
{
    if (strcmp(s, "object") == 0)
        *kind = TAUGHT_OBJECT;
    else if (strcmp(s, "person") == 0)
        *kind = TAUGHT_PERSON;
    else
        return false;
    return true;
}

/* teach object|person NAME PICTURE...|--camera [--device DEV] [--mmproj F] */
static int run_teach_object(app_context *app, taught_kind kind, int argc, char **argv)
{
    if (argc < 3)
        return cli_usage_error(&cmd_teach, "the %s needs a name", argv[1]);
    const char *name = argv[2];
    bool camera = false;
    const char *device = NULL, *mmproj_flag = NULL;
    int n_paths = 0;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    if (!paths)
        return EXIT_FAILURE_OTHER;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--camera") == 0) {
            camera = true;
        } else if (strcmp(argv[i], "--device") == 0 || strcmp(argv[i], "--mmproj") == 0) {
            if (i + 1 >= argc) {
                free(paths);
                return cli_usage_error(&cmd_teach, "%s needs a value", argv[i]);
            }
            if (argv[i][2] == 'd') {
                device = argv[++i];
                camera = true;
            } else {
                mmproj_flag = argv[++i];
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(paths);
            return cli_usage_error(&cmd_teach, "unknown option '%s'", argv[i]);
        } else {
            paths[n_paths++] = argv[i];
        }
    }
    if (camera == (n_paths > 0)) {
        free(paths);
        return cli_usage_error(&cmd_teach, camera ? "give pictures or --camera, not both"
                                                  : "which pictures? (or --camera)");
    }
    sl_error err = {0};
    if (taught_check_name(name, &err) != SL_OK) {
        free(paths);
        return cli_usage_error(&cmd_teach, "%s", err.msg);
    }

    /* With a VLM's projector installed, its embedding is stored too. */
    char *mmproj = NULL;
    app_find_model(MODEL_VLM_MMPROJ, mmproj_flag, &mmproj);
    clip_model *clip = NULL;
    clip_encoder *enc = NULL;
    thread_pool *pool = NULL;
    sl_status st = SL_OK;
    if (mmproj) {
        st = clip_model_load(mmproj, &clip, &err);
        if (st == SL_OK)
            st = thread_pool_create(app->threads, &pool, &err);
        if (st == SL_OK)
            st = clip_encoder_create(clip, pool, &enc, &err);
    }
    int n_inputs = camera ? 1 : n_paths;
    object_descriptors *d = calloc((size_t)n_inputs, sizeof *d);
    if (!d && st == SL_OK)
        st = sl_fail(&err, SL_ERR_NOMEM, "out of memory");
    int rc = EXIT_OK;
    for (int i = 0; st == SL_OK && rc == EXIT_OK && i < n_inputs; i++) {
        frame pic = {0};
        const char *label = camera ? (device ? device : "camera") : paths[i];
        if (camera)
            rc = app_grab_picture(app, NULL, device, &pic);
        else if (frame_load_image(paths[i], &pic, &err) != SL_OK)
            st = err.code;
        if (st != SL_OK || rc != EXIT_OK)
            break;
        st = objects_describe_picture(&pic, clip, enc, &d[i], &err);
        frame_free(&pic);
        bool empty = true;
        for (int k = 0; st == SL_OK && k < OBJECT_CLASSIC_DIM; k++)
            empty &= d[i].classic[k] == 0;
        if (st == SL_OK && empty)
            st = sl_fail(&err, SL_ERR_FORMAT, "%s: nothing stands out from the background "
                         "(hold the %s in the middle, against a plain background)", label,
                         taught_kind_name(kind));
    }
    clip_encoder_free(enc);
    clip_model_free(clip);
    thread_pool_destroy(pool);

    /* All pictures or none. */
    sl_db *db = NULL;
    int64_t total = 0;
    if (st == SL_OK && rc == EXIT_OK)
        st = hands_open_db(app, &db, &err);
    if (db && st == SL_OK)
        st = db_begin(db, &err);
    if (db && st == SL_OK) {
        int64_t now = db_now_ms();
        for (int i = 0; st == SL_OK && i < n_inputs; i++) {
            taught_object o = {.name = name, .kind = kind, .created_ms = now,
                               .method = OBJECT_CLASSIC_METHOD, .vector = d[i].classic,
                               .dim = OBJECT_CLASSIC_DIM};
            st = taught_objects_add(db, &o, NULL, &err);
            if (st == SL_OK && d[i].clip) {
                o.method = d[i].clip_method;
                o.vector = d[i].clip;
                o.dim = d[i].clip_dim;
                st = taught_objects_add(db, &o, NULL, &err);
            }
        }
        if (st == SL_OK)
            st = db_commit(db, &err);
        else
            db_rollback(db);
    }
    if (db && st == SL_OK) {
        taught_objects list;
        st = taught_objects_list(db, kind, OBJECT_CLASSIC_METHOD, &list, &err);
        for (size_t i = 0; st == SL_OK && i < list.count; i++)
            total += strcmp(list.items[i].name, name) == 0;
        if (st == SL_OK)
            taught_objects_free(&list);
    }
    if (db && st == SL_OK)
        printf("taught %s '%s': %d new picture%s (%s%s%s), %lld in all\n",
               taught_kind_name(kind), name, n_inputs, n_inputs == 1 ? "" : "s",
               OBJECT_CLASSIC_METHOD, d && d[0].clip ? " and " : "",
               d && d[0].clip ? d[0].clip_method : "", (long long)total);
    db_close(db);
    for (int i = 0; d && i < n_inputs; i++)
        object_descriptors_free(&d[i]);
    free(d);
    free(mmproj);
    free(paths);
    if (rc != EXIT_OK)
        return rc;
    return st == SL_OK ? EXIT_OK : cli_fail(&err);
}

static bool parse_kind(const char *s, sign_example_kind *kind)
{
    if (strcmp(s, "sign") == 0)
        *kind = SIGN_EXAMPLE_SIGN;
    else if (strcmp(s, "letter") == 0)
        *kind = SIGN_EXAMPLE_LETTER;
    else
        return false;
    return true;
}

static int run_teach(app_context *app, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        if (argc > 2)
            return cli_usage_error(&cmd_teach, "list takes no arguments");
        return run_list(app);
    }
    sign_example_kind kind;
    taught_kind object_kind;
    if (argc >= 2 && strcmp(argv[1], "forget") == 0) {
        if (argc == 3)
            return run_forget_object(app, -1, argv[2]);
        if (argc == 4 && parse_object_kind(argv[2], &object_kind))
            return run_forget_object(app, (int)object_kind, argv[3]);
        if (argc != 4 || !parse_kind(argv[2], &kind))
            return cli_usage_error(&cmd_teach,
                                   "forget wants NAME, or sign|letter|object|person NAME");
        return run_forget(app, kind, argv[3]);
    }
    if (argc >= 2 && parse_object_kind(argv[1], &object_kind))
        return run_teach_object(app, object_kind, argc, argv);
    if (argc < 2 || !parse_kind(argv[1], &kind))
        return cli_usage_error(&cmd_teach, "teach what? sign NAME, letter L, object NAME, "
                                           "person NAME, list or forget");
    if (argc < 3)
        return cli_usage_error(&cmd_teach, "the %s needs a name", argv[1]);
    const char *name = argv[2];
    bool camera = false;
    long seconds = CAMERA_SECONDS_DEFAULT;
    int n_paths = 0;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    if (!paths)
        return EXIT_FAILURE_OTHER;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--camera") == 0) {
            camera = true;
        } else if (strcmp(argv[i], "--seconds") == 0) {
            if (i + 1 >= argc || !cli_parse_int(argv[i + 1], 1, 600, &seconds)) {
                free(paths);
                return cli_usage_error(&cmd_teach, "--seconds wants a number from 1 to 600");
            }
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(paths);
            return cli_usage_error(&cmd_teach, "unknown option '%s'", argv[i]);
        } else {
            paths[n_paths++] = argv[i];
        }
    }
    if (camera == (n_paths > 0)) {
        free(paths);
        return cli_usage_error(&cmd_teach, camera ? "give files or --camera, not both"
                                                  : "which videos? (or --camera)");
    }
    /* Check the name before any model runs. */
    sl_error err = {0};
    if (sign_example_check_name(name, kind, &err) != SL_OK) {
        free(paths);
        return cli_usage_error(&cmd_teach, "%s", err.msg);
    }

    int n_inputs = camera ? 1 : n_paths;
    taught *ex = calloc((size_t)n_inputs, sizeof *ex);
    thread_pool *pool = NULL;
    sl_status st = ex ? hands_pool_create(app, &pool, &err)
                      : sl_fail(&err, SL_ERR_NOMEM, "out of memory");
    if (camera && st == SL_OK)
        hands_input_catch_interrupt();
    for (int i = 0; st == SL_OK && i < n_inputs; i++) {
        const char *path = camera ? NULL : paths[i];
        const char *label = camera ? "camera" : path;
        char note[128];
        snprintf(note, sizeof note, "recording %ld seconds from the camera: sign now", seconds);
        hands_recording r;
        st = hands_record(path, camera ? seconds * CAMERA_FPS_ASSUMED : 0, pool, app,
                          camera ? note : NULL, &r, &err);
        sign_frame *frames = NULL;
        int n = 0;
        if (st == SL_OK)
            st = pick_example(&r, kind, label, &frames, &n, &err);
        if (st == SL_OK)
            st = signs_frames_to_blob(frames, n, &ex[i].blob, &ex[i].size, &err);
        ex[i].frames = n;
        free(frames);
        if (st == SL_OK)
            cli_note(app, "%s: hands in %d of %d frames, example of %d frames", label,
                     r.with_hands, r.n, n);
        hands_recording_free(&r);
    }
    thread_pool_destroy(pool);

    /* All examples or none. */
    sl_db *db = NULL;
    int64_t total = 0;
    if (st == SL_OK)
        st = hands_open_db(app, &db, &err);
    if (st == SL_OK)
        st = db_begin(db, &err);
    if (st == SL_OK) {
        int64_t now = db_now_ms();
        for (int i = 0; st == SL_OK && i < n_inputs; i++) {
            sign_example e = {.name = name, .kind = kind, .created_ms = now,
                              .blob = ex[i].blob, .blob_size = ex[i].size};
            st = sign_examples_add(db, &e, NULL, &err);
        }
        if (st == SL_OK)
            st = db_commit(db, &err);
        else
            db_rollback(db);
    }
    if (st == SL_OK) {
        sign_examples list;
        st = sign_examples_list(db, kind, &list, &err);
        for (size_t i = 0; st == SL_OK && i < list.count; i++)
            total += strcmp(list.items[i].name, name) == 0;
        if (st == SL_OK)
            sign_examples_free(&list);
    }
    if (st == SL_OK)
        printf("taught %s '%s': %d new example%s, %lld in all\n", sign_example_kind_name(kind),
               name, n_inputs, n_inputs == 1 ? "" : "s", (long long)total);
    db_close(db);
    for (int i = 0; ex && i < n_inputs; i++)
        free(ex[i].blob);
    free(ex);
    free(paths);
    return st == SL_OK ? EXIT_OK : cli_fail(&err);
}

const command cmd_teach = {
    .name = "teach",
    .summary = "teach a sign, a letter, an object or a person: sightline teach object mug a.jpg",
    .help = "usage: sightline teach sign NAME VIDEO...|--camera [--seconds N]\n"
            "       sightline teach letter L VIDEO|IMAGE...|--camera [--seconds N]\n"
            "       sightline teach object|person NAME PICTURE...|--camera [--device DEV]\n"
            "                                [--mmproj MMPROJ]\n"
            "       sightline teach list\n"
            "       sightline teach forget [sign|letter|object|person] NAME\n"
            "\n"
            "Records how you make a sign, or the handshape of a fingerspelled letter, and\n"
            "keeps it in the database so that 'sightline sign' recognises it. Each video\n"
            "(or picture, for a letter) is one example; three or more examples per sign\n"
            "make recognition reliable. A sign's example is the stretch of the video where\n"
            "hands are seen; a letter's is where the hand is held still.\n"
            "\n"
            "An object or a person is taught from pictures of it: two or three\n"
            "close-ups, from different sides, where it fills most of the picture.\n"
            "describe and ask then say when it is in view and where (left, centre,\n"
            "right). Each picture is kept as a descriptor (colours, outline, texture)\n"
            "and, when a vision-language model is installed, as its image embedding.\n"
            "\n"
            "  --camera       record from the camera instead of files\n"
            "  --device DEV   the camera (default /dev/video0); implies --camera\n"
            "  --mmproj F     the VLM's projector to embed pictures with (default: the\n"
            "                 installed one, if any)\n"
            "  --seconds N    how long the camera records (default 5)\n"
            "  list           everything taught: id, kind, name, frames or method\n"
            "  forget         delete everything taught under NAME (of one kind if given)\n"
            "\n"
            "Examples:\n"
            "  sightline teach sign hello hello1.mp4 hello2.mp4 hello3.mp4\n"
            "  sightline teach letter A a.jpg\n"
            "  sightline teach object mug mug1.jpg mug2.jpg mug3.jpg\n"
            "  sightline teach person Max --camera\n",
    .run = run_teach,
};
