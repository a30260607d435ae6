/* `sightline transcribe FILE|--mic`: speech to text with a whisper.cpp model
 * file, optionally only over the speech that Silero VAD finds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/app_models.h"
#include "app/commands.h"
#include "app/json.h"
#include "speech/speech.h"

typedef enum out_format { OUT_PLAIN, OUT_TXT, OUT_SRT, OUT_VTT, OUT_JSON } out_format;

typedef struct progress_ctx {
    const app_context *app;
    int last;
    double done_s, total_s, part_s; /* across VAD segments */
} progress_ctx;

static bool on_progress(void *user, int percent)
{
    progress_ctx *p = user;
    double s = p->done_s + p->part_s * percent / 100.0;
    int pct = p->total_s > 0 ? (int)(100.0 * s / p->total_s) : percent;
    if (pct >= p->last + 10 || (pct == 100 && p->last < 100)) {
        cli_note(p->app, "transcribe: %d%%", pct);
        p->last = pct;
    }
    return true;
}

static void stamp(int64_t ms, char sep, char *out, size_t n)
{
    if (ms < 0)
        ms = 0;
    snprintf(out, n, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 "%c%03" PRId64, ms / 3600000,
             ms / 60000 % 60, ms / 1000 % 60, sep, ms % 1000);
}

/* Appends b's segments to a with times shifted by offset_ms. */
static int append_result(whisper_result *a, whisper_result *b, int64_t offset_ms)
{
    if (b->n_segments == 0)
        return 0;
    whisper_segment *s =
        realloc(a->segments, (size_t)(a->n_segments + b->n_segments) * sizeof *s);
    if (!s)
        return -1;
    a->segments = s;
    for (int i = 0; i < b->n_segments; i++) {
        whisper_segment g = b->segments[i];
        g.t0_ms += offset_ms;
        g.t1_ms += offset_ms;
        a->segments[a->n_segments++] = g;
    }
    a->n_windows += b->n_windows;
    a->lang_id = b->lang_id;
    free(b->segments);
    memset(b, 0, sizeof *b);
    return 0;
}

static void print_result(const whisper_result *r, out_format f, const char *model,
                         const char *source)
{
    char a[32], b[32];
    if (f == OUT_JSON) {
        json_writer w;
        json_init(&w, stdout, true);
        json_begin_object(&w);
        json_kv_string(&w, "source", source);
        json_kv_string(&w, "model", model);
        const char *lang = whisper_lang_code(r->lang_id);
        json_kv_string(&w, "language", lang ? lang : "en");
        json_key(&w, "segments");
        json_begin_array(&w);
        for (int i = 0; i < r->n_segments; i++) {
            const whisper_segment *s = &r->segments[i];
            json_begin_object(&w);
            json_kv_int(&w, "t0_ms", s->t0_ms);
            json_kv_int(&w, "t1_ms", s->t1_ms);
            json_kv_string(&w, "text", s->text);
            json_key(&w, "tokens");
            json_begin_array(&w);
            for (int k = 0; k < s->n_tokens; k++)
                json_int(&w, s->tokens[k]);
            json_end_array(&w);
            json_end_object(&w);
        }
        json_end_array(&w);
        json_end_object(&w);
        json_finish(&w);
        return;
    }
    if (f == OUT_VTT)
        printf("WEBVTT\n\n");
    for (int i = 0; i < r->n_segments; i++) {
        const whisper_segment *s = &r->segments[i];
        switch (f) {
        case OUT_TXT:
            printf("%s\n", s->text);
            break;
        case OUT_SRT:
            stamp(s->t0_ms, ',', a, sizeof a);
            stamp(s->t1_ms, ',', b, sizeof b);
            printf("%d\n%s --> %s\n%s\n\n", i + 1, a, b, s->text);
            break;
        case OUT_VTT:
            stamp(s->t0_ms, '.', a, sizeof a);
            stamp(s->t1_ms, '.', b, sizeof b);
            printf("%s --> %s\n%s\n\n", a, b, s->text);
            break;
        default:
            stamp(s->t0_ms, '.', a, sizeof a);
            stamp(s->t1_ms, '.', b, sizeof b);
            printf("[%s --> %s]  %s\n", a, b, s->text);
        }
    }
}

