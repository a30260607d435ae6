#include "speech/audio_in.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "speech/portaudio_internal.h"
#include "speech/resample.h"

struct audio_in {
    PaStream *stream;
    resampler *rs;
    audio_in_chunk_fn fn;
    void *user;
    int device_rate;
    size_t device_frames; /* frames per read at device_rate */
    float *device_buf;
    pcm_f32 pending;      /* resampled, not yet handed to fn */
    size_t chunk_samples; /* what fn gets each time, at SPEECH_RATE */
    pthread_t thread;
    int stop;             /* set by audio_in_close; read with __atomic */
    int running;          /* cleared by the capture thread when it ends */
    sl_error failure;     /* why the capture thread stopped on its own */
    sl_status failure_code;
};

void audio_in_options_default(audio_in_options *o)
{
    o->chunk_ms = 0;
    o->native_rate = 0;
}

static void *capture(void *arg)
{
    audio_in *a = arg;
    while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
        PaError e = Pa_ReadStream(a->stream, a->device_buf, (unsigned long)a->device_frames);
        /* An overflow means samples were lost while we were late; what we
         * got is still good. */
        if (e != paNoError && e != paInputOverflowed) {
            char text[200];
            a->failure_code = sl_fail(&a->failure, SL_ERR_DEVICE,
                                      "microphone failed while recording: %s",
                                      speech_pa_error_text(e, text, sizeof text));
            break;
        }
        /* Device samples are trusted no more than a file's: a broken
         * driver (ALSA's null plugin, for one) hands over whatever memory
         * it had, NaN included, which would poison everything after. */
        for (size_t i = 0; i < a->device_frames; i++) {
            float x = a->device_buf[i];
            a->device_buf[i] = !isfinite(x) ? 0.0f : x > 1.0f ? 1.0f : x < -1.0f ? -1.0f : x;
        }
        sl_status st = resampler_process(a->rs, a->device_buf, a->device_frames, &a->pending,
                                         &a->failure);
        if (st != SL_OK) {
            a->failure_code = st;
            break;
        }
        /* soxr hands out its output in bursts: fn gets even chunks. */
        int stop = 0;
        while (!stop && a->pending.count >= a->chunk_samples) {
            pcm_f32 view = {SPEECH_RATE, a->chunk_samples, a->chunk_samples,
                            a->pending.samples};
            stop = a->fn(&view, a->user) != 0;
            pcm_f32_consume(&a->pending, a->chunk_samples);
        }
        if (stop)
            break;
    }
    __atomic_store_n(&a->running, 0, __ATOMIC_RELEASE);
    return NULL;
}

static void audio_in_free(audio_in *a)
{
    if (a->stream)
        Pa_CloseStream(a->stream);
    resampler_close(a->rs);
    free(a->device_buf);
    pcm_f32_free(&a->pending);
    free(a);
}

