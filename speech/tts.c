#include "speech/tts.h"

#include <espeak-ng/espeak_ng.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Process-wide espeak-ng state (see tts.h): written once under init_once,
 * then only read; the synthesizer itself is used under tts_lock. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t tts_lock = PTHREAD_MUTEX_INITIALIZER;
static char init_error[256];
static int espeak_rate;

static int collect_samples(short *wav, int n, espeak_EVENT *events);

static void tts_init_once(void)
{
    espeak_ng_ERROR_CONTEXT ctx = NULL;
    espeak_ng_InitializePath(NULL);
    espeak_ng_STATUS s = espeak_ng_Initialize(&ctx);
    if (s == ENS_OK)
        s = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, NULL);
    if (s != ENS_OK) {
        char msg[200];
        espeak_ng_GetStatusCodeMessage(s, msg, sizeof msg);
        snprintf(init_error, sizeof init_error, "%s", msg);
        espeak_ng_ClearErrorContext(&ctx);
        return;
    }
    espeak_ng_ClearErrorContext(&ctx);
    espeak_SetSynthCallback(collect_samples);
    espeak_rate = espeak_ng_GetSampleRate();
    if (espeak_rate < 1 || espeak_rate > PCM_MAX_RATE)
        snprintf(init_error, sizeof init_error, "unexpected sample rate %d Hz", espeak_rate);
}

void tts_options_default(tts_options *o)
{
    o->voice = NULL;
    o->rate_wpm = 0;
    o->pitch = -1;
    o->volume = -1;
}

/* Where the callback puts the samples of one call; reached through the
 * user_data of espeak's events. */
typedef struct sample_sink {
    int16_t *samples;
    size_t count;
    size_t capacity;
    int out_of_memory;
} sample_sink;

static int collect_samples(short *wav, int n, espeak_EVENT *events)
{
    sample_sink *sink = events ? events[0].user_data : NULL;
    if (!sink)
        return 1;
    if (!wav || n <= 0)
        return 0;
    size_t need = sink->count + (size_t)n;
    if (need > sink->capacity) {
        size_t cap = sink->capacity ? sink->capacity : 16384;
        while (cap < need)
            cap *= 2;
        int16_t *grown = realloc(sink->samples, cap * sizeof(int16_t));
        if (!grown) {
            sink->out_of_memory = 1;
            return 1; /* stops the synthesis */
        }
        sink->samples = grown;
        sink->capacity = cap;
    }
    memcpy(sink->samples + sink->count, wav, (size_t)n * sizeof(int16_t));
    sink->count = need;
    return 0;
}

/* A voice name goes into espeak's voice lookup, which builds file paths
 * from it: allow no path separators and nothing unprintable. */
static int voice_name_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 64 || v[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c >= 0x7F || c == '/' || c == '\\')
            return 0;
    }
    return 1;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static sl_status check_options(const tts_options *o, sl_error *err)
{
    if (o->rate_wpm != 0 && (o->rate_wpm < TTS_RATE_MIN || o->rate_wpm > TTS_RATE_MAX))
        return sl_fail(err, SL_ERR_ARG, "speech rate %d words per minute is out of range (%d..%d)",
                       o->rate_wpm, TTS_RATE_MIN, TTS_RATE_MAX);
    if (o->pitch != -1 && (o->pitch < 0 || o->pitch > 100))
        return sl_fail(err, SL_ERR_ARG, "speech pitch %d is out of range (0..100)", o->pitch);
    if (o->volume != -1 && (o->volume < 0 || o->volume > 200))
        return sl_fail(err, SL_ERR_ARG, "speech volume %d is out of range (0..200)", o->volume);
    if (o->voice && !voice_name_ok(o->voice))
        return sl_fail(err, SL_ERR_ARG, "voice '%.64s' is not a valid espeak-ng voice name",
                       o->voice);
    return SL_OK;
}

