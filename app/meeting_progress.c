#include "app/meeting_progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

void meeting_progress_text(double fraction, double elapsed_s, char *buf, size_t n)
{
    if (!(fraction > 0))
        fraction = 0;
    if (fraction >= 1) {
        snprintf(buf, n, "100%% done");
        return;
    }
    int pct = (int)floor(fraction * 100);
    if (fraction < 0.02 || !(elapsed_s >= 0.5)) {
        snprintf(buf, n, "%d%% done", pct);
        return;
    }
    double left = elapsed_s * (1 - fraction) / fraction;
    /* Whole seconds; a day or more is said in hours. */
    long s = left > 1e7 ? 10000000L : (long)(left + 0.5);
    if (s < 60)
        snprintf(buf, n, "%d%% done, about %ld s left", pct, s);
    else if (s < 3600)
        snprintf(buf, n, "%d%% done, about %ld min %02ld s left", pct, s / 60, s % 60);
    else
        snprintf(buf, n, "%d%% done, about %ld h %02ld min left", pct, s / 3600, s / 60 % 60);
}

double meeting_progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
