/* What the user thought of an answer, and how the profile adapts to it.
 *
 * The rule (applied by feedback_add, in the same transaction):
 *   shorter  verbosity one step towards brief (detailed > normal > brief);
 *            already brief: rate +20 words a minute, to get through faster
 *   longer   verbosity one step towards detailed
 *   slower   rate -20;  faster  rate +20   (kept within the profile's range)
 *   bad      twice in a row (no other feedback between): rate -20, since an
 *            answer that keeps being judged bad is often just too fast to follow
 *   good     recorded, changes nothing
 * Each change is returned so the caller can say what it did. */
#ifndef SIGHTLINE_STORAGE_FEEDBACK_H
#define SIGHTLINE_STORAGE_FEEDBACK_H

#include <stdint.h>

#include "llm/error.h"
#include "storage/db.h"

#define FEEDBACK_RATE_STEP 20

typedef struct feedback_change {
    const char *key; /* the profile key changed, NULL when none */
    char value[32];  /* its new value */
} feedback_change;

/* kind: good, bad, shorter, longer, slower or faster. note may be NULL.
 * history_id: the answer judged, or 0 for the latest one in the history. */
sl_status feedback_add(sl_db *db, const char *kind, const char *note, int64_t history_id,
                       feedback_change *change, sl_error *err);

#endif