/* Runs under tts_lock. */
static sl_status synthesize_locked(const char *text, size_t len, const tts_options *o,
                                   sample_sink *sink, sl_error *err)
{
    const char *voice = o->voice ? o->voice : ESPEAKNG_DEFAULT_VOICE;
    espeak_ng_STATUS s = espeak_ng_SetVoiceByName(voice);
    if (s == ENS_VOICE_NOT_FOUND)
        return sl_fail(err, SL_ERR_ARG, "voice '%s' is not an installed espeak-ng voice "
                       "(espeak-ng --voices lists them)", voice);
    if (s != ENS_OK) {
        char msg[200];
        espeak_ng_GetStatusCodeMessage(s, msg, sizeof msg);
        return sl_fail(err, SL_ERR_ARG, "voice '%s': %s", voice, msg);
    }
    /* The parameters are global and persist: set every one on every call. */
    int rate = o->rate_wpm ? o->rate_wpm : TTS_RATE_DEFAULT;
    int pitch = o->pitch >= 0 ? o->pitch : TTS_PITCH_DEFAULT;
    int volume = o->volume >= 0 ? o->volume : TTS_VOLUME_DEFAULT;
    if (espeak_ng_SetParameter(espeakRATE, rate, 0) != ENS_OK ||
        espeak_ng_SetParameter(espeakPITCH, pitch, 0) != ENS_OK ||
        espeak_ng_SetParameter(espeakVOLUME, volume, 0) != ENS_OK)
        return sl_fail(err, SL_ERR_INTERNAL, "espeak-ng refused the speech parameters");
    s = espeak_ng_Synthesize(text, len + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, sink);
    if (sink->out_of_memory)
        return sl_fail(err, SL_ERR_NOMEM, "speech synthesis: out of memory after %zu samples",
                       sink->count);
    if (s != ENS_OK) {
        char msg[200];
        espeak_ng_GetStatusCodeMessage(s, msg, sizeof msg);
        return sl_fail(err, SL_ERR_INTERNAL, "espeak-ng: %s", msg);
    }
    return SL_OK;
}

sl_status tts_synthesize(const char *utf8_text, const tts_options *o, pcm_s16 *out,
                         sl_error *err)
{
    memset(out, 0, sizeof *out);
    tts_options defaults;
    if (!o) {
        tts_options_default(&defaults);
        o = &defaults;
    }
    if (!utf8_text)
        return sl_fail(err, SL_ERR_ARG, "speech synthesis: no text given");
    sl_status st = check_options(o, err);
    if (st != SL_OK)
        return st;
    size_t len = strlen(utf8_text);
    if (len > TTS_MAX_TEXT_BYTES)
        return sl_fail(err, SL_ERR_LIMIT, "speech synthesis: %zu bytes of text is over the limit "
                       "of %u", len, TTS_MAX_TEXT_BYTES);
    if (!utf8_valid((const unsigned char *)utf8_text, len))
        return sl_fail(err, SL_ERR_ARG, "speech synthesis: the text is not valid UTF-8");

    pthread_once(&init_once, tts_init_once);
    if (init_error[0])
        return sl_fail(err, SL_ERR_UNSUPPORTED, "espeak-ng could not start: %s", init_error);

    sample_sink sink = {0};
    pthread_mutex_lock(&tts_lock);
    st = synthesize_locked(utf8_text, len, o, &sink, err);
    pthread_mutex_unlock(&tts_lock);
    if (st != SL_OK) {
        free(sink.samples);
        return st;
    }
    if (!sink.samples) /* nothing to say: still a valid, empty buffer */
        return pcm_s16_alloc(out, espeak_rate, 1, 0, err);
    /* The buffer is handed over as it is (pcm_s16_free frees it). */
    out->rate = espeak_rate;
    out->channels = 1;
    out->frames = sink.count;
    out->samples = sink.samples;
    return SL_OK;
}
