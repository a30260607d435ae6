/* The user's preferences: how the assistant speaks and shows things.
 * Every mode reads them; `sightline profile set KEY VALUE` changes them, and
 * feedback (storage/feedback.h) adapts verbosity and rate. Unset keys read
 * as their defaults. */
#ifndef SIGHTLINE_STORAGE_PROFILE_H
#define SIGHTLINE_STORAGE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "llm/error.h"
#include "storage/db.h"

typedef struct profile_key {
    const char *name;
    const char *default_value;
    const char *help;     /* the values it takes, for `profile` and errors */
    const char *choices;  /* "a|b|c" for a closed set, NULL otherwise */
    long min, max;        /* an integer range when choices is NULL and max > min */
} profile_key;

/* Every key, in the order `profile list` shows them. */
const profile_key *profile_keys(size_t *count);
const profile_key *profile_key_find(const char *name);

/* The appliance's key bindings are the keys named "key.ACTION" (key.describe,
 * key.read, key.ask, key.sign, key.meeting, key.repeat, key.stop, key.faster,
 * key.slower, key.help, key.quit); their values are SDL key names of at most
 * PROFILE_KEY_NAME_MAX printable ASCII characters. */
#define PROFILE_KEY_NAME_MAX 15
bool profile_key_is_appliance_key(const profile_key *k);

/* *value is malloc'ed: the stored value or the default. SL_ERR_ARG for an
 * unknown key. */
sl_status profile_get(sl_db *db, const char *key, char **value, sl_error *err);
sl_status profile_get_int(sl_db *db, const char *key, long *value, sl_error *err);

/* Checks value against the key's choices or range: SL_ERR_ARG naming the
 * key and what it takes. */
sl_status profile_set(sl_db *db, const char *key, const char *value, sl_error *err);

/* Back to the default. */
sl_status profile_reset(sl_db *db, const char *key, sl_error *err);

#endif
