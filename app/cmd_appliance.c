/* `sightline appliance`: the live loop. The screen thread (this one) draws
 * and handles keys; a capture thread pulls camera frames; model work runs on
 * the appliance worker, where a newer request cancels an older one. */
#include <SDL.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>

#include "app/app_db.h"
#include "app/app_models.h"
#include "app/appliance_core.h"
#include "app/appliance_jobs.h"
#include "app/appliance_mic.h"
#include "app/appliance_modes.h"
#include "app/appliance_screen.h"
#include "app/commands.h"
#include "app/describe_basic.h"
#include "app/hands_input.h"
#include "app/meeting_capture.h"
#include "app/vlm_run.h"
#include "speech/speech.h"
#include "storage/storage.h"
#include "vision/vision.h"

#define APPLIANCE_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#define SCRIPT_WAIT_MS 120000

typedef struct options {
    const char *source;
    const char *audio_sink;
    const char *script;
    const char *screenshot;
    const char *mic_file;
    bool no_mic;
    int width, height;
    long video_fps; /* a video: source plays at this rate, as a camera would */
} options;

/* ---- capture thread: keeps the newest frame ---- */

typedef struct capture {
    frame_source *src;
    long pace_ns; /* > 0: at most one frame per pace_ns (video files) */
    pthread_t thread;
    pthread_mutex_t mu;
    frame latest;
    long serial;
    atomic_bool stop;
    sl_status status;
    sl_error err;
} capture;

static void *capture_main(void *p)
{
    capture *c = p;
    frame f = {0};
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&c->stop)) {
        if (c->pace_ns > 0) {
            /* A video file decodes as fast as it can: play it as a camera. */
            next.tv_nsec += c->pace_ns;
            while (next.tv_nsec >= 1000000000L) {
                next.tv_nsec -= 1000000000L;
                next.tv_sec++;
            }
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
        sl_error err = {0};
        sl_status st = frame_source_next(c->src, &f, &err);
        pthread_mutex_lock(&c->mu);
        if (st != SL_OK) {
            c->status = st;
            c->err = err;
            pthread_mutex_unlock(&c->mu);
            break;
        }
        /* Swap, so the screen's copy and ours never share pixels. */
        frame t = c->latest;
        c->latest = f;
        f = t;
        c->serial++;
        pthread_mutex_unlock(&c->mu);
    }
    frame_free(&f);
    return NULL;
}

/* Copies the newest frame into *out (reusing its pixels); false if none. */
static bool capture_copy(capture *c, frame *out, long *serial)
{
    bool ok = false;
    pthread_mutex_lock(&c->mu);
    if (c->latest.pixels && c->serial != *serial) {
        if (out->width != c->latest.width || out->height != c->latest.height) {
            frame_free(out);
            if (frame_alloc(out, c->latest.width, c->latest.height, NULL) != SL_OK)
                goto done;
        }
        for (int y = 0; y < out->height; y++)
            memcpy(out->pixels + (size_t)y * out->stride,
                   c->latest.pixels + (size_t)y * c->latest.stride, (size_t)out->width * 3);
        *serial = c->serial;
        ok = true;
    }
done:
    pthread_mutex_unlock(&c->mu);
    return ok;
}

/* ---- inbox: what the meeting and sign threads have for the screen ---- */

typedef enum inbox_kind {
    INBOX_MEETING_STARTED, /* id: the stored meeting */
    INBOX_MEETING_SEGMENT, /* text: a recognised segment */
    INBOX_MEETING_ENDED,   /* text: what to say; the thread has finished */
    INBOX_SIGN,            /* text: signs and words recognised */
    INBOX_SIGN_ENDED,      /* text: an error to say, or NULL; the thread has finished */
} inbox_kind;

typedef struct inbox_item {
    struct inbox_item *next;
    inbox_kind kind;
    int64_t id;
    char *text;
} inbox_item;

typedef struct inbox {
    pthread_mutex_t mu;
    inbox_item *head, *tail;
} inbox;

static void inbox_post(inbox *b, inbox_kind kind, int64_t id, const char *text)
{
    inbox_item *it = calloc(1, sizeof *it);
    if (!it)
        return;
    it->kind = kind;
    it->id = id;
    it->text = text ? strdup(text) : NULL;
    pthread_mutex_lock(&b->mu);
    if (b->tail)
        b->tail->next = it;
    else
        b->head = it;
    b->tail = it;
    pthread_mutex_unlock(&b->mu);
}

/* The oldest item, or NULL; the caller frees it with inbox_item_free. */
static inbox_item *inbox_take(inbox *b)
{
    pthread_mutex_lock(&b->mu);
    inbox_item *it = b->head;
    if (it) {
        b->head = it->next;
        if (!b->head)
            b->tail = NULL;
    }
    pthread_mutex_unlock(&b->mu);
    return it;
}

