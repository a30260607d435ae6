/* Voice commands: pocketsphinx with a JSGF grammar built from the table
 * below. The confidence compares the grammar's best path with an
 * unconstrained phone loop over the same audio (the en-us phone language
 * model): speech that is a command scores almost as well under the grammar as
 * under the phone loop, other speech and noise much worse. */
#include "speech/voice_command.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pocketsphinx.h>

#include "speech/pcm.h"

typedef struct phrase_entry {
    voice_command_id id;
    const char *text; /* lower case, words of cmudict-en-us */
} phrase_entry;

static const phrase_entry phrases[] = {
    {VOICE_CMD_DESCRIBE, "describe"},
    {VOICE_CMD_DESCRIBE, "describe this"},
    {VOICE_CMD_DESCRIBE, "describe the scene"},
    {VOICE_CMD_DESCRIBE, "what do you see"},
    {VOICE_CMD_READ, "read"},
    {VOICE_CMD_READ, "read this"},
    {VOICE_CMD_READ, "read the text"},
    {VOICE_CMD_READ, "read it"},
    {VOICE_CMD_WHAT_IS_THIS, "what is this"},
    {VOICE_CMD_WHAT_IS_THIS, "what is that"},
    {VOICE_CMD_WHAT_IS_THIS, "what's this"},
    {VOICE_CMD_WHAT_COLOUR, "what colour is it"},
    {VOICE_CMD_WHAT_COLOUR, "what colour is this"},
    {VOICE_CMD_WHAT_COLOUR, "which colour is it"},
    {VOICE_CMD_ASK, "ask"},
    {VOICE_CMD_ASK, "question"},
    {VOICE_CMD_ASK, "i have a question"},
    {VOICE_CMD_START_MEETING, "start meeting"},
    {VOICE_CMD_START_MEETING, "start the meeting"},
    {VOICE_CMD_START_MEETING, "begin meeting"},
    {VOICE_CMD_STOP_MEETING, "stop meeting"},
    {VOICE_CMD_STOP_MEETING, "stop the meeting"},
    {VOICE_CMD_STOP_MEETING, "end meeting"},
    {VOICE_CMD_STOP_MEETING, "end the meeting"},
    {VOICE_CMD_REPEAT, "repeat"},
    {VOICE_CMD_REPEAT, "repeat that"},
    {VOICE_CMD_REPEAT, "say that again"},
    {VOICE_CMD_STOP, "stop"},
    {VOICE_CMD_STOP, "be quiet"},
    {VOICE_CMD_STOP, "cancel"},
    {VOICE_CMD_FASTER, "faster"},
    {VOICE_CMD_FASTER, "speak faster"},
    {VOICE_CMD_SLOWER, "slower"},
    {VOICE_CMD_SLOWER, "speak slower"},
    {VOICE_CMD_HELP, "help"},
    {VOICE_CMD_HELP, "what can you do"},
    {VOICE_CMD_SIGN_MODE, "sign mode"},
    {VOICE_CMD_SIGN_MODE, "sign language"},
    {VOICE_CMD_SIGN_MODE, "sign language mode"},
};
#define N_PHRASES (sizeof phrases / sizeof phrases[0])

static const char *const command_names[VOICE_CMD_COUNT] = {
    "none", "describe", "read", "what_is_this", "what_colour", "ask", "start_meeting",
    "stop_meeting", "repeat", "stop", "faster", "slower", "help", "sign_mode",
};

struct voice_command_recognizer {
    ps_decoder_t *ps;
    float threshold;
};

/* Per-frame log-likelihood gap (natural log) at which the confidence is
 * 1/e: calibrated on the synthetic command set (tests/speech). */
#define GAP_SCALE 0.25

void voice_command_options_default(voice_command_options *o)
{
    o->model_dir = NULL;
    o->threshold = VOICE_COMMAND_DEFAULT_THRESHOLD;
}

const char *voice_command_name(voice_command_id id)
{
    if ((int)id < 0 || id >= VOICE_CMD_COUNT)
        return NULL;
    return command_names[id];
}

