/* Helpers for the speech tests: catching what a call writes to stderr,
 * test signals, one-line error checks. */
#ifndef SIGHTLINE_TESTS_SPEECH_TEST_H
#define SIGHTLINE_TESTS_SPEECH_TEST_H

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "speech/speech.h"
#include "tests/support.h"

/* Sends stdout and stderr (fds 1 and 2) to a temporary file until
 * stderr_capture_end, which returns what was written to either (malloc'ed,
 * "" when nothing): libraries must print nothing. */
typedef struct stderr_capture {
    int saved_out, saved_err;
    char path[64];
} stderr_capture;

static inline void stderr_capture_begin(stderr_capture *c)
{
    fflush(stdout);
    fflush(stderr);
    snprintf(c->path, sizeof c->path, "/tmp/sightline-output-XXXXXX");
    int fd = mkstemp(c->path);
    assert_true(fd >= 0);
    c->saved_out = dup(1);
    c->saved_err = dup(2);
    assert_true(c->saved_out >= 0 && c->saved_err >= 0);
    assert_true(dup2(fd, 1) >= 0 && dup2(fd, 2) >= 0);
    close(fd);
}

static inline char *stderr_capture_end(stderr_capture *c)
{
    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(c->saved_out, 1) >= 0 && dup2(c->saved_err, 2) >= 0);
    close(c->saved_out);
    close(c->saved_err);
    size_t n = 0;
    unsigned char *text = read_file_bytes(c->path, &n);
    unlink(c->path);
    assert_non_null(text);
    return (char *)text;
}

/* An sl_error message is one line that names what it is about. */
static inline void assert_one_line_naming(const sl_error *e, const char *name)
{
    assert_true(e->msg[0] != 0);
    assert_null(strchr(e->msg, '\n'));
    if (name && !strstr(e->msg, name)) {
        print_error("message '%s' does not name '%s'\n", e->msg, name);
        fail();
    }
}

static inline double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* amplitude * sin(2 pi f t + phase) at rate, n samples. */
static inline void make_sine(float *out, size_t n, double f, int rate, double amplitude,
                             double phase)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (float)(amplitude * sin(2.0 * M_PI * f * (double)i / rate + phase));
}

/* The frequency of a clean sine from its upward zero crossings (linearly
 * interpolated) between samples from and to. */
static inline double sine_frequency(const float *x, size_t from, size_t to, int rate)
{
    double first = -1.0, last = -1.0;
    int crossings = 0;
    for (size_t i = from + 1; i < to; i++) {
        if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
            double t = (double)(i - 1) + (double)x[i - 1] / ((double)x[i - 1] - (double)x[i]);
            if (first < 0.0)
                first = t;
            else
                crossings++;
            last = t;
        }
    }
    if (crossings < 1)
        return 0.0;
    return (double)crossings * rate / (last - first);
}

/* Whether the kernel knows any sound card (the no-device tests skip on a
 * machine that has one). */
static inline int machine_has_sound_card(void)
{
    size_t n = 0;
    unsigned char *cards = read_file_bytes("/proc/asound/cards", &n);
    int has = cards && n > 0 && !strstr((const char *)cards, "no soundcards");
    free(cards);
    return has;
}

/* Points ALSA's default device at its null plugin (plays into nothing,
 * records silence) through an .asoundrc in a new HOME. Call before the first
 * PortAudio use; returns the folder to remove at the end. */
static inline char *use_null_alsa_device(void)
{
    char *home = temp_dir_create();
    if (!home)
        return NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/.asoundrc", home);
    static const char conf[] = "pcm.!default { type null }\n";
    if (write_file_bytes(path, conf, sizeof conf - 1) != 0 || setenv("HOME", home, 1) != 0) {
        temp_dir_remove(home);
        return NULL;
    }
    return home;
}

#endif