static void inbox_item_free(inbox_item *it)
{
    if (it)
        free(it->text);
    free(it);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- meeting thread: the microphone's audio in pieces through
 * meeting_capture (VAD, Whisper, one commit per segment) ---- */

#define MEETING_PIECE_SECONDS 5

typedef struct meeting_run {
    const app_context *app;
    appliance_mic *mic;
    const char *whisper_path;
    inbox *box;
    pthread_t thread;
    bool live; /* started and not yet joined */
    atomic_bool stop;
} meeting_run;

static void meeting_on_segment(void *ctx, int64_t t0_ms, int64_t t1_ms, const char *text)
{
    meeting_run *r = ctx;
    (void)t1_ms;
    char line[1200];
    snprintf(line, sizeof line, "[%02" PRId64 ":%02" PRId64 "] %s", t0_ms / 60000,
             t0_ms / 1000 % 60, text);
    inbox_post(r->box, INBOX_MEETING_SEGMENT, 0, line);
}

static void *meeting_main(void *p)
{
    meeting_run *r = p;
    sl_error err = {0};
    char *vad_path = NULL;
    char done[256];
    meeting_capture c = {.on_segment = meeting_on_segment, .ctx = r};
    app_find_model(MODEL_VAD, NULL, &vad_path);
    sl_status st = whisper_model_load(r->whisper_path, &c.model, &err);
    if (st == SL_OK && !c.model->has_weights)
        st = sl_fail(&err, SL_ERR_MODEL, "%s: holds a vocabulary but no weights",
                     r->whisper_path);
    if (st == SL_OK && vad_path)
        st = vad_model_load(vad_path, &c.vad, &err);
    if (st == SL_OK)
        st = hands_pool_create(r->app, &c.pool, &err);
    if (st == SL_OK && app_db_open(r->app, &c.db) != EXIT_OK)
        st = sl_fail(&err, SL_ERR_DB, "the meeting cannot be stored: the database does not open");
    if (st == SL_OK)
        st = meeting_create(c.db, "appliance meeting", 0, &c.meeting, &err);
    if (st == SL_OK) {
        c.params = whisper_default_params(WHISPER_STRATEGY_GREEDY);
        c.params.language = "en";
        c.params.reference_threads = thread_pool_threads(c.pool) > 1 ? 2 : 1;
        inbox_post(r->box, INBOX_MEETING_STARTED, c.meeting, NULL);
        pcm_f32 piece = {0};
        int64_t offset_ms = 0;
        for (;;) {
            bool stopping = atomic_load(&r->stop);
            if (appliance_mic_take(r->mic, &piece, &err) != SL_OK)
                break;
            if (!stopping && piece.count < (size_t)SPEECH_RATE * MEETING_PIECE_SECONDS) {
                sleep_ms(100);
                continue;
            }
            if (piece.count) {
                st = meeting_capture_audio(&c, piece.samples, piece.count, offset_ms, &err);
                offset_ms += (int64_t)(piece.count * 1000 / SPEECH_RATE);
                piece.count = 0;
                if (st != SL_OK)
                    break;
            }
            if (stopping)
                break;
        }
        pcm_f32_free(&piece);
        sl_error end_err = {0};
        sl_status end_st = meeting_end(c.db, c.meeting, 0, &end_err);
        if (st == SL_OK && end_st != SL_OK) {
            st = end_st;
            err = end_err;
        }
    }
    if (st == SL_OK)
        snprintf(done, sizeof done, "Meeting %" PRId64 " ended: %" PRId64 " segment%s stored.",
                 c.meeting, c.segments, c.segments == 1 ? "" : "s");
    else
        snprintf(done, sizeof done, "The meeting stopped: %s", err.msg);
    inbox_post(r->box, INBOX_MEETING_ENDED, c.meeting, done);
    db_close(c.db);
    thread_pool_destroy(c.pool);
    vad_model_free(c.vad);
    whisper_model_free(c.model);
    free(vad_path);
    return NULL;
}

/* ---- sign thread: the newest preview frames through the hand landmarks;
 * after a pause without hands, the stretch is read as signs and letters ---- */

#define SIGN_BUFFER_FRAMES 900 /* 30 s at 30 frames a second */
#define SIGN_PAUSE_FRAMES 8
#define SIGN_MIN_HAND_FRAMES 6
#define SIGN_IDLE_FLUSH_MS 500

typedef struct sign_run {
    capture *cap;
    hands_tracker *tracker;
    sign_classifier *classifier;
    int n_signs, n_letters;
    inbox *box;
    pthread_t thread;
    bool live;
    atomic_bool stop;
    atomic_long frames; /* processed, for the benchmark of what the loop sustains */
} sign_run;

static sl_status classify_frames(const sign_classifier *c, sign_kind kind,
                                 const sign_frame *frames, int n, sign_result *out,
                                 sl_error *err)
{
    sign_sequence seq;
    sl_status st = signs_sequence(frames, n, &seq, err);
    if (st != SL_OK)
        return st;
    st = sign_classify(c, kind, &seq, out, err);
    signs_sequence_free(&seq);
    return st;
}

/* Known signs as words; held letters joined into words (a pause ends a
 * word); unknown stretches left out. "" when nothing was known. */
static sl_status sign_text(const sign_run *r, const sign_frame *frames, int n, char *out,
                           size_t size, sl_error *err)
{
    out[0] = '\0';
    sign_segment *seg = malloc((size_t)n * sizeof *seg);
    if (!seg)
        return sl_fail(err, SL_ERR_NOMEM, "sign mode: out of memory");
    int count = signs_segment(frames, n, NULL, seg, n);
    size_t len = 0;
    bool in_word = false;
    sl_status st = SL_OK;
    int skip_until = -1; /* holds inside a recognised sign's motion */
    for (int i = 0; st == SL_OK && i < count; i++) {
        const sign_segment *s = &seg[i];
        sign_result res;
        const char *piece = NULL;
        bool letter = false;
        if (s->kind == SIGN_SEGMENT_MOTION && r->n_signs > 0) {
            st = classify_frames(r->classifier, SIGN_KIND_SIGN, frames + s->start,
                                 s->end - s->start, &res, err);
            if (st == SL_OK && !res.unknown) {
                piece = res.name;
                skip_until = s->end;
            }
        } else if (s->kind == SIGN_SEGMENT_HOLD && r->n_letters > 0 && s->end > skip_until) {
            st = classify_frames(r->classifier, SIGN_KIND_LETTER, frames + s->start,
                                 s->end - s->start, &res, err);
            if (st == SL_OK && !res.unknown) {
                piece = res.name;
                letter = true;
            }
        }
        if (piece) {
            const char *sep = len && !(letter && in_word) ? " " : "";
            int w = snprintf(out + len, size - len, "%s%s", sep, piece);
            if (w > 0 && (size_t)w < size - len)
                len += (size_t)w;
            in_word = letter;
        }
        if (s->word_end)
            in_word = false;
    }
    free(seg);
    return st;
}

static void *sign_main(void *p)
{
    sign_run *r = p;
    sl_error err = {0};
    sl_status st = SL_OK;
    frame f = {0};
    long serial = 0;
    sign_frame *buf = malloc(SIGN_BUFFER_FRAMES * sizeof *buf);
    int n = 0, with_hands = 0, gap = 0, idle_ms = 0;
    if (!buf)
        st = sl_fail(&err, SL_ERR_NOMEM, "sign mode: out of memory");
    while (st == SL_OK && !atomic_load(&r->stop)) {
        if (!capture_copy(r->cap, &f, &serial)) {
            sleep_ms(5);
            /* No new picture for a while (the video ended): a pause too. */
            if ((idle_ms += 5) >= SIGN_IDLE_FLUSH_MS && n > 0) {
                gap = SIGN_PAUSE_FRAMES;
                goto flush;
            }
            continue;
        }
        idle_ms = 0;
        hand h[HANDS_MAX];
        int k = 0;
        st = hands_process(r->tracker, &f, h, HANDS_MAX, &k, &err);
        if (st != SL_OK)
            break;
        atomic_fetch_add(&r->frames, 1);
        if (n == 0 && k == 0)
            continue;
        sign_frame_from_hands(h, k, &buf[n++]);
        with_hands += k > 0;
        gap = k > 0 ? 0 : gap + 1;
    flush:
        if (gap >= SIGN_PAUSE_FRAMES || n == SIGN_BUFFER_FRAMES) {
            if (with_hands >= SIGN_MIN_HAND_FRAMES) {
                char text[1024];
                st = sign_text(r, buf, n, text, sizeof text, &err);
                if (st == SL_OK && text[0])
                    inbox_post(r->box, INBOX_SIGN, 0, text);
            }
            n = with_hands = gap = 0;
        }
    }
    free(buf);
    frame_free(&f);
    inbox_post(r->box, INBOX_SIGN_ENDED, 0, st == SL_OK ? NULL : err.msg);
    return NULL;
}

/* ---- speech ---- */

typedef struct speaker {
    tts_options voice;
    const char *sink; /* folder for WAVs, or NULL for the device */
    char *fallback_sink;
    int count;
    const app_context *app;
} speaker;

static void speaker_file_name(const char *what, char *out, size_t n, const char *dir, int index)
{
    char tag[24];
    size_t k = 0;
    for (const char *c = what; *c && k + 1 < sizeof tag; c++)
        tag[k++] = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ? *c : '-';
    tag[k] = '\0';
    snprintf(out, n, "%s/%04d-%s.wav", dir, index, tag);
}

/* Says text; `what` names the utterance in a sink file name. Errors are
 * noted, not fatal: the answer is on screen anyway. */
static void speak(speaker *sp, const char *what, const char *text)
{
    pcm_s16 pcm = {0};
    sl_error err = {0};
    if (tts_synthesize(text, &sp->voice, &pcm, &err) != SL_OK) {
        cli_note(sp->app, "cannot speak: %s", err.msg);
        return;
    }
    const char *dir = sp->sink;
    if (!dir && audio_play(&pcm, &err) != SL_OK) {
        if (!sp->fallback_sink) {
            const char *tmp = getenv("TMPDIR");
            char path[512];
            snprintf(path, sizeof path, "%s/sightline-appliance-XXXXXX", tmp ? tmp : "/tmp");
            if (mkdtemp(path))
                sp->fallback_sink = strdup(path);
            cli_note(sp->app, "%s; writing speech to %s", err.msg,
                     sp->fallback_sink ? sp->fallback_sink : "(nowhere)");
        }
        dir = sp->fallback_sink;
    }
    if (dir) {
        char path[1024];
        speaker_file_name(what, path, sizeof path, dir, ++sp->count);
        if (wav_write(path, &pcm, &err) != SL_OK)
            cli_note(sp->app, "%s", err.msg);
    }
    pcm_s16_free(&pcm);
}

/* ---- script ---- */

typedef struct script {
    char *text; /* the tokens, split in place */
    char *next;
    bool waiting;
    Uint32 wait_until;  /* wait:MS */
    bool wait_answer;   /* wait */
    char *shot;         /* shot:PATH to take at the next draw */
    SDL_Keycode release; /* ask:MS: the key to let go of when the wait ends */
} script;

static void push_key(SDL_Keycode k, bool down)
{
    SDL_Event ev = {0};
    ev.type = down ? SDL_KEYDOWN : SDL_KEYUP;
    ev.key.state = down ? SDL_PRESSED : SDL_RELEASED;
    ev.key.keysym.sym = k;
    ev.key.keysym.scancode = SDL_GetScancodeFromKey(k);
    SDL_PushEvent(&ev);
}

/* Key names that cannot be written inside a comma-separated list. */
static const char *script_key_alias(const char *t)
{
    static const struct {
        const char *alias, *key;
    } aliases[] = {{"period", "."}, {"plus", "+"}, {"minus", "-"}, {"comma", ","},
                   {"esc", "Escape"}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (SDL_strcasecmp(t, aliases[i].alias) == 0)
            return aliases[i].key;
    return t;
}

/* Feeds the next script token: keys become SDL key events, exactly like a
 * keyboard's. Returns false for a token it does not know (printed). */
static bool script_step(script *sc, const appliance_keymap *km, bool worker_busy)
{
    if (sc->waiting) {
        bool timed_out = SDL_TICKS_PASSED(SDL_GetTicks(), sc->wait_until);
        if (sc->wait_answer ? worker_busy && !timed_out : !timed_out)
            return true;
        sc->waiting = false;
        if (sc->release != SDLK_UNKNOWN) {
            push_key(sc->release, false);
            sc->release = SDLK_UNKNOWN;
            sc->waiting = true;
            sc->wait_answer = false;
            sc->wait_until = SDL_GetTicks() + 50;
            return true;
        }
    }
    if (!sc->next || sc->shot)
        return true;
    char *t = sc->next;
    char *comma = strchr(t, ',');
    if (comma) {
        *comma = '\0';
        sc->next = comma + 1;
    } else {
        sc->next = NULL;
    }
    if (strcmp(t, "wait") == 0) {
        sc->waiting = true;
        sc->wait_answer = true;
        sc->wait_until = SDL_GetTicks() + SCRIPT_WAIT_MS;
    } else if (strncmp(t, "wait:", 5) == 0) {
        long ms;
        if (!cli_parse_int(t + 5, 0, 600000, &ms)) {
            fprintf(stderr, "sightline appliance: --script: bad wait '%s'\n", t);
            return false;
        }
        sc->waiting = true;
        sc->wait_answer = false;
        sc->wait_until = SDL_GetTicks() + (Uint32)ms;
    } else if (strncmp(t, "shot:", 5) == 0 && t[5]) {
        sc->shot = t + 5;
    } else if (strncmp(t, "ask:", 4) == 0) {
        /* Hold the ask key (its first binding) for MS, as hold-to-talk. */
        long ms;
        const char *key = NULL;
        for (int i = 0; i < km->count && !key; i++)
            if (km->action[i] == APPLIANCE_ASK)
                key = km->key[i];
        if (!cli_parse_int(t + 4, 0, 600000, &ms) || !key) {
            fprintf(stderr, "sightline appliance: --script: bad ask '%s' (ask:MS, with a key bound"
                            " to ask)\n", t);
            return false;
        }
        SDL_Keycode k = SDL_GetKeyFromName(key);
        push_key(k, true);
        sc->release = k;
        sc->waiting = true;
        sc->wait_answer = false;
        sc->wait_until = SDL_GetTicks() + (Uint32)ms;
    } else {
        SDL_Keycode k = SDL_GetKeyFromName(script_key_alias(t));
        if (k == SDLK_UNKNOWN) {
            fprintf(stderr, "sightline appliance: --script: unknown key '%s'\n", t);
            return false;
        }
        push_key(k, true);
        push_key(k, false);
        /* The key is handled before the next token: a "wait" right after it
         * must see the request it made. */
        sc->waiting = true;
        sc->wait_answer = false;
        sc->wait_until = SDL_GetTicks() + 50;
    }
    return true;
}

/* ---- the loop ---- */

typedef struct appliance {
    const app_context *app;
    options opt;
    appliance_keymap keys;
    appliance_worker *worker;
    capture cap;
    bool capture_started;
    ocr_engine *ocr;
    appliance_screen *screen;
    speaker sp;
    frame view;
    long view_serial;
    char *last_answer;
    char mode[32];
    appliance_modes modes;
    appliance_mic *mic;
    worker_models models; /* the worker's; freed after the worker stops */
    inbox box;
    meeting_run meeting;
    sign_run sign;
    char *meeting_text; /* the segments of the meeting on screen */
    bool box_ready;
    appliance_action pending_what;
    Uint32 job_started, last_progress, started;
    bool quit;
} appliance;

/* dst has src's size. */
static void frame_copy_into(frame *dst, const frame *src)
{
    for (int y = 0; y < src->height; y++)
        memcpy(dst->pixels + (size_t)y * dst->stride, src->pixels + (size_t)y * src->stride,
               (size_t)src->width * 3);
}

/* What the status line and the progress say while a request runs. */
static const char *busy_word(appliance_action what)
{
    return what == APPLIANCE_ASK    ? "thinking"
           : what == APPLIANCE_NONE ? "hearing the command"
                                    : appliance_action_ack(what);
}

static void submit_vision(appliance *a, appliance_action what)
{
    if (!a->view.pixels) {
        speak(&a->sp, "no-picture", "No picture from the camera yet.");
        return;
    }
    if (what == APPLIANCE_READ) {
        vision_job *j = calloc(1, sizeof *j);
        if (!j || frame_alloc(&j->pic, a->view.width, a->view.height, NULL) != SL_OK) {
            free(j);
            return;
        }
        frame_copy_into(&j->pic, &a->view);
        j->ocr = a->ocr;
        appliance_worker_submit(a->worker, what, read_job, j, vision_job_free);
    } else {
        model_job *j = calloc(1, sizeof *j);
        if (!j || frame_alloc(&j->pic, a->view.width, a->view.height, NULL) != SL_OK) {
            free(j);
            return;
        }
        frame_copy_into(&j->pic, &a->view);
        j->ocr = a->ocr;
        j->models = &a->models;
        if (what == APPLIANCE_ASK || what == APPLIANCE_NONE) {
            pcm_f32 *heard = &j->audio;
            if (appliance_mic_take(a->mic, heard, NULL) != SL_OK ||
                heard->count < SPEECH_RATE / 4) {
                model_job_free(j);
                speak(&a->sp, "heard-nothing",
                      "I heard nothing. Hold the ask key while you speak.");
                snprintf(a->mode, sizeof a->mode, "ready");
                return;
            }
        }
        appliance_worker_submit(a->worker, what,
                                what == APPLIANCE_ASK    ? ask_job
                                : what == APPLIANCE_NONE ? command_job
                                                         : describe_job,
                                j, model_job_free);
    }
    a->pending_what = what;
    a->job_started = a->last_progress = SDL_GetTicks();
    snprintf(a->mode, sizeof a->mode, "%s", busy_word(what));
}

static void show(appliance *a, const char *text)
{
    appliance_screen_set_answer(a->screen, text);
}

static void meeting_start(appliance *a)
{
    if (a->meeting.live) {
        /* The last meeting's final piece is still being recognised. */
        a->modes.meeting = false;
        speak(&a->sp, "meeting-busy", "The last meeting is still being saved. Try again soon.");
        return;
    }
    sl_error err = {0};
    if (appliance_mic_start(a->mic, &err) != SL_OK) {
        appliance_modes_mic_failed(&a->modes);
        speak(&a->sp, "no-microphone", "No microphone found.");
        return;
    }
    a->meeting.app = a->app;
    a->meeting.mic = a->mic;
    a->meeting.whisper_path = a->models.whisper_path;
    a->meeting.box = &a->box;
    atomic_store(&a->meeting.stop, false);
    if (pthread_create(&a->meeting.thread, NULL, meeting_main, &a->meeting) != 0) {
        appliance_mic_stop(a->mic);
        a->modes.meeting = false;
        speak(&a->sp, "meeting-failed", "The meeting cannot start.");
        return;
    }
    a->meeting.live = true;
    free(a->meeting_text);
    a->meeting_text = strdup("Meeting: listening.");
    show(a, a->meeting_text);
    speak(&a->sp, "meeting-started", "Meeting started.");
}

/* The microphone stops now; the thread recognises what is left, ends the
 * stored meeting and says so through the inbox. */
static void meeting_stop(appliance *a)
{
    appliance_mic_stop(a->mic);
    atomic_store(&a->meeting.stop, true);
    speak(&a->sp, "meeting-ending", "Ending the meeting.");
}

static void meeting_join(appliance *a)
{
    if (!a->meeting.live)
        return;
    atomic_store(&a->meeting.stop, true);
    pthread_join(a->meeting.thread, NULL);
    a->meeting.live = false;
}

static void sign_start(appliance *a)
{
    sl_error err = {0};
    hands_options ho = {.max_hands = 2, .track = true};
    if (a->sign.live) {
        a->modes.sign = false;
        speak(&a->sp, "sign-busy", "Sign mode is still stopping. Try again soon.");
        return;
    }
    if (hands_open(NULL, &ho, NULL, &a->sign.tracker, &err) != SL_OK) {
        appliance_modes_sign_failed(&a->modes);
        a->modes.have_hand_models = false;
        const char *msg = "Sign mode needs the MediaPipe hand models: get them with "
                          "scripts/fetch-hand-models.sh.";
        show(a, msg);
        speak(&a->sp, "no-hand-models", msg);
        cli_note(a->app, "%s", err.msg);
        return;
    }
    sl_db *db = NULL;
    sl_status st = hands_open_db(a->app, &db, &err);
    if (st == SL_OK)
        st = hands_load_classifier(db, &a->sign.classifier, &a->sign.n_signs,
                                   &a->sign.n_letters, &err);
    db_close(db);
    const char *msg = NULL;
    if (st != SL_OK)
        msg = err.msg;
    else if (a->sign.n_signs + a->sign.n_letters == 0)
        msg = "Nothing taught yet: teach signs first with sightline teach.";
    if (!msg) {
        a->sign.cap = &a->cap;
        a->sign.box = &a->box;
        atomic_store(&a->sign.stop, false);
        atomic_store(&a->sign.frames, 0);
        if (pthread_create(&a->sign.thread, NULL, sign_main, &a->sign) == 0)
            a->sign.live = true;
        else
            msg = "Sign mode cannot start.";
    }
    if (msg) {
        a->modes.sign = false;
        sign_classifier_free(a->sign.classifier);
        hands_close(a->sign.tracker);
        a->sign.classifier = NULL;
        a->sign.tracker = NULL;
        show(a, msg);
        speak(&a->sp, "sign-failed", msg);
        return;
    }
    speak(&a->sp, "sign-on", "Sign mode on.");
}

static void sign_join(appliance *a)
{
    if (a->sign.live) {
        atomic_store(&a->sign.stop, true);
        pthread_join(a->sign.thread, NULL);
        a->sign.live = false;
    }
    sign_classifier_free(a->sign.classifier);
    hands_close(a->sign.tracker);
    a->sign.classifier = NULL;
    a->sign.tracker = NULL;
}

/* What the modes' state machine asked for. */
static void do_effect(appliance *a, appliance_effect e)
{
    sl_error err = {0};
    switch (e) {
    case MODE_EFFECT_NONE:
        break;
    case MODE_EFFECT_LISTEN:
        if (a->meeting.live) {
            a->modes.listening = false;
            speak(&a->sp, "meeting-busy", "The last meeting is still being saved. Try again soon.");
            break;
        }
        /* Said before the microphone opens, so the question is not cut. */
        speak(&a->sp, "listening", "listening");
        if (appliance_mic_start(a->mic, &err) != SL_OK)
            do_effect(a, appliance_modes_mic_failed(&a->modes));
        break;
    case MODE_EFFECT_ANSWER:
        appliance_mic_stop(a->mic);
        speak(&a->sp, "ask", "thinking");
        submit_vision(a, APPLIANCE_ASK);
        break;
    case MODE_EFFECT_COMMAND:
        appliance_mic_stop(a->mic);
        /* APPLIANCE_NONE as the job's kind: a spoken command (command_job). */
        submit_vision(a, APPLIANCE_NONE);
        break;
    case MODE_EFFECT_SIGN_ON:
        sign_start(a);
        break;
    case MODE_EFFECT_SIGN_OFF:
        sign_join(a);
        speak(&a->sp, "sign-off", "Sign mode off.");
        break;
    case MODE_EFFECT_MEETING_START:
        meeting_start(a);
        break;
    case MODE_EFFECT_MEETING_END:
        meeting_stop(a);
        break;
    case MODE_EFFECT_SAY_NO_MIC:
        show(a, "No microphone found.");
        speak(&a->sp, "no-microphone", "No microphone found.");
        break;
    case MODE_EFFECT_SAY_NO_WHISPER:
        show(a, INSTALL_WHISPER_LINE);
        speak(&a->sp, "no-whisper", INSTALL_WHISPER_LINE);
        break;
    case MODE_EFFECT_SAY_NO_HANDS: {
        const char *msg = "Sign mode needs the MediaPipe hand models: get them with "
                          "scripts/fetch-hand-models.sh.";
        show(a, msg);
        speak(&a->sp, "no-hand-models", msg);
        break;
    }
    case MODE_EFFECT_SAY_MIC_BUSY:
        speak(&a->sp, "meeting-busy", "The meeting is using the microphone: end it first.");
        break;
    }
}

/* Meeting segments and recognised signs, from their threads. */
static void poll_inbox(appliance *a)
{
    inbox_item *it;
    while ((it = inbox_take(&a->box))) {
        switch (it->kind) {
        case INBOX_MEETING_STARTED:
            a->modes.meeting_id = it->id;
            break;
        case INBOX_MEETING_SEGMENT: {
            size_t old = a->meeting_text ? strlen(a->meeting_text) : 0;
            char *grown = realloc(a->meeting_text, old + strlen(it->text) + 2);
            if (grown) {
                snprintf(grown + old, strlen(it->text) + 2, "%s%s", old ? "\n" : "", it->text);
                a->meeting_text = grown;
                show(a, grown);
                appliance_screen_scroll(a->screen, 1 << 20);
            }
            break;
        }
        case INBOX_MEETING_ENDED:
            meeting_join(a);
            if (a->modes.meeting) {
                /* It stopped by itself (an error): the key starts a new one. */
                a->modes.meeting = false;
                appliance_mic_stop(a->mic);
            }
            a->modes.meeting_id = 0;
            show(a, it->text);
            speak(&a->sp, "meeting-ended", it->text);
            break;
        case INBOX_SIGN: {
            char line[1100];
            snprintf(line, sizeof line, "Signed: %s", it->text);
            show(a, line);
            free(a->last_answer);
            a->last_answer = strdup(it->text);
            speak(&a->sp, "sign-answer", it->text);
            break;
        }
        case INBOX_SIGN_ENDED:
            if (it->text) {
                sign_join(a);
                a->modes.sign = false;
                show(a, it->text);
                speak(&a->sp, "sign-failed", it->text);
            }
            break;
        }
        inbox_item_free(it);
    }
}

static void handle_action(appliance *a, appliance_action act)
{
    if (act == APPLIANCE_NONE)
        return;
    /* The modes say their own acknowledgement (or why they cannot start). */
    if (act == APPLIANCE_ASK) {
        do_effect(a, appliance_modes_ask_down(&a->modes));
        return;
    }
    if (act == APPLIANCE_SIGN) {
        do_effect(a, appliance_modes_sign_key(&a->modes));
        return;
    }
    if (act == APPLIANCE_MEETING) {
        do_effect(a, appliance_modes_meeting_key(&a->modes));
        return;
    }
    /* The immediate acknowledgement, before any slow work. */
    speak(&a->sp, appliance_action_name(act), appliance_action_ack(act));
    switch (act) {
    case APPLIANCE_READ:
    case APPLIANCE_DESCRIBE:
        submit_vision(a, act);
        break;
    case APPLIANCE_REPEAT:
        if (a->last_answer)
            speak(&a->sp, "repeat-answer", a->last_answer);
        break;
    case APPLIANCE_STOP:
        appliance_worker_cancel(a->worker);
        snprintf(a->mode, sizeof a->mode, "ready");
        break;
    case APPLIANCE_FASTER:
    case APPLIANCE_SLOWER: {
        int r = a->sp.voice.rate_wpm ? a->sp.voice.rate_wpm : TTS_RATE_DEFAULT;
        r += act == APPLIANCE_FASTER ? 25 : -25;
        a->sp.voice.rate_wpm = r < 80 ? 80 : r > 450 ? 450 : r;
        break;
    }
    case APPLIANCE_HELP: {
        char *help = appliance_keymap_help(&a->keys);
        if (help) {
            show(a, help);
            speak(&a->sp, "help-keys", help);
            free(help);
        }
        break;
    }
    case APPLIANCE_QUIT:
        a->quit = true;
        break;
    default:
        break;
    }
}

/* A command_job's answer: the command's name, "" when none was heard, or
 * an error line (no pocketsphinx model). */
static void voice_command_heard(appliance *a, const char *name)
{
    snprintf(a->mode, sizeof a->mode, "ready");
    voice_command_id id = VOICE_CMD_NONE;
    for (int i = 1; i < VOICE_CMD_COUNT; i++)
        if (strcmp(name, voice_command_name((voice_command_id)i)) == 0)
            id = (voice_command_id)i;
    if (id == VOICE_CMD_NONE && name[0]) {
        show(a, name);
        speak(&a->sp, "command-error", name);
        return;
    }
    if (id == VOICE_CMD_NONE) {
        const char *msg = "I did not catch a command. Say help while holding the ask key "
                          "for the list.";
        show(a, msg);
        speak(&a->sp, "no-command", msg);
        return;
    }
    appliance_action act = appliance_modes_voice_action(&a->modes, id);
    if (act == APPLIANCE_ASK) {
        /* A question needs Whisper; only commands are heard without it. */
        do_effect(a, MODE_EFFECT_SAY_NO_WHISPER);
        return;
    }
    if (act == APPLIANCE_NONE) {
        speak(&a->sp, "command-nothing", "Nothing to do.");
        return;
    }
    handle_action(a, act);
}

static void poll_worker(appliance *a)
{
    appliance_result r;
    bool got = appliance_worker_poll(a->worker, &r);
    if (got && r.what == APPLIANCE_NONE) {
        voice_command_heard(a, r.text ? r.text : "");
        free(r.text);
    } else if (got) {
        const char *text = r.text ? r.text : "";
        show(a, text);
        free(a->last_answer);
        a->last_answer = strdup(text);
        snprintf(a->mode, sizeof a->mode, "ready");
        speak(&a->sp,
              r.what == APPLIANCE_READ  ? "read-answer"
              : r.what == APPLIANCE_ASK ? "ask-answer"
                                        : "describe-answer",
              text);
        free(r.text);
    } else if (appliance_worker_busy(a->worker)) {
        /* Spoken progress for work that takes longer than a second. */
        Uint32 now = SDL_GetTicks();
        if (SDL_TICKS_PASSED(now, a->last_progress + (a->last_progress == a->job_started ? 1000 : 3000))) {
            a->last_progress = now;
            char msg[48];
            snprintf(msg, sizeof msg, "still %s", busy_word(a->pending_what));
            speak(&a->sp, "progress", msg);
        }
    }
}

static int parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--source") == 0       ? &o->source
                            : strcmp(a, "--audio-sink") == 0 ? &o->audio_sink
                            : strcmp(a, "--script") == 0     ? &o->script
                            : strcmp(a, "--screenshot") == 0 ? &o->screenshot
                            : strcmp(a, "--mic-file") == 0   ? &o->mic_file
                                                             : NULL;
        if (strcmp(a, "--video-fps") == 0) {
            if (i + 1 >= argc || !cli_parse_int(argv[i + 1], 1, 240, &o->video_fps))
                return cli_usage_error(&cmd_appliance, "--video-fps takes 1 to 240");
            i++;
            continue;
        }
        if (strcmp(a, "--no-mic") == 0) {
            o->no_mic = true;
            continue;
        }
        if (slot || strcmp(a, "--window") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(&cmd_appliance, "%s needs a value", a);
            const char *v = argv[++i];
            if (slot) {
                *slot = v;
                continue;
            }
            char tail;
            if (sscanf(v, "%dx%d%c", &o->width, &o->height, &tail) != 2 || o->width < 160 ||
                o->height < 120 || o->width > 16384 || o->height > 16384)
                return cli_usage_error(&cmd_appliance,
                                       "--window takes WIDTHxHEIGHT, 160x120 to 16384x16384, not '%s'",
                                       v);
        } else {
            return cli_usage_error(&cmd_appliance, "unknown argument '%s'", a);
        }
    }
    if (o->no_mic && o->mic_file)
        return cli_usage_error(&cmd_appliance, "give --mic-file or --no-mic, not both");
    return EXIT_OK;
}

