#include "speech/portaudio_internal.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef SL_HAVE_JACK
#include <jack/jack.h>
#endif

/* Process-wide PortAudio state (see portaudio_internal.h), under pa_lock. */
enum { PA_NOT_STARTED, PA_STARTING, PA_READY, PA_FAILED };
static pthread_mutex_t pa_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pa_changed = PTHREAD_COND_INITIALIZER;
static int pa_state = PA_NOT_STARTED;
static PaError pa_init_error;

static void drop_alsa_message(const char *file, int line, const char *function, int err,
                              const char *fmt, ...)
{
    (void)file, (void)line, (void)function, (void)err, (void)fmt;
}

#ifdef SL_HAVE_JACK
static void drop_jack_message(const char *msg)
{
    (void)msg;
}
#endif

static void *initialize(void *arg)
{
    (void)arg;
    PaError e = Pa_Initialize();
    pthread_mutex_lock(&pa_lock);
    pa_init_error = e;
    pa_state = e == paNoError ? PA_READY : PA_FAILED;
    pthread_cond_broadcast(&pa_changed);
    pthread_mutex_unlock(&pa_lock);
    return NULL;
}

static struct timespec deadline_after(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

sl_status speech_pa_start(int timeout_ms, sl_error *err)
{
    pthread_mutex_lock(&pa_lock);
    if (pa_state == PA_NOT_STARTED) {
        snd_lib_error_set_handler(drop_alsa_message);
#ifdef SL_HAVE_JACK
        jack_set_error_function(drop_jack_message);
        jack_set_info_function(drop_jack_message);
#endif
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, initialize, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            pthread_mutex_unlock(&pa_lock);
            return sl_fail(err, SL_ERR_DEVICE, "audio system: cannot start a thread: %s",
                           strerror(rc));
        }
        pa_state = PA_STARTING;
    }
    struct timespec until = deadline_after(timeout_ms);
    while (pa_state == PA_STARTING) {
        if (pthread_cond_timedwait(&pa_changed, &pa_lock, &until) == ETIMEDOUT)
            break;
    }
    int state = pa_state;
    PaError e = pa_init_error;
    pthread_mutex_unlock(&pa_lock);
    if (state == PA_STARTING)
        return sl_fail(err, SL_ERR_DEVICE, "audio system did not answer within %d ms",
                       timeout_ms);
    if (state == PA_FAILED)
        return sl_fail(err, SL_ERR_DEVICE, "audio system could not start: %s",
                       Pa_GetErrorText(e));
    return SL_OK;
}

const char *speech_pa_error_text(PaError e, char *buf, size_t cap)
{
    if (e == paUnanticipatedHostError) {
        const PaHostErrorInfo *h = Pa_GetLastHostErrorInfo();
        if (h && h->errorText && h->errorText[0]) {
            snprintf(buf, cap, "%s", h->errorText);
            return buf;
        }
    }
    snprintf(buf, cap, "%s", Pa_GetErrorText(e));
    return buf;
}

/* One Pa_OpenStream on a helper thread. Two owners (caller, helper); the
 * last to let go frees it. */
typedef struct open_job {
    PaStreamParameters input, output;
    int has_input, has_output;
    double rate;
    unsigned long frames;
    PaStream *stream;
    PaError result;
    int done;
    int abandoned;
    int refs;
    pthread_mutex_t lock;
    pthread_cond_t changed;
} open_job;

static void job_release(open_job *j)
{
    pthread_mutex_lock(&j->lock);
    int left = --j->refs;
    pthread_mutex_unlock(&j->lock);
    if (left == 0) {
        pthread_mutex_destroy(&j->lock);
        pthread_cond_destroy(&j->changed);
        free(j);
    }
}

static void *open_stream(void *arg)
{
    open_job *j = arg;
    PaStream *s = NULL;
    PaError e = Pa_OpenStream(&s, j->has_input ? &j->input : NULL,
                              j->has_output ? &j->output : NULL, j->rate, j->frames, paClipOff,
                              NULL, NULL);
    pthread_mutex_lock(&j->lock);
    int abandoned = j->abandoned;
    j->stream = e == paNoError ? s : NULL;
    j->result = e;
    j->done = 1;
    pthread_cond_broadcast(&j->changed);
    pthread_mutex_unlock(&j->lock);
    if (abandoned && e == paNoError)
        Pa_CloseStream(s);
    job_release(j);
    return NULL;
}

sl_status speech_pa_open(const PaStreamParameters *input, const PaStreamParameters *output,
                         double rate, unsigned long frames_per_buffer, int timeout_ms,
                         const char *what, PaStream **stream, sl_error *err)
{
    *stream = NULL;
    open_job *j = calloc(1, sizeof *j);
    if (!j)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", what);
    if (input)
        j->input = *input, j->has_input = 1;
    if (output)
        j->output = *output, j->has_output = 1;
    j->rate = rate;
    j->frames = frames_per_buffer;
    j->refs = 2;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->changed, NULL);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, open_stream, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        j->refs = 1;
        job_release(j);
        return sl_fail(err, SL_ERR_DEVICE, "%s: cannot start a thread: %s", what, strerror(rc));
    }
    struct timespec until = deadline_after(timeout_ms);
    pthread_mutex_lock(&j->lock);
    while (!j->done) {
        if (pthread_cond_timedwait(&j->changed, &j->lock, &until) == ETIMEDOUT)
            break;
    }
    int done = j->done;
    PaError e = j->result;
    PaStream *s = j->stream;
    if (!done)
        j->abandoned = 1;
    pthread_mutex_unlock(&j->lock);
    job_release(j);
    if (!done)
        return sl_fail(err, SL_ERR_DEVICE, "%s did not open within %d ms (busy or hung)", what,
                       timeout_ms);
    if (e != paNoError) {
        char text[200];
        return sl_fail(err, SL_ERR_DEVICE, "%s cannot be opened: %s", what,
                       speech_pa_error_text(e, text, sizeof text));
    }
    *stream = s;
    return SL_OK;
}
