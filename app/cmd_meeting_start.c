/* meeting start: audio (a file, or the microphone in 10-second pieces)
 * through VAD (Silero with --vad-model, else the energy detector) into
 * Whisper, one utterance at a time; each recognised segment is printed with
 * its time and committed to the database at once, so a killed process loses
 * only the utterance being recognised. Each segment carries its speaker
 * label ("S1", ...: see meeting_capture.h); at the end the whole capture is
 * reclustered and the labels corrected.
 *
 * Stopping: SIGINT (Ctrl-C) or SIGTERM (what `meeting stop` sends, finding
 * the process by the pid file next to the database) lets the utterance being
 * recognised finish and be stored, then the meeting is marked ended and the
 * program exits 0; a second signal ends it at once (everything printed is
 * stored already). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/app_models.h"
#include "app/commands.h"
#include "app/meeting_capture.h"
#include "app/meeting_cmd_internal.h"
#include "app/meeting_progress.h"
#include "speech/speech.h"

/* Set by the signal handler (the only state it touches). */
static volatile sig_atomic_t g_stop;

static void on_stop_signal(int sig)
{
    if (g_stop) {
        /* A second Ctrl-C: the user does not want to wait. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    g_stop = 1;
}

static void catch_stop_signals(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_stop_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct start_ctx {
    app_context *app;
    double t_start; /* when this audio's transcription began */
} start_ctx;

static void print_segment(void *ctx, int64_t t0_ms, int64_t t1_ms, const char *speaker,
                          const char *text)
{
    (void)ctx;
    (void)t1_ms;
    char hms[32];
    meeting_format_time(t0_ms, hms, sizeof hms);
    printf("[%s] %s%s%s\n", hms, speaker, speaker[0] ? ": " : "", text);
    fflush(stdout);
}

static void note_progress(void *ctx, double fraction)
{
    start_ctx *s = ctx;
    char line[96];
    meeting_progress_text(fraction, meeting_progress_now() - s->t_start, line, sizeof line);
    cli_note(s->app, "meeting: %s", line);
}

/* The largest n of the meeting's "S<n>" labels: a resumed capture numbers
 * its speakers after them. */
static int last_label(const meeting_segments *segs)
{
    int max = 0;
    for (size_t i = 0; i < segs->count; i++) {
        const char *l = segs->items[i].speaker;
        char *end = NULL;
        if (l[0] != 'S' || l[1] < '1' || l[1] > '9')
            continue;
        long v = strtol(l + 1, &end, 10);
        if (*end == '\0' && v > max && v < 100000)
            max = (int)v;
    }
    return max;
}

int meeting_cmd_start(app_context *app, int argc, char **argv)
{
    const char *file = NULL, *title = NULL, *model_flag = NULL, *vad_flag = NULL;
    bool mic = false;
    double seconds = 3600;
    /* resume ID ...: more audio for a stored meeting, after its last segment. */
    bool resume = strcmp(argv[1], "resume") == 0;
    long resume_id = 0;
    if (resume && (argc < 3 || !cli_parse_int(argv[2], 1, 0x7fffffffffffffffL, &resume_id)))
        return cli_usage_error(&cmd_meeting, "resume needs a meeting number");
    for (int i = resume ? 3 : 2; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (strcmp(a, "--mic") == 0)
            mic = true;
        else if (strcmp(a, "--title") == 0 && has_next)
            title = argv[++i];
        else if ((strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) && has_next)
            model_flag = argv[++i];
        else if (strcmp(a, "--vad-model") == 0 && has_next)
            vad_flag = argv[++i];
        else if (strcmp(a, "--seconds") == 0 && has_next) {
            if (!cli_parse_double(argv[++i], 1, 86400, &seconds))
                return cli_usage_error(&cmd_meeting, "--seconds needs 1 to 86400");
        } else if (a[0] == '-' && a[1])
            return cli_usage_error(&cmd_meeting, "start: unknown option '%s'", a);
        else if (!file)
            file = a;
        else
            return cli_usage_error(&cmd_meeting, "start takes one FILE");
    }
    if (!file && !mic)
        mic = true;
    if (file && mic)
        return cli_usage_error(&cmd_meeting, "give either FILE or --mic, not both");
    sl_error err = {0};
    char *model_path = NULL, *vad_path = NULL;
    app_find_model(MODEL_WHISPER, model_flag, &model_path);
    if (!model_path) {
        sl_fail(&err, SL_ERR_MODEL,
                "meeting start needs a Whisper model: get one with "
                "'scripts/get-models.sh whisper-base' or give -m ggml-base.en.bin");
        return cli_fail(&err);
    }
    if (vad_flag)
        app_find_model(MODEL_VAD, vad_flag, &vad_path);
    start_ctx sctx = {.app = app};
    meeting_capture c = {.on_speaker_segment = print_segment,
                         .on_progress = note_progress,
                         .ctx = &sctx,
                         .label_speakers = true,
                         .stop = &g_stop};
    sl_status st = whisper_model_load(model_path, &c.model, &err);
    if (st == SL_OK && !c.model->has_weights)
        st = sl_fail(&err, SL_ERR_MODEL, "%s: holds a vocabulary but no weights", model_path);
    if (st == SL_ERR_FORMAT || st == SL_ERR_UNSUPPORTED)
        err.code = st = SL_ERR_MODEL;
    if (st == SL_OK && vad_path)
        st = vad_model_load(vad_path, &c.vad, &err);
    pcm_f32 audio = {0};
    if (st == SL_OK && file)
        st = audio_load_file(file, &audio, &err);
    if (st == SL_OK)
        st = thread_pool_create(app->threads, &c.pool, &err);
    int rc = EXIT_OK;
    if (st != SL_OK)
        rc = cli_fail(&err);
    if (rc == EXIT_OK)
        rc = app_db_open(app, &c.db);
    if (rc == EXIT_OK) {
        c.params = whisper_default_params(WHISPER_STRATEGY_GREEDY);
        c.params.language = "en";
        c.params.reference_threads = thread_pool_threads(c.pool) > 1 ? 2 : 1;
        int64_t offset_ms = 0;
        if (resume) {
            meeting_segments old;
            c.meeting = resume_id;
            st = meeting_segments_get(c.db, c.meeting, &old, &err);
            /* A second of pause between the old audio and the new. */
            for (size_t i = 0; st == SL_OK && i < old.count; i++)
                if (old.items[i].t1_ms + 1000 > offset_ms)
                    offset_ms = old.items[i].t1_ms + 1000;
            c.last_t0 = old.count ? old.items[old.count - 1].t0_ms : 0;
            c.label_offset = st == SL_OK ? last_label(&old) : 0;
            if (st == SL_OK)
                meeting_segments_free(&old);
            if (st == SL_OK) {
                printf("Meeting %" PRId64 " resumed at %" PRId64 " ms.\n", c.meeting, offset_ms);
                fflush(stdout);
            }
        } else {
            st = meeting_create(c.db, title ? title : (file ? file : "meeting"), 0, &c.meeting,
                                &err);
            if (st == SL_OK) {
                printf("Meeting %" PRId64 " started.\n", c.meeting);
                fflush(stdout);
            }
        }
        char *pid_path = NULL;
        if (st == SL_OK)
            st = meeting_pid_write(c.db, c.meeting, &pid_path, &err);
        g_stop = 0;
        if (st == SL_OK)
            catch_stop_signals(true);
        sctx.t_start = meeting_progress_now();
        if (st == SL_OK && file) {
            st = meeting_capture_audio(&c, audio.samples, audio.count, offset_ms, &err);
        } else if (st == SL_OK) {
            /* The microphone in 10-second pieces; an utterance across a piece
             * boundary is recognised as two. A stop lets the piece in hand be
             * transcribed whole. */
            c.stop = NULL;
            for (double done = 0; st == SL_OK && !g_stop && done < seconds; done += 10) {
                pcm_f32 piece = {0};
                st = audio_in_record(seconds - done < 10 ? seconds - done : 10, &piece, &err);
                if (st != SL_OK && g_stop)
                    st = SL_OK; /* the recording was interrupted by the stop */
                if (st == SL_OK && piece.count)
                    st = meeting_capture_audio(&c, piece.samples, piece.count,
                                               offset_ms + (int64_t)(done * 1000), &err);
                pcm_f32_free(&piece);
            }
        }
        int speakers = 0;
        if (st == SL_OK)
            st = meeting_capture_finish(&c, &speakers, &err);
        if (st == SL_OK)
            st = meeting_end(c.db, c.meeting, 0, &err);
        if (pid_path)
            remove(pid_path);
        free(pid_path);
        if (st != SL_OK)
            rc = cli_fail(&err);
        else
            cli_note(app, "meeting %" PRId64 ": %" PRId64 " segments stored, %d speakers%s",
                     c.meeting, c.segments, speakers, g_stop ? " (stopped)" : "");
        catch_stop_signals(false);
    }
    meeting_capture_free(&c);
    db_close(c.db);
    thread_pool_destroy(c.pool);
    pcm_f32_free(&audio);
    vad_model_free(c.vad);
    whisper_model_free(c.model);
    free(model_path);
    free(vad_path);
    return rc;
}
