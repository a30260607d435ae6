/* Why a file plays in real time: the appliance's ask and meeting paths then
 * see exactly what a microphone would give them (audio arriving while the
 * key is held, a meeting's pieces arriving over time). */
#include "app/appliance_mic.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "speech/audio_file.h"
#include "speech/audio_in.h"

#define CHUNK ((size_t)SPEECH_RATE * APPLIANCE_MIC_CHUNK_MS / 1000)
#define MAX_KEPT ((size_t)SPEECH_RATE * APPLIANCE_MIC_MAX_SECONDS)

struct appliance_mic {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pcm_f32 heard; /* guarded by mu */
    bool running;  /* guarded by mu */
    /* the microphone */
    audio_in *in;
    /* a file */
    bool is_file;
    pcm_f32 file;
    double speed;
    pthread_t player;
    bool player_started, quit;
};

static void heard_add(appliance_mic *m, const float *s, size_t n)
{
    pthread_mutex_lock(&m->mu);
    if (m->running && m->heard.count < MAX_KEPT) {
        if (n > MAX_KEPT - m->heard.count)
            n = MAX_KEPT - m->heard.count;
        /* Out of memory loses this chunk only: a gap, not a failure. */
        pcm_f32_append(&m->heard, s, n, NULL);
    }
    pthread_mutex_unlock(&m->mu);
}

static int on_chunk(const pcm_f32 *chunk, void *user)
{
    appliance_mic *m = user;
    heard_add(m, chunk->samples, chunk->count);
    return 0;
}

static void add_ns(struct timespec *t, long long ns)
{
    ns += t->tv_nsec;
    t->tv_sec += (time_t)(ns / 1000000000LL);
    t->tv_nsec = (long)(ns % 1000000000LL);
}

/* Plays the file: one chunk per chunk time (divided by speed). */
static void *player_main(void *p)
{
    appliance_mic *m = p;
    long long step_ns = (long long)(APPLIANCE_MIC_CHUNK_MS * 1e6 / m->speed);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    size_t pos = 0;
    pthread_mutex_lock(&m->mu);
    while (!m->quit && m->running && pos < m->file.count) {
        add_ns(&next, step_ns);
        int rc = 0;
        while (!m->quit && m->running && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&m->cv, &m->mu, &next);
        if (m->quit || !m->running)
            break;
        size_t n = m->file.count - pos < CHUNK ? m->file.count - pos : CHUNK;
        if (m->heard.count < MAX_KEPT) {
            size_t k = n < MAX_KEPT - m->heard.count ? n : MAX_KEPT - m->heard.count;
            pcm_f32_append(&m->heard, m->file.samples + pos, k, NULL);
        }
        pos += n;
    }
    m->running = false;
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

sl_status appliance_mic_open(const char *file, double speed, appliance_mic **out, sl_error *err)
{
    *out = NULL;
    if (file && !(speed > 0 && speed <= 1000))
        return sl_fail(err, SL_ERR_ARG, "%s: play speed %g is not in (0, 1000]", file, speed);
    appliance_mic *m = calloc(1, sizeof *m);
    if (!m)
        return sl_fail(err, SL_ERR_NOMEM, "microphone: out of memory");
    if (file) {
        sl_status st = audio_load_file(file, &m->file, err);
        if (st != SL_OK) {
            free(m);
            return st;
        }
        m->is_file = true;
        m->speed = speed;
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    m->heard.rate = SPEECH_RATE;
    *out = m;
    return SL_OK;
}

bool appliance_mic_is_file(const appliance_mic *m)
{
    return m->is_file;
}

sl_status appliance_mic_start(appliance_mic *m, sl_error *err)
{
    appliance_mic_stop(m);
    pthread_mutex_lock(&m->mu);
    m->heard.count = 0;
    m->running = true;
    m->quit = false;
    pthread_mutex_unlock(&m->mu);
    if (m->is_file) {
        if (pthread_create(&m->player, NULL, player_main, m) != 0) {
            pthread_mutex_lock(&m->mu);
            m->running = false;
            pthread_mutex_unlock(&m->mu);
            return sl_fail(err, SL_ERR_INTERNAL, "microphone file: cannot start its thread");
        }
        m->player_started = true;
        return SL_OK;
    }
    audio_in_options o;
    audio_in_options_default(&o);
    o.chunk_ms = APPLIANCE_MIC_CHUNK_MS;
    sl_status st = audio_in_open(&o, on_chunk, m, &m->in, err);
    if (st != SL_OK) {
        m->in = NULL;
        pthread_mutex_lock(&m->mu);
        m->running = false;
        pthread_mutex_unlock(&m->mu);
    }
    return st;
}

void appliance_mic_stop(appliance_mic *m)
{
    pthread_mutex_lock(&m->mu);
    m->running = false;
    m->quit = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (m->player_started) {
        pthread_join(m->player, NULL);
        m->player_started = false;
    }
    if (m->in) {
        /* The device's own error ends hearing, as a stop does. */
        audio_in_close(m->in, NULL);
        m->in = NULL;
    }
}

bool appliance_mic_running(appliance_mic *m)
{
    pthread_mutex_lock(&m->mu);
    bool r = m->running;
    pthread_mutex_unlock(&m->mu);
    if (r && m->in && !audio_in_running(m->in))
        r = false;
    return r;
}

sl_status appliance_mic_take(appliance_mic *m, pcm_f32 *out, sl_error *err)
{
    pthread_mutex_lock(&m->mu);
    out->rate = SPEECH_RATE;
    sl_status st = pcm_f32_append(out, m->heard.samples, m->heard.count, err);
    if (st == SL_OK)
        m->heard.count = 0;
    pthread_mutex_unlock(&m->mu);
    return st;
}

void appliance_mic_close(appliance_mic *m)
{
    if (!m)
        return;
    appliance_mic_stop(m);
    pcm_f32_free(&m->heard);
    pcm_f32_free(&m->file);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}
