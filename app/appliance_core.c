#include "app/appliance_core.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- keys ---- */

static const char *const action_names[APPLIANCE_ACTION_COUNT] = {
    [APPLIANCE_NONE] = "none",       [APPLIANCE_DESCRIBE] = "describe",
    [APPLIANCE_READ] = "read",       [APPLIANCE_ASK] = "ask",
    [APPLIANCE_SIGN] = "sign",       [APPLIANCE_MEETING] = "meeting",
    [APPLIANCE_REPEAT] = "repeat",   [APPLIANCE_STOP] = "stop",
    [APPLIANCE_FASTER] = "faster",   [APPLIANCE_SLOWER] = "slower",
    [APPLIANCE_HELP] = "help",       [APPLIANCE_QUIT] = "quit",
};

static const char *const action_acks[APPLIANCE_ACTION_COUNT] = {
    [APPLIANCE_NONE] = "",           [APPLIANCE_DESCRIBE] = "describing",
    [APPLIANCE_READ] = "reading",    [APPLIANCE_ASK] = "listening",
    [APPLIANCE_SIGN] = "sign mode",  [APPLIANCE_MEETING] = "meeting",
    [APPLIANCE_REPEAT] = "repeat",   [APPLIANCE_STOP] = "stopped",
    [APPLIANCE_FASTER] = "faster",   [APPLIANCE_SLOWER] = "slower",
    [APPLIANCE_HELP] = "help",       [APPLIANCE_QUIT] = "goodbye",
};

static const struct {
    const char *key;
    appliance_action action;
} default_keys[] = {
    {"D", APPLIANCE_DESCRIBE}, {"Space", APPLIANCE_DESCRIBE}, {"R", APPLIANCE_READ},
    {"A", APPLIANCE_ASK},      {"S", APPLIANCE_SIGN},         {"M", APPLIANCE_MEETING},
    {".", APPLIANCE_REPEAT},   {"Escape", APPLIANCE_STOP},    {"+", APPLIANCE_FASTER},
    {"=", APPLIANCE_FASTER},   {"Keypad +", APPLIANCE_FASTER}, {"-", APPLIANCE_SLOWER},
    {"Keypad -", APPLIANCE_SLOWER}, {"H", APPLIANCE_HELP},    {"F1", APPLIANCE_HELP},
    {"Q", APPLIANCE_QUIT},
};

void appliance_keymap_default(appliance_keymap *km)
{
    memset(km, 0, sizeof *km);
    for (size_t i = 0; i < sizeof default_keys / sizeof default_keys[0]; i++)
        appliance_keymap_bind(km, default_keys[i].key, default_keys[i].action, NULL);
}

sl_status appliance_keymap_bind(appliance_keymap *km, const char *key, appliance_action action,
                                sl_error *err)
{
    if (!key || !*key || strlen(key) >= APPLIANCE_KEY_NAME)
        return sl_fail(err, SL_ERR_ARG, "keymap: key name '%s' is empty or longer than %d bytes",
                       key ? key : "", APPLIANCE_KEY_NAME - 1);
    if ((int)action < 0 || action >= APPLIANCE_ACTION_COUNT)
        return sl_fail(err, SL_ERR_ARG, "keymap: action %d for key '%s' does not exist",
                       (int)action, key);
    for (int i = 0; i < km->count; i++) {
        if (strcasecmp(km->key[i], key) == 0) {
            km->action[i] = action;
            return SL_OK;
        }
    }
    if (km->count >= APPLIANCE_MAX_KEYS)
        return sl_fail(err, SL_ERR_LIMIT, "keymap: more than %d keys bound", APPLIANCE_MAX_KEYS);
    snprintf(km->key[km->count], APPLIANCE_KEY_NAME, "%s", key);
    km->action[km->count++] = action;
    return SL_OK;
}

sl_status appliance_keymap_remap(appliance_keymap *km, appliance_action action, const char *key,
                                 sl_error *err)
{
    if (action <= APPLIANCE_NONE || action >= APPLIANCE_ACTION_COUNT)
        return sl_fail(err, SL_ERR_ARG, "keymap: action %d for key '%s' does not exist",
                       (int)action, key ? key : "");
    if (!key || !*key || strlen(key) >= APPLIANCE_KEY_NAME)
        return sl_fail(err, SL_ERR_ARG, "keymap: key name '%s' is empty or longer than %d bytes",
                       key ? key : "", APPLIANCE_KEY_NAME - 1);
    int kept = 0;
    for (int i = 0; i < km->count; i++) {
        if (km->action[i] == action || strcasecmp(km->key[i], key) == 0)
            continue;
        if (kept != i) {
            memcpy(km->key[kept], km->key[i], APPLIANCE_KEY_NAME);
            km->action[kept] = km->action[i];
        }
        kept++;
    }
    km->count = kept;
    return appliance_keymap_bind(km, key, action, err);
}