/* The profile's key.ACTION values, applied once SDL is up (SDL's key names
 * need its keyboard tables). */
typedef struct key_settings {
    char *value[APPLIANCE_ACTION_COUNT];
} key_settings;

static void key_settings_free(key_settings *pk)
{
    for (int i = 0; i < APPLIANCE_ACTION_COUNT; i++)
        free(pk->value[i]);
}

static sl_status read_profile_keys(sl_db *db, key_settings *pk, sl_error *err)
{
    for (int i = 1; i < APPLIANCE_ACTION_COUNT; i++) {
        char key[32];
        snprintf(key, sizeof key, "key.%s", appliance_action_name((appliance_action)i));
        if (!profile_key_find(key))
            continue;
        sl_status st = profile_get(db, key, &pk->value[i], err);
        if (st != SL_OK)
            return st;
    }
    return SL_OK;
}

/* A key.ACTION that differs from the built-in key replaces the action's
 * keys; a name SDL does not know is a usage error naming the setting. */
static int apply_profile_keys(appliance *a, const key_settings *pk)
{
    for (int i = 1; i < APPLIANCE_ACTION_COUNT; i++) {
        const char *v = pk->value[i];
        const char *def = appliance_action_default_key((appliance_action)i);
        if (!v || (def && SDL_strcasecmp(v, def) == 0))
            continue;
        SDL_Keycode k = SDL_GetKeyFromName(v);
        if (k == SDLK_UNKNOWN) {
            fprintf(stderr,
                    "sightline appliance: profile key.%s: '%s' is not a key name SDL knows "
                    "(e.g. F5, Space, Return, A); change it with 'sightline profile set key.%s "
                    "KEY'\n",
                    appliance_action_name((appliance_action)i), v,
                    appliance_action_name((appliance_action)i));
            return EXIT_USAGE;
        }
        sl_error err = {0};
        if (appliance_keymap_remap(&a->keys, (appliance_action)i, SDL_GetKeyName(k), &err) !=
            SL_OK)
            return cli_fail(&err);
    }
    return EXIT_OK;
}

