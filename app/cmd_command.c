/* `sightline command FILE|--mic`: one spoken command from a file, or one
 * per utterance from the microphone until Ctrl-C, through the pocketsphinx
 * command grammar (speech/voice_command.h). Needs no Whisper model. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/cli.h"
#include "app/commands.h"
#include "app/json.h"
#include "speech/speech.h"

static void print_result(const voice_command_result *r, bool json)
{
    if (json) {
        json_writer w;
        json_init(&w, stdout, false);
        json_begin_object(&w);
        json_key(&w, "command");
        if (r->id == VOICE_CMD_NONE) {
            json_null(&w);
        } else {
            json_string(&w, voice_command_name(r->id));
            json_kv_string(&w, "phrase", r->phrase);
            json_kv_double(&w, "confidence", round(r->confidence * 1000.0) / 1000.0);
        }
        json_end_object(&w);
        json_finish(&w);
    } else if (r->id == VOICE_CMD_NONE) {
        printf("(no command)\n");
    } else {
        printf("%s\t\"%s\"\t%.2f\n", voice_command_name(r->id), r->phrase,
               (double)r->confidence);
    }
    fflush(stdout);
}

/* --- the microphone: chunks from the capture thread, utterances cut by level */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

enum {
    CHUNK = SPEECH_RATE / 10,              /* 100 ms, audio_in's default */
    MAX_UTT = 6 * SPEECH_RATE,             /* a command is shorter than this */
    PRE_ROLL = 3,                          /* chunks kept before speech starts */
    END_SILENCE = 6,                       /* chunks of quiet that end an utterance */
    QUEUE = 64 * CHUNK,                    /* 6.4 s of audio between the threads */
};

typedef struct mic_queue {
    pthread_mutex_t lock;
    float buf[QUEUE];
    size_t head, count; /* ring: count samples from head */
} mic_queue;

static int on_chunk(const pcm_f32 *chunk, void *user)
{
    mic_queue *q = user;
    pthread_mutex_lock(&q->lock);
    for (size_t i = 0; i < chunk->count; i++) {
        if (q->count == QUEUE) { /* the recogniser fell behind: drop the oldest */
            q->head = (q->head + 1) % QUEUE;
            q->count--;
        }
        q->buf[(q->head + q->count++) % QUEUE] = chunk->samples[i];
    }
    pthread_mutex_unlock(&q->lock);
    return interrupted ? 1 : 0;
}