static int run_transcribe(app_context *app, int argc, char **argv)
{
    const command *cmd = &cmd_transcribe;
    const char *file = NULL, *model_path = NULL, *vad_path = NULL, *lang = "en";
    bool mic = false, greedy = false, no_ts = false, no_fallback = false, opts_done = false;
    long beam = 5, best_of = 5;
    double seconds = 10;
    out_format fmt = OUT_PLAIN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = true;
        } else if (!opts_done && strcmp(a, "--mic") == 0) {
            mic = true;
        } else if (!opts_done && (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0)) {
            if (!has_next)
                return cli_usage_error(cmd, "%s needs a model file", a);
            model_path = argv[++i];
        } else if (!opts_done && (strcmp(a, "--lang") == 0 || strcmp(a, "-l") == 0)) {
            if (!has_next)
                return cli_usage_error(cmd, "%s needs a language code", a);
            lang = argv[++i];
        } else if (!opts_done && strcmp(a, "--vad-model") == 0) {
            if (!has_next)
                return cli_usage_error(cmd, "--vad-model needs a file");
            vad_path = argv[++i];
        } else if (!opts_done && strcmp(a, "--beam") == 0) {
            if (!has_next || !cli_parse_int(argv[++i], 1, 8, &beam))
                return cli_usage_error(cmd, "--beam needs a width from 1 to 8");
        } else if (!opts_done && strcmp(a, "--best-of") == 0) {
            if (!has_next || !cli_parse_int(argv[++i], 1, 8, &best_of))
                return cli_usage_error(cmd, "--best-of needs a count from 1 to 8");
        } else if (!opts_done && strcmp(a, "--seconds") == 0) {
            if (!has_next || !cli_parse_double(argv[++i], 0.1, 3600, &seconds))
                return cli_usage_error(cmd, "--seconds needs a duration from 0.1 to 3600");
        } else if (!opts_done && strcmp(a, "--greedy") == 0) {
            greedy = true;
        } else if (!opts_done && strcmp(a, "--no-timestamps") == 0) {
            no_ts = true;
        } else if (!opts_done && strcmp(a, "--no-fallback") == 0) {
            no_fallback = true;
        } else if (!opts_done && strcmp(a, "--txt") == 0) {
            fmt = OUT_TXT;
        } else if (!opts_done && strcmp(a, "--srt") == 0) {
            fmt = OUT_SRT;
        } else if (!opts_done && strcmp(a, "--vtt") == 0) {
            fmt = OUT_VTT;
        } else if (!opts_done && strcmp(a, "--json") == 0) {
            fmt = OUT_JSON;
        } else {
            int rc = cli_take_file_arg(cmd, a, opts_done, &file);
            if (rc != EXIT_OK)
                return rc;
        }
    }
    int usage = cli_check_file_or_mic(cmd, file, mic);
    if (usage != EXIT_OK)
        return usage;
    sl_error err = {0};
    /* -m, else the config file, else the models folder (app/app_models.h). */
    static char found_path[4096];
    if (!model_path) {
        char *found = NULL;
        app_find_model(MODEL_WHISPER, NULL, &found);
        if (found && strlen(found) < sizeof found_path) {
            strcpy(found_path, found);
            model_path = found_path;
        }
        free(found);
    }
    if (!model_path) {
        sl_fail(&err, SL_ERR_MODEL,
                "no Whisper model: free-form transcription needs one (scripts/get-models.sh "
                "whisper-base installs ggml-base.en.bin; or give -m FILE)");
        return cli_fail(&err);
    }

    whisper_model *model = NULL;
    sl_status st = whisper_model_load(model_path, &model, &err);
    if (st != SL_OK) {
        if (st == SL_ERR_FORMAT || st == SL_ERR_UNSUPPORTED)
            err.code = SL_ERR_MODEL;
        return cli_fail(&err);
    }
    if (!model->has_weights) {
        sl_fail(&err, SL_ERR_MODEL, "%s: holds a vocabulary but no weights", model_path);
        whisper_model_free(model);
        return cli_fail(&err);
    }
    pcm_f32 audio = {0};
    if (mic) {
        cli_note(app, "transcribe: recording %.1f s from the microphone", seconds);
        st = audio_in_record(seconds, &audio, &err);
    } else {
        st = audio_load_file(file, &audio, &err);
    }
    if (st != SL_OK) {
        whisper_model_free(model);
        return cli_fail(&err);
    }
    thread_pool *pool = NULL;
    st = thread_pool_create(app->threads, &pool, &err);
    if (st != SL_OK) {
        pcm_f32_free(&audio);
        whisper_model_free(model);
        return cli_fail(&err);
    }

    whisper_params p = whisper_default_params(greedy || beam == 1 ? WHISPER_STRATEGY_GREEDY
                                                                   : WHISPER_STRATEGY_BEAM);
    p.beam_size = greedy ? 1 : (int)beam;
    p.best_of = greedy ? 1 : (int)best_of;
    p.no_timestamps = no_ts;
    if (no_fallback)
        p.temperature_inc = 0;
    p.language = lang;
    p.reference_threads = thread_pool_threads(pool) > 1 ? 2 : 1;

    progress_ctx pc = {app, -10, 0, (double)audio.count / SPEECH_RATE,
                       (double)audio.count / SPEECH_RATE};
    whisper_result all = {0};
    if (!vad_path) {
        st = whisper_transcribe(model, pool, audio.samples, audio.count, &p, on_progress, &pc,
                                &all, &err);
    } else {
        /* only the speech Silero finds, each stretch on its own */
        vad_model *vm = NULL;
        float *probs = NULL;
        size_t n_probs = 0, n_segs = 0;
        vad_segment *segs = NULL;
        st = vad_model_load(vad_path, &vm, &err);
        if (st == SL_OK)
            st = vad_speech_probs(vm, audio.samples, audio.count, &probs, &n_probs, &err);
        if (st == SL_OK)
            st = vad_segments(probs, n_probs, vad_model_window(vm), NULL, &segs, &n_segs, &err);
        cli_note(app, "transcribe: %zu speech segments", n_segs);
        for (size_t i = 0; st == SL_OK && i < n_segs; i++) {
            size_t a = (size_t)segs[i].t0_cs * (SPEECH_RATE / 100);
            size_t b = (size_t)segs[i].t1_cs * (SPEECH_RATE / 100);
            if (b > audio.count)
                b = audio.count;
            if (a >= b)
                continue;
            whisper_result part = {0};
            pc.part_s = (double)(b - a) / SPEECH_RATE;
            st = whisper_transcribe(model, pool, audio.samples + a, b - a, &p, on_progress,
                                    &pc, &part, &err);
            pc.done_s += pc.part_s;
            if (st == SL_OK && append_result(&all, &part, segs[i].t0_cs * 10) != 0)
                st = sl_fail(&err, SL_ERR_NOMEM, "transcribe: out of memory");
            whisper_result_free(&part);
        }
        free(segs);
        free(probs);
        vad_model_free(vm);
    }
    if (st == SL_OK)
        print_result(&all, fmt, model_path, mic ? "microphone" : file);
    whisper_result_free(&all);
    thread_pool_destroy(pool);
    pcm_f32_free(&audio);
    whisper_model_free(model);
    return st == SL_OK ? EXIT_OK : cli_fail(&err);
}