static int load_profile(appliance *a, char **theme, long *font_size, key_settings *pk)
{
    sl_db *db = NULL;
    int rc = app_db_open(a->app, &db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    char *voice = NULL;
    long rate = 0, pitch = -1, volume = -1;
    if (profile_get(db, "theme", theme, &err) != SL_OK ||
        profile_get_int(db, "font_size", font_size, &err) != SL_OK ||
        profile_get(db, "voice", &voice, &err) != SL_OK ||
        profile_get_int(db, "rate", &rate, &err) != SL_OK ||
        profile_get_int(db, "pitch", &pitch, &err) != SL_OK ||
        profile_get_int(db, "volume", &volume, &err) != SL_OK ||
        read_profile_keys(db, pk, &err) != SL_OK) {
        free(voice);
        db_close(db);
        return cli_fail(&err);
    }
    db_close(db);
    a->sp.voice.voice = voice; /* freed at the end */
    a->sp.voice.rate_wpm = (int)rate;
    a->sp.voice.pitch = (int)pitch;
    a->sp.voice.volume = (int)volume;
    return EXIT_OK;
}

static void status_line(appliance *a, char *buf, size_t n)
{
    char modes[96];
    appliance_modes_status(&a->modes, modes, sizeof modes);
    snprintf(buf, n, "%s%s%s | vision model: %s | %d wpm | h: help", a->mode,
             modes[0] ? " | " : "", modes,
             a->models.vlm_path && a->models.mmproj_path ? "SmolVLM" : "none (basic)",
             a->sp.voice.rate_wpm ? a->sp.voice.rate_wpm : TTS_RATE_DEFAULT);
}

static int run_loop(appliance *a, script *sc)
{
    sl_error err = {0};
    char status[256];
    while (!a->quit) {
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
            if (ev.type == SDL_QUIT) {
                a->quit = true;
            } else if (ev.type == SDL_KEYDOWN && !ev.key.repeat) {
                SDL_Keycode k = ev.key.keysym.sym;
                if (k == SDLK_UP || k == SDLK_DOWN || k == SDLK_PAGEUP || k == SDLK_PAGEDOWN)
                    appliance_screen_scroll(a->screen, k == SDLK_UP ? -1 : k == SDLK_DOWN ? 1
                                                                   : k == SDLK_PAGEUP ? -4 : 4);
                else
                    handle_action(a, appliance_keymap_lookup(&a->keys, SDL_GetKeyName(k)));
            } else if (ev.type == SDL_KEYUP &&
                       appliance_keymap_lookup(&a->keys, SDL_GetKeyName(ev.key.keysym.sym)) ==
                           APPLIANCE_ASK) {
                do_effect(a, appliance_modes_ask_up(&a->modes));
            }
        }
        poll_worker(a);
        poll_inbox(a);
        capture_copy(&a->cap, &a->view, &a->view_serial);
        pthread_mutex_lock(&a->cap.mu);
        sl_status cst = a->cap.status;
        sl_error cerr = a->cap.err;
        pthread_mutex_unlock(&a->cap.mu);
        if (cst != SL_OK && cst != SL_ERR_LIMIT)
            return cli_fail(&cerr);
        status_line(a, status, sizeof status);
        char *shot = sc->shot;
        if (appliance_screen_draw(a->screen, a->view.pixels ? &a->view : NULL, status, shot,
                                  &err) != SL_OK)
            return cli_fail(&err);
        sc->shot = NULL;
        /* The script starts with the first picture, so its first key has
         * something to work on. */
        bool started = a->view.pixels || SDL_TICKS_PASSED(SDL_GetTicks(), a->started + 10000);
        if (started && !script_step(sc, &a->keys, appliance_worker_busy(a->worker)))
            return EXIT_USAGE;
        SDL_Delay(15);
    }
    if (a->opt.screenshot) {
        status_line(a, status, sizeof status);
        if (appliance_screen_draw(a->screen, a->view.pixels ? &a->view : NULL, status,
                                  a->opt.screenshot, &err) != SL_OK)
            return cli_fail(&err);
    }
    return EXIT_OK;
}

