#include "storage/profile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "storage/db_internal.h"

#define PROFILE_KEY_HELP "a key name as SDL spells it (F5, Space, Return, Keypad 5, A, .), " \
                         "at most 15 characters"

static const profile_key keys[] = {
    {"verbosity", "normal", "brief, normal or detailed", "brief|normal|detailed", 0, 0},
    {"rate", "175", "speaking rate, 80 to 450 words a minute", NULL, 80, 450},
    {"pitch", "50", "voice pitch, 0 to 100", NULL, 0, 100},
    {"volume", "100", "speech volume, 0 to 200", NULL, 0, 200},
    {"voice", "en", "an espeak-ng voice: en, en-us, de, fr, ...", NULL, 0, 0},
    {"language", "eng", "the language of text to read, as Tesseract names it", NULL, 0, 0},
    {"units", "metric", "metric or imperial", "metric|imperial", 0, 0},
    {"theme", "yellow-on-black", "yellow-on-black, white-on-black or black-on-white",
     "yellow-on-black|white-on-black|black-on-white", 0, 0},
    {"font_size", "64", "answer text height on screen in pixels, 16 to 400", NULL, 16, 400},
    /* The appliance's keys: SDL key names. Setting one replaces the
     * action's built-in keys (the default shown here and its alternatives). */
    {"key.describe", "D", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.read", "R", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.ask", "A", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.sign", "S", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.meeting", "M", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.repeat", ".", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.stop", "Escape", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.faster", "+", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.slower", "-", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.help", "H", PROFILE_KEY_HELP, NULL, 0, 0},
    {"key.quit", "Q", PROFILE_KEY_HELP, NULL, 0, 0},
};

#define PROFILE_VALUE_MAX 256

const profile_key *profile_keys(size_t *count)
{
    *count = sizeof keys / sizeof keys[0];
    return keys;
}

const profile_key *profile_key_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

bool profile_key_is_appliance_key(const profile_key *k)
{
    return k && strncmp(k->name, "key.", 4) == 0;
}

/* SDL's key names are short printable ASCII ("F5", "Keypad +", "Left
 * Ctrl"); whether SDL knows the name is checked where SDL is (the
 * appliance, at start), since storage does not link it. */
static bool key_name_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > PROFILE_KEY_NAME_MAX || v[0] == ' ' || v[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
            return false;
    return true;
}

static sl_status unknown_key(const char *key, sl_error *err)
{
    return sl_fail(err, SL_ERR_ARG,
                   "'%.60s' is not a profile setting (see 'sightline profile list')",
                   key ? key : "");
}

static bool parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

static bool in_choices(const char *choices, const char *value)
{
    size_t n = strlen(value);
    for (const char *p = choices; *p;) {
        size_t len = strcspn(p, "|");
        if (len == n && strncmp(p, value, n) == 0)
            return true;
        p += len + (p[len] == '|');
    }
    return false;
}

static sl_status check_value(const profile_key *k, const char *value, sl_error *err)
{
    long v;
    size_t n = strlen(value);
    if (n == 0 || n > PROFILE_VALUE_MAX)
        return sl_fail(err, SL_ERR_ARG, "profile %s: give %s", k->name, k->help);
    if (k->choices && !in_choices(k->choices, value))
        return sl_fail(err, SL_ERR_ARG, "profile %s: '%.60s' is not one of %s", k->name, value,
                       k->help);
    if (!k->choices && k->max > k->min &&
        (!parse_long(value, &v) || v < k->min || v > k->max))
        return sl_fail(err, SL_ERR_ARG, "profile %s: '%.60s' is not %s", k->name, value,
                       k->help);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)value[i] < 0x20)
            return sl_fail(err, SL_ERR_ARG, "profile %s: control characters are not allowed",
                           k->name);
    if (profile_key_is_appliance_key(k) && !key_name_ok(value))
        return sl_fail(err, SL_ERR_ARG, "profile %s: '%.60s' is not %s", k->name, value,
                       k->help);
    return SL_OK;
}

sl_status profile_get(sl_db *db, const char *key, char **value, sl_error *err)
{
    *value = NULL;
    const profile_key *k = profile_key_find(key);
    if (!k)
        return unknown_key(key, err);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, "SELECT value FROM profile WHERE key = ?1", &st,
                             "reading the profile", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    const char *stored = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    /* A value stored by hand that no longer passes the checks reads as the
     * default, so a bad row never reaches a mode. */
    if (stored && check_value(k, stored, NULL) != SL_OK)
        stored = NULL;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        *value = strdup(stored ? stored : k->default_value);
        s = *value ? SL_OK : sl_fail(err, SL_ERR_NOMEM, "out of memory");
    } else {
        s = db_fail(db, rc, "reading the profile", err);
    }
    sqlite3_finalize(st);
    return s;
}

sl_status profile_get_int(sl_db *db, const char *key, long *value, sl_error *err)
{
    char *text = NULL;
    sl_status s = profile_get(db, key, &text, err);
    if (s != SL_OK)
        return s;
    if (!parse_long(text, value))
        s = sl_fail(err, SL_ERR_ARG, "profile %s is '%.60s', not a number", key, text);
    free(text);
    return s;
}

sl_status profile_set(sl_db *db, const char *key, const char *value, sl_error *err)
{
    const profile_key *k = profile_key_find(key);
    if (!k)
        return unknown_key(key, err);
    sl_status s = check_value(k, value ? value : "", err);
    if (s != SL_OK)
        return s;
    sqlite3_stmt *st = NULL;
    s = db_prepare(db,
                   "INSERT OR REPLACE INTO profile (key, value, updated_ms) "
                   "VALUES (?1, ?2, ?3)",
                   &st, "changing the profile", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, db_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, "changing the profile", err);
}

sl_status profile_reset(sl_db *db, const char *key, sl_error *err)
{
    if (!profile_key_find(key))
        return unknown_key(key, err);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, "DELETE FROM profile WHERE key = ?1", &st,
                             "changing the profile", err);
    if (s != SL_OK)
        return s;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, "changing the profile", err);
}