const char *voice_command_phrase(size_t index, voice_command_id *id_out)
{
    if (index >= N_PHRASES)
        return NULL;
    if (id_out)
        *id_out = phrases[index].id;
    return phrases[index].text;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* "what's" is spelled "what's" in cmudict; JSGF tokens may hold the quote. */
static char *build_grammar(void)
{
    size_t n = 128;
    for (size_t i = 0; i < N_PHRASES; i++)
        n += strlen(phrases[i].text) + 8;
    char *g = malloc(n);
    if (!g)
        return NULL;
    size_t len = (size_t)snprintf(g, n, "#JSGF V1.0;\ngrammar commands;\npublic <command> = ");
    for (size_t i = 0; i < N_PHRASES; i++)
        len += (size_t)snprintf(g + len, n - len, "%s(%s)", i ? " | " : "", phrases[i].text);
    snprintf(g + len, n - len, ";\n");
    return g;
}

sl_status voice_command_open(const voice_command_options *o, voice_command_recognizer **out,
                             sl_error *err)
{
    *out = NULL;
    voice_command_options d;
    if (!o) {
        voice_command_options_default(&d);
        o = &d;
    }
    if (!(o->threshold >= 0.0f && o->threshold <= 1.0f))
        return sl_fail(err, SL_ERR_ARG, "voice command threshold %g is outside 0..1",
                       (double)o->threshold);
    const char *dir = o->model_dir ? o->model_dir : VOICE_COMMAND_DEFAULT_MODEL_DIR;
    char hmm[1024], dict[1024], phone_lm[1024], mdef[1100];
    if ((size_t)snprintf(hmm, sizeof hmm, "%s/en-us", dir) >= sizeof hmm ||
        (size_t)snprintf(dict, sizeof dict, "%s/cmudict-en-us.dict", dir) >= sizeof dict ||
        (size_t)snprintf(phone_lm, sizeof phone_lm, "%s/en-us-phone.lm.bin", dir) >=
            sizeof phone_lm)
        return sl_fail(err, SL_ERR_ARG, "%s: model folder path too long", dir);
    snprintf(mdef, sizeof mdef, "%s/mdef", hmm);
    const char *need[] = {mdef, dict, phone_lm};
    for (size_t i = 0; i < 3; i++)
        if (!file_exists(need[i]))
            return sl_fail(err, SL_ERR_MODEL,
                           "%s: missing (pocketsphinx's en-us model: install pocketsphinx-en-us)",
                           need[i]);

    cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict", dict,
                                   "-logfn", "/dev/null", "-samprate", "16000", NULL);
    if (!config)
        return sl_fail(err, SL_ERR_MODEL, "%s: pocketsphinx rejected the configuration", dir);
    ps_decoder_t *ps = ps_init(config);
    cmd_ln_free_r(config);
    if (!ps)
        return sl_fail(err, SL_ERR_MODEL, "%s: pocketsphinx could not load the en-us model", hmm);
    char *g = build_grammar();
    if (!g) {
        ps_free(ps);
        return sl_fail(err, SL_ERR_NOMEM, "voice commands: out of memory for the grammar");
    }
    int rc = ps_set_jsgf_string(ps, "commands", g);
    free(g);
    if (rc != 0) {
        ps_free(ps);
        return sl_fail(err, SL_ERR_INTERNAL, "voice commands: pocketsphinx rejected the grammar");
    }
    /* A phone loop without the phone language model: the model made the
     * search ten times slower for no gain in telling commands apart. */
    if (ps_set_allphone(ps, "phones", NULL) != 0) {
        ps_free(ps);
        return sl_fail(err, SL_ERR_MODEL, "%s: pocketsphinx could not load the phone model",
                       phone_lm);
    }
    voice_command_recognizer *r = calloc(1, sizeof *r);
    if (!r) {
        ps_free(ps);
        return sl_fail(err, SL_ERR_NOMEM, "voice commands: out of memory");
    }
    r->ps = ps;
    r->threshold = o->threshold;
    *out = r;
    return SL_OK;
}

void voice_command_close(voice_command_recognizer *r)
{
    if (!r)
        return;
    ps_free(r->ps);
    free(r);
}

/* Decodes pcm with the named search; *score gets the best path's score
 * (pocketsphinx log units), *frames the frame count. */
static int decode(ps_decoder_t *ps, const char *search, const int16_t *pcm, size_t n,
                  const char **hyp, int32 *score, int *frames)
{
    if (ps_set_search(ps, search) != 0 || ps_start_utt(ps) != 0)
        return -1;
    if (ps_process_raw(ps, pcm, n, FALSE, TRUE) < 0) {
        ps_end_utt(ps);
        return -1;
    }
    if (ps_end_utt(ps) != 0)
        return -1;
    *score = 0;
    *hyp = ps_get_hyp(ps, score);
    *frames = ps_get_n_frames(ps);
    return 0;
}

sl_status voice_command_recognize(voice_command_recognizer *r, const float *samples,
                                  size_t count, voice_command_result *out, sl_error *err)
{
    out->id = VOICE_CMD_NONE;
    out->phrase = "";
    out->confidence = 0.0f;
    if (!r || (!samples && count))
        return sl_fail(err, SL_ERR_ARG, "voice_command_recognize: no recognizer or samples");
    if (count > (size_t)VOICE_COMMAND_MAX_SECONDS * SPEECH_RATE)
        return sl_fail(err, SL_ERR_LIMIT, "voice command audio of %.1f s is longer than %d s",
                       (double)count / SPEECH_RATE, VOICE_COMMAND_MAX_SECONDS);
    if (count < SPEECH_RATE / 10) /* under 100 ms: no word fits */
        return SL_OK;
    int16_t *pcm = malloc(count * sizeof *pcm);
    if (!pcm)
        return sl_fail(err, SL_ERR_NOMEM, "voice commands: out of memory for %zu samples", count);
    for (size_t i = 0; i < count; i++) {
        float v = samples[i];
        v = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
        if (v != v)
            v = 0.0f;
        pcm[i] = (int16_t)lrintf(v * 32767.0f);
    }
    const char *hyp = NULL, *phones = NULL;
    int32 gscore = 0, pscore = 0;
    int gframes = 0, pframes = 0;
    int rc = decode(r->ps, "commands", pcm, count, &hyp, &gscore, &gframes);
    /* The hypothesis string lives in the decoder until the next search. */
    char heard[256] = "";
    if (rc == 0 && hyp)
        snprintf(heard, sizeof heard, "%s", hyp);
    if (rc == 0)
        rc = decode(r->ps, "phones", pcm, count, &phones, &pscore, &pframes);
    free(pcm);
    if (rc != 0)
        return sl_fail(err, SL_ERR_INTERNAL, "voice commands: pocketsphinx failed to decode");
    if (!heard[0] || gframes <= 0)
        return SL_OK;
    const phrase_entry *match = NULL;
    for (size_t i = 0; i < N_PHRASES && !match; i++)
        if (strcmp(phrases[i].text, heard) == 0)
            match = &phrases[i];
    if (!match)
        return SL_OK;
    double gap = logmath_log_to_ln(ps_get_logmath(r->ps), gscore - pscore) / gframes;
    double conf = gap >= 0 ? 1.0 : exp(gap / GAP_SCALE);
    out->confidence = (float)conf;
    if (conf >= r->threshold) {
        out->id = match->id;
        out->phrase = match->text;
    }
    return SL_OK;
}
