/* Progress lines of long meeting jobs (transcribing a recording, map-reduce
 * summaries): how much is done and an estimate of the time left, from the
 * time spent so far and the fraction done (the rate so far holds). */
#ifndef SIGHTLINE_APP_MEETING_PROGRESS_H
#define SIGHTLINE_APP_MEETING_PROGRESS_H

#include <stddef.h>

/* "42% done, about 1 min 05 s left"; "100% done" at the end; no estimate
 * ("3% done") before 2% or half a second, when it would be noise. */
void meeting_progress_text(double fraction, double elapsed_s, char *buf, size_t n);

/* Seconds on a monotonic clock (for elapsed times). */
double meeting_progress_now(void);

#endif