const char *appliance_action_default_key(appliance_action a)
{
    for (size_t i = 0; i < sizeof default_keys / sizeof default_keys[0]; i++)
        if (default_keys[i].action == a)
            return default_keys[i].key;
    return NULL;
}

appliance_action appliance_keymap_lookup(const appliance_keymap *km, const char *key)
{
    if (!key)
        return APPLIANCE_NONE;
    for (int i = 0; i < km->count; i++)
        if (strcasecmp(km->key[i], key) == 0)
            return km->action[i];
    return APPLIANCE_NONE;
}

const char *appliance_action_name(appliance_action a)
{
    return (int)a >= 0 && a < APPLIANCE_ACTION_COUNT ? action_names[a] : "none";
}

appliance_action appliance_action_from_name(const char *name)
{
    for (int i = 1; name && i < APPLIANCE_ACTION_COUNT; i++)
        if (strcasecmp(action_names[i], name) == 0)
            return (appliance_action)i;
    return APPLIANCE_NONE;
}

const char *appliance_action_ack(appliance_action a)
{
    return (int)a >= 0 && a < APPLIANCE_ACTION_COUNT ? action_acks[a] : "";
}

char *appliance_keymap_help(const appliance_keymap *km)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("Keys:", f);
    for (int a = 1; a < APPLIANCE_ACTION_COUNT; a++) {
        int n = 0;
        for (int i = 0; i < km->count; i++) {
            if (km->action[i] != (appliance_action)a)
                continue;
            const char *k = km->key[i];
            const char *spoken = strcmp(k, ".") == 0   ? "period"
                                 : strcmp(k, "+") == 0 ? "plus"
                                 : strcmp(k, "-") == 0 ? "minus"
                                 : strcmp(k, "=") == 0 ? "equals"
                                                       : k;
            fprintf(f, "%s%s", n++ ? " or " : " ", spoken);
        }
        if (n)
            fprintf(f, " %s;", action_names[a]);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    if (len && buf[len - 1] == ';')
        buf[len - 1] = '.';
    return buf;
}

/* ---- worker ---- */

/* The queue holds at most one waiting job: a newer request replaces
 * (drops) a waiting one and cancels the running one, so a user who presses
 * keys quickly always gets the answer to the last press. */
typedef struct job {
    uint64_t id;
    appliance_action what;
    appliance_job_fn fn;
    void *arg;
    void (*free_arg)(void *);
} job;

struct appliance_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool quit, has_pending, running;
    job pending;
    uint64_t next_id, running_id, dropped;
    atomic_bool cancel; /* of the running job */
    bool has_result;
    appliance_result result;
};

static void job_free(job *j)
{
    if (j->free_arg)
        j->free_arg(j->arg);
    memset(j, 0, sizeof *j);
}

static void *worker_main(void *p)
{
    appliance_worker *w = p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && !w->has_pending)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->quit)
            break;
        job j = w->pending;
        uint64_t id = j.id;
        appliance_action what = j.what;
        w->has_pending = false;
        w->running = true;
        w->running_id = j.id;
        atomic_store(&w->cancel, false);
        pthread_mutex_unlock(&w->mu);

        appliance_job_ctx ctx = {&w->cancel};
        char *text = j.fn(j.arg, &ctx);
        job_free(&j);

        pthread_mutex_lock(&w->mu);
        w->running = false;
        if (atomic_load(&w->cancel)) {
            free(text);
            w->dropped++;
        } else {
            if (w->has_result)
                free(w->result.text);
            w->result = (appliance_result){id, what, text};
            w->has_result = true;
        }
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

sl_status appliance_worker_start(appliance_worker **out, sl_error *err)
{
    *out = NULL;
    appliance_worker *w = calloc(1, sizeof *w);
    if (!w)
        return sl_fail(err, SL_ERR_NOMEM, "appliance worker: out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    atomic_init(&w->cancel, false);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return sl_fail(err, SL_ERR_INTERNAL, "appliance worker: cannot start its thread");
    }
    *out = w;
    return SL_OK;
}

/* Called with the mutex held. */
static void cancel_locked(appliance_worker *w)
{
    if (w->has_pending) {
        job_free(&w->pending);
        w->has_pending = false;
        w->dropped++;
    }
    if (w->running)
        atomic_store(&w->cancel, true);
}

uint64_t appliance_worker_submit(appliance_worker *w, appliance_action what, appliance_job_fn fn,
                                 void *arg, void (*free_arg)(void *))
{
    pthread_mutex_lock(&w->mu);
    cancel_locked(w);
    uint64_t id = ++w->next_id;
    w->pending = (job){id, what, fn, arg, free_arg};
    w->has_pending = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return id;
}