static bool take_chunk(mic_queue *q, float *out)
{
    bool got = false;
    pthread_mutex_lock(&q->lock);
    if (q->count >= CHUNK) {
        for (size_t i = 0; i < CHUNK; i++)
            out[i] = q->buf[(q->head + i) % QUEUE];
        q->head = (q->head + CHUNK) % QUEUE;
        q->count -= CHUNK;
        got = true;
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

static double level_db(const float *x, size_t n)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    return 10.0 * log10(ss / (double)n + 1e-12);
}

static int run_mic(const app_context *app, voice_command_recognizer *rec, bool json)
{
    static mic_queue q; /* large: not on the stack */
    static float utt[MAX_UTT];
    memset(&q, 0, sizeof q);
    pthread_mutex_init(&q.lock, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sl_error err = {0};
    audio_in *in = NULL;
    if (audio_in_open(NULL, on_chunk, &q, &in, &err) != SL_OK) {
        pthread_mutex_destroy(&q.lock);
        return cli_fail(&err);
    }
    cli_note(app, "command: listening; say a command (Ctrl-C to stop)");
    /* The noise floor follows the quietest recent chunks; speech is 12 dB
     * above it. */
    double floor_db = -60.0;
    float chunk[CHUNK];
    size_t len = 0;
    int quiet = 0, loud = 0, rc = EXIT_OK;
    while (!interrupted && audio_in_running(in)) {
        if (!take_chunk(&q, chunk)) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        double db = level_db(chunk, CHUNK);
        floor_db = db < floor_db ? db : floor_db + 0.05; /* rises 0.5 dB/s */
        bool speech = db > floor_db + 12.0;
        if (!loud && !speech) { /* keep a short pre-roll */
            if (len >= PRE_ROLL * CHUNK) {
                memmove(utt, utt + CHUNK, (len - CHUNK) * sizeof *utt);
                len -= CHUNK;
            }
            memcpy(utt + len, chunk, sizeof chunk);
            len += CHUNK;
            continue;
        }
        if (len + CHUNK <= MAX_UTT) {
            memcpy(utt + len, chunk, sizeof chunk);
            len += CHUNK;
        }
        loud += speech;
        quiet = speech ? 0 : quiet + 1;
        if (quiet >= END_SILENCE || len + CHUNK > MAX_UTT) {
            voice_command_result r;
            if (loud >= 2) { /* 200 ms of speech at least */
                if (voice_command_recognize(rec, utt, len, &r, &err) != SL_OK) {
                    rc = cli_fail(&err);
                    break;
                }
                print_result(&r, json);
            }
            len = 0;
            loud = quiet = 0;
        }
    }
    sl_status st = audio_in_close(in, &err);
    pthread_mutex_destroy(&q.lock);
    if (rc == EXIT_OK && st != SL_OK)
        return cli_fail(&err);
    return rc == EXIT_OK && interrupted ? EXIT_OK : rc;
}

static int run_command(app_context *app, int argc, char **argv)
{
    const command *cmd = &cmd_command;
    const char *file = NULL, *model_dir = NULL;
    bool mic = false, json = false, opts_done = false;
    double threshold = VOICE_COMMAND_DEFAULT_THRESHOLD;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = true;
        } else if (!opts_done && strcmp(a, "--mic") == 0) {
            mic = true;
        } else if (!opts_done && strcmp(a, "--json") == 0) {
            json = true;
        } else if (!opts_done && strcmp(a, "--model-dir") == 0) {
            if (!has_next)
                return cli_usage_error(cmd, "--model-dir needs a folder");
            model_dir = argv[++i];
        } else if (!opts_done && strcmp(a, "--threshold") == 0) {
            if (!has_next || !cli_parse_double(argv[++i], 0.0, 1.0, &threshold))
                return cli_usage_error(cmd, "--threshold needs a value from 0 to 1");
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
    pcm_f32 audio = {0};
    if (file && audio_load_file(file, &audio, &err) != SL_OK)
        return cli_fail(&err);
    voice_command_options o;
    voice_command_options_default(&o);
    o.model_dir = model_dir;
    o.threshold = (float)threshold;
    voice_command_recognizer *rec = NULL;
    if (voice_command_open(&o, &rec, &err) != SL_OK) {
        pcm_f32_free(&audio);
        return cli_fail(&err);
    }
    int rc = EXIT_OK;
    if (mic) {
        rc = run_mic(app, rec, json);
    } else {
        voice_command_result r;
        if (voice_command_recognize(rec, audio.samples, audio.count, &r, &err) != SL_OK)
            rc = cli_fail(&err);
        else
            print_result(&r, json);
    }
    voice_command_close(rec);
    pcm_f32_free(&audio);
    return rc;
}

const command cmd_command = {
    .name = "command",
    .summary = "one spoken command (no Whisper needed): sightline command --mic",
    .help =
        "usage: sightline command FILE|--mic [--json] [--threshold T] [--model-dir DIR]\n"
        "\n"
        "Recognises one spoken command in an audio file (anything GStreamer decodes,\n"
        "at most 30 s), or listens to the microphone and recognises one command per\n"
        "utterance until Ctrl-C. It uses pocketsphinx's en-us model (Debian package\n"
        "pocketsphinx-en-us) with a fixed grammar of the appliance's phrases, so it\n"
        "needs no Whisper model; speech that is not a command is rejected, never\n"
        "printed as a transcript. Free-form transcription (meetings, questions) needs\n"
        "a Whisper model: scripts/get-models.sh whisper-base, then sightline transcribe.\n"
        "\n"
        "Phrases (command: what to say):\n"
        "  describe: describe, describe this, what do you see\n"
        "  read: read this, read, read the text\n"
        "  what_is_this: what is this, what is that\n"
        "  what_colour: what colour is it, which colour is it\n"
        "  ask: ask a question, i have a question\n"
        "  start_meeting: start meeting, begin meeting\n"
        "  stop_meeting: end meeting, finish the meeting\n"
        "  repeat: repeat, say that again\n"
        "  stop: stop talking, be quiet, cancel\n"
        "  faster / slower: speak faster / speak slower\n"
        "  help: help, what can you do\n"
        "  sign_mode: sign language mode, sign mode\n"
        "\n"
        "Output: one line per utterance, \"NAME<TAB>\"PHRASE\"<TAB>CONFIDENCE\" or\n"
        "\"(no command)\"; --json: {\"command\": NAME, \"phrase\": ..., \"confidence\": ...}\n"
        "or {\"command\": null} when nothing was recognised.\n"
        "\n"
        "  --json              one JSON object per utterance\n"
        "  --threshold T       least confidence (share of the speech the phrase\n"
        "                      explains) to accept, 0..1; default 0.5\n"
        "  --model-dir DIR     pocketsphinx model folder holding en-us/ and\n"
        "                      cmudict-en-us.dict (default\n"
        "                      /usr/share/pocketsphinx/model/en-us)\n"
        "\n"
        "Exit codes: 0 also when no command was heard; 2 usage, 3 unreadable audio,\n"
        "4 no microphone, 6 no pocketsphinx model, 7 audio longer than 30 s.\n"
        "\n"
        "Examples:\n"
        "  sightline command said.wav --json\n"
        "  sightline command --mic\n",
    .run = run_command,
};