const command cmd_transcribe = {
    .name = "transcribe",
    .summary = "speech to text: sightline transcribe talk.wav -m ggml-base.en.bin",
    .help =
        "usage: sightline transcribe FILE|--mic -m MODEL [--lang L] [--txt|--srt|--vtt|--json]\n"
        "                            [--beam N] [--best-of N] [--greedy] [--no-timestamps]\n"
        "                            [--no-fallback] [--vad-model FILE] [--seconds S]\n"
        "\n"
        "Transcribes an audio or video file (anything GStreamer decodes) or --seconds\n"
        "of the microphone (default 10) with a whisper.cpp model file (ggml-tiny.en.bin,\n"
        "ggml-base.en-q8_0.bin, ...). Long audio is decoded in 30-second windows that\n"
        "move on by the timestamps, as whisper.cpp does; progress goes to stderr.\n"
        "Without a Whisper model there is no free-form transcription: voice commands\n"
        "use a fixed grammar instead.\n"
        "\n"
        "  -m, --model FILE    whisper.cpp model file (required)\n"
        "  -l, --lang L        language code (en, de, ...); auto detects (multilingual\n"
        "                      models only); default en\n"
        "  --beam N            beam search width (whisper-cli -bs; default 5)\n"
        "  --best-of N         candidates when sampling at temperature > 0 (-bo; 5)\n"
        "  --greedy            greedy decoding (-bs 1 -bo 1)\n"
        "  --no-timestamps     one segment per window, no timestamp tokens (-nt)\n"
        "  --no-fallback       no retry at higher temperatures (-nf)\n"
        "  --vad-model FILE    transcribe only the speech Silero VAD finds (-vm)\n"
        "  --txt, --srt, --vtt text, SubRip or WebVTT; --json: segments with times in\n"
        "                      ms, text and token ids\n"
        "\n"
        "Exit codes: 2 usage, 3 unreadable or corrupt audio, 4 no microphone, 6 no model\n"
        "or not a Whisper model.\n"
        "\n"
        "Examples:\n"
        "  sightline transcribe meeting.wav -m ggml-base.en.bin --srt\n"
        "  sightline transcribe talk.ogg -m ggml-small.bin --lang auto --json\n",
    .run = run_transcribe,
};