void appliance_worker_cancel(appliance_worker *w)
{
    pthread_mutex_lock(&w->mu);
    cancel_locked(w);
    pthread_mutex_unlock(&w->mu);
}

bool appliance_worker_poll(appliance_worker *w, appliance_result *out)
{
    pthread_mutex_lock(&w->mu);
    bool got = w->has_result;
    if (got) {
        *out = w->result;
        w->has_result = false;
        memset(&w->result, 0, sizeof w->result);
    }
    pthread_mutex_unlock(&w->mu);
    return got;
}

bool appliance_worker_busy(appliance_worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool busy = w->running || w->has_pending;
    pthread_mutex_unlock(&w->mu);
    return busy;
}

uint64_t appliance_worker_dropped(appliance_worker *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t d = w->dropped;
    pthread_mutex_unlock(&w->mu);
    return d;
}

void appliance_worker_stop(appliance_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    cancel_locked(w);
    w->quit = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    if (w->has_result)
        free(w->result.text);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* ---- text layout ---- */

static int add_line(appliance_line *lines, int max_lines, int n, size_t off, size_t len)
{
    if (n < max_lines)
        lines[n] = (appliance_line){off, len};
    return n + 1;
}

/* Length of the UTF-8 character that starts at s (1 for a stray byte). */
static size_t utf8_len(const char *s, size_t left)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    return n > left ? left : n;
}

int appliance_wrap(const char *text, int max_width, appliance_measure_fn measure, void *ctx,
                   appliance_line *lines, int max_lines)
{
    int n = 0;
    size_t len = text ? strlen(text) : 0;
    size_t pos = 0;
    while (pos < len) {
        size_t para_end = pos;
        while (para_end < len && text[para_end] != '\n')
            para_end++;
        /* One paragraph: greedy fill. */
        size_t start = pos;
        while (start < para_end && text[start] == ' ')
            start++;
        if (start == para_end)
            n = add_line(lines, max_lines, n, start, 0);
        while (start < para_end) {
            size_t end = start, last_fit = start;
            /* Grow word by word while it fits. */
            while (end < para_end) {
                size_t next = end;
                while (next < para_end && text[next] == ' ')
                    next++;
                while (next < para_end && text[next] != ' ')
                    next++;
                if (measure(text + start, next - start, ctx) > max_width)
                    break;
                end = next;
                last_fit = next;
            }
            if (last_fit == start) {
                /* The first word alone is too wide: cut it between characters. */
                size_t cut = start + utf8_len(text + start, para_end - start);
                while (cut < para_end && text[cut] != ' ') {
                    size_t nx = cut + utf8_len(text + cut, para_end - cut);
                    if (measure(text + start, nx - start, ctx) > max_width)
                        break;
                    cut = nx;
                }
                last_fit = cut;
            }
            n = add_line(lines, max_lines, n, start, last_fit - start);
            start = last_fit;
            while (start < para_end && text[start] == ' ')
                start++;
        }
        pos = para_end < len ? para_end + 1 : para_end;
    }
    return n;
}

int appliance_scroll(int first, int delta, int total, int visible)
{
    int max_first = total > visible ? total - visible : 0;
    long v = (long)first + delta;
    if (v < 0)
        v = 0;
    if (v > max_first)
        v = max_first;
    return (int)v;
}

/* ---- contrast ---- */

static double srgb_to_linear(uint8_t v)
{
    double c = v / 255.0;
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

double wcag_luminance(appliance_rgb c)
{
    return 0.2126 * srgb_to_linear(c.r) + 0.7152 * srgb_to_linear(c.g) +
           0.0722 * srgb_to_linear(c.b);
}

double wcag_contrast(appliance_rgb a, appliance_rgb b)
{
    double la = wcag_luminance(a), lb = wcag_luminance(b);
    double hi = la > lb ? la : lb, lo = la > lb ? lb : la;
    return (hi + 0.05) / (lo + 0.05);
}

sl_status appliance_theme_colors(const char *theme, appliance_rgb *fg, appliance_rgb *bg,
                                 sl_error *err)
{
    static const struct {
        const char *name;
        appliance_rgb fg, bg;
    } themes[] = {
        {"yellow-on-black", {255, 255, 0}, {0, 0, 0}},
        {"white-on-black", {255, 255, 255}, {0, 0, 0}},
        {"black-on-white", {0, 0, 0}, {255, 255, 255}},
    };
    for (size_t i = 0; i < sizeof themes / sizeof themes[0]; i++) {
        if (theme && strcmp(theme, themes[i].name) == 0) {
            *fg = themes[i].fg;
            *bg = themes[i].bg;
            return SL_OK;
        }
    }
    return sl_fail(err, SL_ERR_ARG,
                   "theme '%s' is not one of yellow-on-black, white-on-black, black-on-white",
                   theme ? theme : "");
}
