#include "app/hands_input.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* About 20 minutes at 30 frames a second (508 bytes a frame). */
enum { RECORD_MAX_FRAMES = 36000 };

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

void hands_input_catch_interrupt(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

bool hands_input_interrupted(void)
{
    return interrupted != 0;
}

sl_status hands_input_open(const char *path, long max_frames, hands_input *in, sl_error *err)
{
    memset(in, 0, sizeof *in);
    in->max_frames = max_frames;
    if (!path) {
        in->label = "camera";
        in->camera = true;
        sl_status st = frame_source_open("camera", NULL, &in->src, err);
        if (st == SL_ERR_DEVICE && err) {
            char cause[sizeof err->msg];
            snprintf(cause, sizeof cause, "%s", err->msg);
            return sl_fail(err, SL_ERR_DEVICE, "no camera found: %s", cause);
        }
        return st;
    }
    in->label = path;
    /* frame_source_open reads a name it cannot find as a source spec (a usage
     * error); here it is a file the user named. */
    if (access(path, F_OK) != 0)
        return sl_fail(err, SL_ERR_IO, "%s: no such file", path);
    sl_status st = frame_source_open(path, NULL, &in->src, err);
    if (st != SL_OK)
        return st;
    /* A picture opens as a repeating "still:" source: read it once instead. */
    if (strncmp(frame_source_name(in->src), "still:", 6) == 0) {
        frame_source_close(in->src);
        in->src = NULL;
        in->still = true;
        return frame_load_image(path, &in->picture, err);
    }
    return SL_OK;
}

sl_status hands_input_next(hands_input *in, frame *f, bool *done, sl_error *err)
{
    *done = false;
    if (in->still) {
        if (in->delivered > 0) {
            *done = true;
            return SL_OK;
        }
        frame_free(f);
        *f = in->picture;
        in->picture = (frame){0};
        in->delivered++;
        return SL_OK;
    }
    if ((in->camera && hands_input_interrupted()) ||
        (in->max_frames > 0 && in->delivered >= in->max_frames)) {
        *done = true;
        return SL_OK;
    }
    sl_status st = frame_source_next(in->src, f, err);
    /* The end of a video is SL_ERR_LIMIT; a video without a single frame is
     * an error, as is anything before the first frame. */
    if (st == SL_ERR_LIMIT && !in->camera && in->delivered > 0) {
        *done = true;
        return SL_OK;
    }
    if (st == SL_OK)
        in->delivered++;
    return st;
}

void hands_input_close(hands_input *in)
{
    frame_source_close(in->src);
    frame_free(&in->picture);
    memset(in, 0, sizeof *in);
}

sl_status hands_pool_create(const app_context *app, thread_pool **pool, sl_error *err)
{
    *pool = NULL;
    int n = app->threads > 0 ? app->threads : thread_pool_default_threads();
    if (n <= 1)
        return SL_OK;
    return thread_pool_create(n, pool, err);
}

sl_status hands_record(const char *path, long max_frames, thread_pool *pool,
                       const app_context *app, const char *ready_note, hands_recording *out,
                       sl_error *err)
{
    memset(out, 0, sizeof *out);
    hands_input in;
    sl_status st = hands_input_open(path, max_frames, &in, err);
    if (st != SL_OK)
        return st;
    if (ready_note)
        cli_note(app, "%s", ready_note);
    hands_options opt = {.max_hands = 2, .track = !in.still};
    hands_tracker *t = NULL;
    st = hands_open(NULL, &opt, pool, &t, err);
    frame f = {0};
    int cap = 0;
    while (st == SL_OK) {
        bool done;
        st = hands_input_next(&in, &f, &done, err);
        if (st != SL_OK || done)
            break;
        if (out->n == RECORD_MAX_FRAMES) {
            st = sl_fail(err, SL_ERR_LIMIT, "%s: more than %d frames", in.label,
                         RECORD_MAX_FRAMES);
            break;
        }
        if (out->n == cap) {
            int grown_cap = cap ? 2 * cap : 256;
            sign_frame *grown = realloc(out->frames, (size_t)grown_cap * sizeof *grown);
            if (!grown) {
                st = sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", in.label);
                break;
            }
            out->frames = grown;
            cap = grown_cap;
        }
        hand h[HANDS_MAX];
        int k = 0;
        st = hands_process(t, &f, h, HANDS_MAX, &k, err);
        if (st != SL_OK)
            break;
        sign_frame_from_hands(h, k, &out->frames[out->n]);
        out->with_hands += out->frames[out->n].n_hands > 0;
        out->n++;
    }
    frame_free(&f);
    hands_close(t);
    hands_input_close(&in);
    if (st != SL_OK)
        hands_recording_free(out);
    return st;
}

void hands_recording_free(hands_recording *r)
{
    free(r->frames);
    memset(r, 0, sizeof *r);
}

sl_status hands_open_db(const app_context *app, sl_db **db, sl_error *err)
{
    if (app->db_path)
        return db_open(app->db_path, db, err);
    char *path = NULL;
    sl_status st = db_default_path(&path, err);
    if (st == SL_OK)
        st = db_open(path, db, err);
    free(path);
    return st;
}

typedef struct load_ctx {
    sl_db *db;
    sign_classifier *c;
    int counts[2];
    sl_status st;
    sl_error *err;
} load_ctx;

static int load_one(void *ctx, const sign_example *e)
{
    load_ctx *l = ctx;
    sign_frame *frames = NULL;
    int n = 0;
    sl_error inner = {0};
    l->st = signs_frames_from_blob(e->blob, e->blob_size, &frames, &n, &inner);
    if (l->st != SL_OK) {
        l->st = sl_fail(l->err, SL_ERR_DB, "%s: taught %s '%s' (id %lld): %s", db_path(l->db),
                        sign_example_kind_name(e->kind), e->name, (long long)e->id, inner.msg);
        return 1;
    }
    sign_sequence seq;
    l->st = signs_sequence(frames, n, &seq, l->err);
    free(frames);
    if (l->st != SL_OK)
        return 1;
    sign_kind kind = e->kind == SIGN_EXAMPLE_LETTER ? SIGN_KIND_LETTER : SIGN_KIND_SIGN;
    l->st = sign_classifier_add(l->c, e->name, kind, &seq, l->err);
    signs_sequence_free(&seq);
    if (l->st != SL_OK)
        return 1;
    l->counts[kind]++;
    return 0;
}

sl_status hands_load_classifier(sl_db *db, sign_classifier **out, int *n_signs, int *n_letters,
                                sl_error *err)
{
    *out = NULL;
    sign_classifier *c = NULL;
    sl_status st = sign_classifier_create(NULL, &c, err);
    if (st != SL_OK)
        return st;
    load_ctx l = {.db = db, .c = c, .err = err};
    st = sign_examples_each(db, -1, load_one, &l, err);
    if (st == SL_OK)
        st = l.st;
    if (st != SL_OK) {
        sign_classifier_free(c);
        return st;
    }
    if (n_signs)
        *n_signs = l.counts[SIGN_KIND_SIGN];
    if (n_letters)
        *n_letters = l.counts[SIGN_KIND_LETTER];
    *out = c;
    return SL_OK;
}