static int run_appliance(app_context *app, int argc, char **argv)
{
    appliance a;
    memset(&a, 0, sizeof a);
    a.app = app;
    int rc = parse_options(argc, argv, &a.opt);
    if (rc != EXIT_OK)
        return rc;
    if (a.opt.audio_sink) {
        struct stat stt;
        if (stat(a.opt.audio_sink, &stt) != 0 || !S_ISDIR(stt.st_mode)) {
            fprintf(stderr, "sightline appliance: --audio-sink %s: not a folder\n",
                    a.opt.audio_sink);
            return EXIT_INPUT;
        }
    }
    a.sp.app = app;
    a.sp.sink = a.opt.audio_sink;
    tts_options_default(&a.sp.voice);
    appliance_keymap_default(&a.keys);
    snprintf(a.mode, sizeof a.mode, "ready");
    script sc = {0};
    char *theme = NULL;
    long font_size = 64;
    sl_error err = {0};
    key_settings pk = {0};
    if ((rc = load_profile(&a, &theme, &font_size, &pk)) != EXIT_OK)
        goto out;

    const char *spec = a.opt.source ? a.opt.source : "camera";
    if (frame_source_open(spec, NULL, &a.cap.src, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    if (strncmp(spec, "video:", 6) == 0)
        a.cap.pace_ns = 1000000000L / (a.opt.video_fps ? a.opt.video_fps : 30);
    /* Without X11 or Wayland SDL would still start its offscreen driver (and
     * libwayland would complain on stderr): that is no screen for a user.
     * SDL_VIDEODRIVER=dummy or offscreen, set on purpose, is honoured. */
    if (!getenv("SDL_VIDEODRIVER") && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
        fputs("sightline appliance: no display (neither DISPLAY nor WAYLAND_DISPLAY is set)\n",
              stderr);
        rc = EXIT_DEVICE;
        goto out;
    }
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        fprintf(stderr, "sightline appliance: no display: %s\n", SDL_GetError());
        rc = EXIT_DEVICE;
        goto out;
    }
    if ((rc = apply_profile_keys(&a, &pk)) != EXIT_OK)
        goto out;
    /* What the modes can use: found now (paths only), loaded when used. */
    a.models.app = app;
    app_find_model(MODEL_WHISPER, NULL, &a.models.whisper_path);
    app_find_model(MODEL_VLM, NULL, &a.models.vlm_path);
    app_find_model(MODEL_VLM_MMPROJ, NULL, &a.models.mmproj_path);
    if (!a.opt.no_mic && appliance_mic_open(a.opt.mic_file, 1.0, &a.mic, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    /* The microphone itself is tried when a mode needs it. */
    appliance_modes_init(&a.modes, a.mic != NULL, a.models.whisper_path != NULL, true);
    a.modes.have_commands = voice_command_model_present(NULL);
    pthread_mutex_init(&a.box.mu, NULL);
    a.box_ready = true;
    appliance_screen_config scfg = {a.opt.width, a.opt.height, theme, (int)font_size,
                                    APPLIANCE_FONT};
    if (appliance_screen_open(&scfg, &a.screen, &err) != SL_OK ||
        ocr_open(NULL, &a.ocr, &err) != SL_OK || appliance_worker_start(&a.worker, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    pthread_mutex_init(&a.cap.mu, NULL);
    atomic_init(&a.cap.stop, false);
    if (pthread_create(&a.cap.thread, NULL, capture_main, &a.cap) != 0) {
        pthread_mutex_destroy(&a.cap.mu);
        fputs("sightline appliance: cannot start the camera thread\n", stderr);
        rc = EXIT_FAILURE_OTHER;
        goto out;
    }
    a.capture_started = true;
    if (a.opt.script && !(sc.text = strdup(a.opt.script))) {
        rc = EXIT_FAILURE_OTHER;
        goto out;
    }
    sc.next = sc.text;
    a.started = SDL_GetTicks();
    speak(&a.sp, "hello", "Ready. Press h for help.");
    rc = run_loop(&a, &sc);
out:
    /* Threads that read the camera go before it; the meeting ends its
     * stored meeting first. */
    sign_join(&a);
    if (a.mic)
        appliance_mic_stop(a.mic);
    meeting_join(&a);
    if (a.worker)
        appliance_worker_stop(a.worker);
    worker_models_free(&a.models);
    appliance_mic_close(a.mic);
    if (a.box_ready) {
        inbox_item *it;
        while ((it = inbox_take(&a.box)))
            inbox_item_free(it);
        pthread_mutex_destroy(&a.box.mu);
    }
    free(a.meeting_text);
    if (a.capture_started) {
        atomic_store(&a.cap.stop, true);
        pthread_join(a.cap.thread, NULL);
        pthread_mutex_destroy(&a.cap.mu);
    }
    frame_free(&a.cap.latest);
    if (a.cap.src)
        frame_source_close(a.cap.src);
    if (a.ocr)
        ocr_close(a.ocr);
    appliance_screen_close(a.screen);
    /* No SDL_Quit: the process ends right after, and SDL_Quit dlcloses the
     * X11/Wayland libraries, turning their process-wide caches into leaks
     * with no library name left for the LeakSanitizer suppressions. */
    frame_free(&a.view);
    free(a.last_answer);
    free(sc.text);
    key_settings_free(&pk);
    free(theme);
    free((char *)a.sp.voice.voice);
    free(a.sp.fallback_sink);
    return rc;
}

const command cmd_appliance = {
    .name = "appliance",
    .summary = "the live appliance: camera preview, big answers, everything spoken, one key each",
    .help =
        "usage: sightline appliance [--source SPEC] [--audio-sink DIR] [--window WxH]\n"
        "                           [--mic-file AUDIO | --no-mic] [--video-fps N]\n"
        "                           [--script KEYS] [--screenshot FILE]\n"
        "\n"
        "Opens a full-screen window with the camera's picture on top and the latest\n"
        "answer below in very large text, in the profile's theme and font_size\n"
        "(`sightline profile set theme white-on-black`). Every key is acknowledged\n"
        "at once by voice, and every answer is spoken. Work runs in the background;\n"
        "a newer key press cancels an older request that is still running.\n"
        "\n"
        "Keys:\n"
        "  r             read the text in the picture\n"
        "  d or space    describe the scene\n"
        "  a (hold)      ask: speak a question while holding it; Whisper recognises it\n"
        "                and it is answered about the picture (a vision-language model\n"
        "                answers; without one, what can be seen and read is said).\n"
        "                Without a Whisper model it hears voice commands instead:\n"
        "                \"read this\", \"describe\", \"speak faster\" (sightline help command)\n"
        "  s             sign mode on/off: signs and fingerspelling taught with\n"
        "                'sightline teach' are shown and spoken (needs the hand models)\n"
        "  m             meeting start/stop: the microphone is transcribed and stored\n"
        "                segment by segment ('sightline meeting show N' later)\n"
        "  .             repeat the last answer\n"
        "  escape        stop the current request\n"
        "  + or -        speak faster or slower\n"
        "  up, down, page up, page down   scroll a long answer\n"
        "  h or F1       hear (and see) the list of keys\n"
        "  q             quit\n"
        "Each key can be changed in the profile: sightline profile set key.describe F5\n"
        "(key.describe, key.read, key.ask, key.sign, key.meeting, key.repeat, key.stop,\n"
        "key.faster, key.slower, key.help, key.quit; SDL key names such as F5, Space,\n"
        "Return, Keypad 5). Setting one replaces that action's built-in keys.\n"
        "\n"
        "Options:\n"
        "  --source SPEC     where pictures come from (default camera): camera,\n"
        "                    camera:/dev/videoN, test:smpte, still:PICTURE, video:FILE\n"
        "  --audio-sink DIR  write each utterance as DIR/NNNN-WHAT.wav instead of playing it;\n"
        "                    without a sound card this happens anyway, in a new folder\n"
        "                    under $TMPDIR (named on stderr)\n"
        "  --window WxH      a window of that size instead of full screen\n"
        "  --mic-file AUDIO  an audio file (any format) plays the microphone's role: each\n"
        "                    time the appliance starts listening it hears the file from\n"
        "                    its beginning, in real time (tests, machines without one)\n"
        "  --no-mic          use no microphone: ask and meeting say so\n"
        "  --video-fps N     a video:FILE source plays at N frames a second (default 30),\n"
        "                    as a camera would\n"
        "  --script KEYS     press keys from a comma-separated list, through the same path\n"
        "                    as the keyboard (tests, single-switch devices): key names (r,\n"
        "                    d, space, period, plus, minus, comma, escape, F1, q), 'ask:MS'\n"
        "                    (hold the ask key MS milliseconds), 'wait'\n"
        "                    (until the answer is in), 'wait:MS', 'shot:FILE.png' (save\n"
        "                    the screen). The keyboard keeps working after the script.\n"
        "  --screenshot FILE save the screen as a PNG when the appliance quits\n"
        "\n"
        "Exit codes: 4 when there is no camera (and no --source) or no display.\n"
        "\n"
        "Examples:\n"
        "  sightline appliance\n"
        "  sightline appliance --source still:assets/samples/street-sign.png --window 1280x800\n"
        "  sightline appliance --source test:smpte --audio-sink out --script 'r,wait,shot:s.png,q'\n",
    .run = run_appliance,
};
