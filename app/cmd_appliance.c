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
#include <sys/stat.h>

#include "app/app_db.h"
#include "app/appliance_core.h"
#include "app/appliance_screen.h"
#include "app/commands.h"
#include "app/describe_basic.h"
#include "speech/speech.h"
#include "storage/storage.h"
#include "vision/vision.h"

#define APPLIANCE_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#define NOTHING_READ "No text found."
#define SCRIPT_WAIT_MS 120000

typedef struct options {
    const char *source;
    const char *audio_sink;
    const char *script;
    const char *screenshot;
    int width, height;
} options;

/* ---- capture thread: keeps the newest frame ---- */

typedef struct capture {
    frame_source *src;
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
    while (!atomic_load(&c->stop)) {
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

/* ---- jobs ---- */

typedef struct vision_job {
    frame pic;
    ocr_engine *ocr; /* used by the worker thread only */
} vision_job;

static void vision_job_free(void *p)
{
    vision_job *j = p;
    frame_free(&j->pic);
    free(j);
}

static char *read_job(void *p, const appliance_job_ctx *ctx)
{
    vision_job *j = p;
    if (appliance_job_cancelled(ctx))
        return NULL;
    ocr_result r = {0};
    sl_error err = {0};
    if (ocr_read_frame(j->ocr, &j->pic, &r, &err) != SL_OK)
        return strdup(err.msg);
    char *text = ocr_result_text(&r);
    ocr_result_free(&r);
    if (text && !text[0]) {
        free(text);
        text = strdup(NOTHING_READ);
    }
    return text;
}

static char *describe_job(void *p, const appliance_job_ctx *ctx)
{
    vision_job *j = p;
    if (appliance_job_cancelled(ctx))
        return NULL;
    basic_description d = {0};
    sl_error err = {0};
    if (describe_basic(&j->pic, j->ocr, &d, &err) != SL_OK)
        return strdup(err.msg);
    char *text = strdup(d.brief ? d.brief : "");
    basic_description_free(&d);
    return text;
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
} script;

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
static bool script_step(script *sc, bool worker_busy)
{
    if (sc->waiting) {
        bool timed_out = SDL_TICKS_PASSED(SDL_GetTicks(), sc->wait_until);
        if (sc->wait_answer ? worker_busy && !timed_out : !timed_out)
            return true;
        sc->waiting = false;
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
    } else {
        SDL_Keycode k = SDL_GetKeyFromName(script_key_alias(t));
        if (k == SDLK_UNKNOWN) {
            fprintf(stderr, "sightline appliance: --script: unknown key '%s'\n", t);
            return false;
        }
        SDL_Event ev = {0};
        ev.type = SDL_KEYDOWN;
        ev.key.state = SDL_PRESSED;
        ev.key.keysym.sym = k;
        ev.key.keysym.scancode = SDL_GetScancodeFromKey(k);
        SDL_PushEvent(&ev);
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
    bool sign_mode, meeting;
    appliance_action pending_what;
    Uint32 job_started, last_progress, started;
    bool quit;
} appliance;

static void submit_vision(appliance *a, appliance_action what)
{
    if (!a->view.pixels) {
        speak(&a->sp, "no-picture", "No picture from the camera yet.");
        return;
    }
    vision_job *j = calloc(1, sizeof *j);
    if (!j || frame_alloc(&j->pic, a->view.width, a->view.height, NULL) != SL_OK) {
        free(j);
        return;
    }
    for (int y = 0; y < a->view.height; y++)
        memcpy(j->pic.pixels + (size_t)y * j->pic.stride,
               a->view.pixels + (size_t)y * a->view.stride, (size_t)a->view.width * 3);
    j->ocr = a->ocr;
    appliance_worker_submit(a->worker, what, what == APPLIANCE_READ ? read_job : describe_job, j,
                            vision_job_free);
    a->pending_what = what;
    a->job_started = a->last_progress = SDL_GetTicks();
    snprintf(a->mode, sizeof a->mode, "%s", appliance_action_ack(what));
}

static void show(appliance *a, const char *text)
{
    appliance_screen_set_answer(a->screen, text);
}

static void handle_action(appliance *a, appliance_action act)
{
    if (act == APPLIANCE_NONE)
        return;
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
    case APPLIANCE_ASK:
    case APPLIANCE_SIGN:
    case APPLIANCE_MEETING: {
        /* These modes need the microphone loop, which this version of the
         * appliance does not run yet: say so rather than stay silent. */
        const char *msg = "This mode is not available in the appliance yet.";
        show(a, msg);
        speak(&a->sp, "not-available", msg);
        break;
    }
    case APPLIANCE_QUIT:
        a->quit = true;
        break;
    default:
        break;
    }
}

static void poll_worker(appliance *a)
{
    appliance_result r;
    if (appliance_worker_poll(a->worker, &r)) {
        const char *text = r.text ? r.text : "";
        show(a, text);
        free(a->last_answer);
        a->last_answer = strdup(text);
        snprintf(a->mode, sizeof a->mode, "ready");
        speak(&a->sp, r.what == APPLIANCE_READ ? "read-answer" : "describe-answer", text);
        free(r.text);
    } else if (appliance_worker_busy(a->worker)) {
        /* Spoken progress for work that takes longer than a second. */
        Uint32 now = SDL_GetTicks();
        if (SDL_TICKS_PASSED(now, a->last_progress + (a->last_progress == a->job_started ? 1000 : 3000))) {
            a->last_progress = now;
            char msg[48];
            snprintf(msg, sizeof msg, "still %s", appliance_action_ack(a->pending_what));
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
                                                             : NULL;
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
    snprintf(buf, n, "%s | vision model: not loaded (basic) | %d wpm | h: help",
             a->mode, a->sp.voice.rate_wpm ? a->sp.voice.rate_wpm : TTS_RATE_DEFAULT);
}

static int run_loop(appliance *a, script *sc)
{
    sl_error err = {0};
    char status[160];
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
            }
        }
        poll_worker(a);
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
        if (started && !script_step(sc, appliance_worker_busy(a->worker)))
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
    if (a.worker)
        appliance_worker_stop(a.worker);
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
        "  a, s, m       ask, sign mode, meeting (not available in the appliance yet)\n"
        "  .             repeat the last answer\n"
        "  escape        stop the current request\n"
        "  + or -        speak faster or slower\n"
        "  up, down, page up, page down   scroll a long answer\n"
        "  h or F1       hear (and see) the list of keys\n"
        "  q             quit\n"
        "\n"
        "Options:\n"
        "  --source SPEC     where pictures come from (default camera): camera,\n"
        "                    camera:/dev/videoN, test:smpte, still:PICTURE, video:FILE\n"
        "  --audio-sink DIR  write each utterance as DIR/NNNN-WHAT.wav instead of playing it;\n"
        "                    without a sound card this happens anyway, in a new folder\n"
        "                    under $TMPDIR (named on stderr)\n"
        "  --window WxH      a window of that size instead of full screen\n"
        "  --script KEYS     press keys from a comma-separated list, through the same path\n"
        "                    as the keyboard (tests, single-switch devices): key names (r,\n"
        "                    d, space, period, plus, minus, comma, escape, F1, q), 'wait'\n"
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