sl_status audio_in_open(const audio_in_options *o, audio_in_chunk_fn fn, void *user,
                        audio_in **out, sl_error *err)
{
    *out = NULL;
    audio_in_options defaults;
    if (!o) {
        audio_in_options_default(&defaults);
        o = &defaults;
    }
    int chunk_ms = o->chunk_ms ? o->chunk_ms : 100;
    if (chunk_ms < 10 || chunk_ms > 1000)
        return sl_fail(err, SL_ERR_ARG, "microphone: chunk of %d ms is out of range (10..1000)",
                       o->chunk_ms);
    if (!fn)
        return sl_fail(err, SL_ERR_ARG, "microphone: no function to receive the audio");
    sl_status st = speech_pa_start(SPEECH_PA_START_TIMEOUT_MS, err);
    if (st != SL_OK)
        return st;
    PaDeviceIndex dev = Pa_GetDefaultInputDevice();
    const PaDeviceInfo *info = dev == paNoDevice ? NULL : Pa_GetDeviceInfo(dev);
    if (!info || info->maxInputChannels < 1)
        return sl_fail(err, SL_ERR_DEVICE, "no microphone found");

    PaStreamParameters p = {0};
    p.device = dev;
    p.channelCount = 1;
    p.sampleFormat = paFloat32;
    p.suggestedLatency = info->defaultHighInputLatency;
    /* Ask for SPEECH_RATE itself first: most devices resample better in
     * hardware or in the sound server than nothing at all. */
    int rate = SPEECH_RATE;
    if (o->native_rate || Pa_IsFormatSupported(&p, NULL, rate) != paFormatIsSupported) {
        rate = (int)(info->defaultSampleRate + 0.5);
        if (rate < 1 || rate > PCM_MAX_RATE ||
            Pa_IsFormatSupported(&p, NULL, rate) != paFormatIsSupported)
            return sl_fail(err, SL_ERR_DEVICE,
                           "microphone '%s' takes neither %d Hz nor %d Hz mono float audio",
                           info->name, SPEECH_RATE, rate);
    }

    audio_in *a = calloc(1, sizeof *a);
    if (!a)
        return sl_fail(err, SL_ERR_NOMEM, "microphone: out of memory");
    a->fn = fn;
    a->user = user;
    a->device_rate = rate;
    a->device_frames = (size_t)rate * (size_t)chunk_ms / 1000;
    if (a->device_frames == 0)
        a->device_frames = 1;
    a->device_buf = malloc(a->device_frames * sizeof(float));
    if (!a->device_buf) {
        audio_in_free(a);
        return sl_fail(err, SL_ERR_NOMEM, "microphone: out of memory");
    }
    a->chunk_samples = (size_t)SPEECH_RATE * (size_t)chunk_ms / 1000;
    st = pcm_f32_alloc(&a->pending, SPEECH_RATE, 0, err);
    if (st == SL_OK)
        st = pcm_f32_reserve(&a->pending, 3 * a->chunk_samples + 4096, err);
    if (st == SL_OK)
        st = resampler_open(rate, SPEECH_RATE, &a->rs, err);
    char what[200];
    snprintf(what, sizeof what, "microphone '%s'", info->name);
    if (st == SL_OK)
        st = speech_pa_open(&p, NULL, rate, (unsigned long)a->device_frames,
                            SPEECH_PA_OPEN_TIMEOUT_MS, what, &a->stream, err);
    if (st == SL_OK) {
        PaError e = Pa_StartStream(a->stream);
        if (e != paNoError) {
            char text[200];
            st = sl_fail(err, SL_ERR_DEVICE, "%s cannot start: %s", what,
                         speech_pa_error_text(e, text, sizeof text));
        }
    }
    if (st == SL_OK) {
        a->running = 1;
        int rc = pthread_create(&a->thread, NULL, capture, a);
        if (rc != 0) {
            a->running = 0;
            Pa_AbortStream(a->stream);
            st = sl_fail(err, SL_ERR_DEVICE, "%s: cannot start the capture thread: %s", what,
                         strerror(rc));
        }
    }
    if (st != SL_OK) {
        audio_in_free(a);
        return st;
    }
    *out = a;
    return SL_OK;
}

int audio_in_running(audio_in *a)
{
    return __atomic_load_n(&a->running, __ATOMIC_ACQUIRE);
}

sl_status audio_in_close(audio_in *a, sl_error *err)
{
    if (!a)
        return SL_OK;
    __atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
    pthread_join(a->thread, NULL);
    Pa_AbortStream(a->stream);
    sl_status st = a->failure_code;
    if (st != SL_OK && err)
        *err = a->failure;
    audio_in_free(a);
    return st;
}

typedef struct recording {
    pcm_f32 *out;
    size_t want;
    sl_status status;
    sl_error err;
} recording;

static int keep_chunk(const pcm_f32 *chunk, void *user)
{
    recording *r = user;
    size_t room = r->want - r->out->count;
    size_t n = chunk->count < room ? chunk->count : room;
    r->status = pcm_f32_append(r->out, chunk->samples, n, &r->err);
    return r->status != SL_OK || r->out->count >= r->want;
}

sl_status audio_in_record(double seconds, pcm_f32 *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(seconds > 0.0 && seconds <= 3600.0))
        return sl_fail(err, SL_ERR_ARG, "microphone: recording length %g s is out of range "
                       "(0..3600)", seconds);
    recording r = {0};
    r.out = out;
    r.want = (size_t)(seconds * SPEECH_RATE + 0.5);
    sl_status st = pcm_f32_alloc(out, SPEECH_RATE, 0, err);
    if (st == SL_OK)
        st = pcm_f32_reserve(out, r.want, err);
    audio_in *a = NULL;
    if (st == SL_OK)
        st = audio_in_open(NULL, keep_chunk, &r, &a, err);
    if (st != SL_OK) {
        pcm_f32_free(out);
        return st;
    }
    /* The capture thread stops itself once it has enough. */
    while (audio_in_running(a)) {
        struct timespec nap = {0, 10 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    st = audio_in_close(a, err);
    if (st == SL_OK && r.status != SL_OK) {
        st = r.status;
        if (err)
            *err = r.err;
    }
    if (st != SL_OK)
        pcm_f32_free(out);
    return st;
}
