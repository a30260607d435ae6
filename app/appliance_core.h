/* The display-free heart of `sightline appliance`: which key does what, the
 * worker that runs model work off the screen thread (a newer request
 * cancels an older one), text wrapping and scrolling, and WCAG contrast.
 * Nothing here touches SDL, so all of it is unit-tested without a display. */
#ifndef SIGHTLINE_APP_APPLIANCE_CORE_H
#define SIGHTLINE_APP_APPLIANCE_CORE_H

#include "llm/error.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- keys ---- */

typedef enum appliance_action {
    APPLIANCE_NONE = 0,
    APPLIANCE_DESCRIBE,
    APPLIANCE_READ,
    APPLIANCE_ASK,
    APPLIANCE_SIGN,
    APPLIANCE_MEETING,
    APPLIANCE_REPEAT,
    APPLIANCE_STOP,
    APPLIANCE_FASTER,
    APPLIANCE_SLOWER,
    APPLIANCE_HELP,
    APPLIANCE_QUIT,
    APPLIANCE_ACTION_COUNT
} appliance_action;

#define APPLIANCE_MAX_KEYS 32
#define APPLIANCE_KEY_NAME 16

/* Key names are SDL's (SDL_GetKeyName): "D", "Space", "R", ".", "Escape",
 * "+", "-", "F1", ...; compared without regard to case. */
typedef struct appliance_keymap {
    int count;
    char key[APPLIANCE_MAX_KEYS][APPLIANCE_KEY_NAME];
    appliance_action action[APPLIANCE_MAX_KEYS];
} appliance_keymap;

/* d/space describe, r read, a ask, s sign mode, m meeting, period repeat,
 * escape stop speaking, +/- (and keypad, and "=") faster/slower, h/F1
 * help, q quit. */
void appliance_keymap_default(appliance_keymap *km);
/* Binds key to action, replacing the key's old binding (remapping). */
sl_status appliance_keymap_bind(appliance_keymap *km, const char *key, appliance_action action,
                                sl_error *err);
/* Makes key the one key of action (the profile's key.ACTION): the action's
 * other keys are unbound, and key leaves any action it had. */
sl_status appliance_keymap_remap(appliance_keymap *km, appliance_action action, const char *key,
                                 sl_error *err);
/* The action's first built-in key ("D" for describe): the profile's default
 * for key.ACTION, so a profile value equal to it changes nothing. */
const char *appliance_action_default_key(appliance_action a);
appliance_action appliance_keymap_lookup(const appliance_keymap *km, const char *key);
/* "describe", "read", ... (the names used in --script and the profile). */
const char *appliance_action_name(appliance_action a);
appliance_action appliance_action_from_name(const char *name);
/* What the user hears at once when the key is pressed ("reading"). */
const char *appliance_action_ack(appliance_action a);
/* The spoken help: one sentence listing every bound key. malloc'ed. */
char *appliance_keymap_help(const appliance_keymap *km);

/* ---- worker ---- */

typedef struct appliance_worker appliance_worker;

/* A job checks appliance_job_cancelled between its stages and returns
 * early; it returns a malloc'ed answer or NULL. */
typedef struct appliance_job_ctx {
    const atomic_bool *cancel;
} appliance_job_ctx;
typedef char *(*appliance_job_fn)(void *arg, const appliance_job_ctx *ctx);

static inline bool appliance_job_cancelled(const appliance_job_ctx *ctx)
{
    return atomic_load(ctx->cancel);
}

typedef struct appliance_result {
    uint64_t id;
    appliance_action what;
    char *text; /* malloc'ed, owned by the caller of appliance_worker_poll */
} appliance_result;

sl_status appliance_worker_start(appliance_worker **out, sl_error *err);
/* Queues a job; a job still waiting is dropped (free_arg called) and a
 * running one is told to cancel: its answer will be dropped. Returns the
 * request id (> 0), or 0 when out of memory (free_arg(arg) was called). */
uint64_t appliance_worker_submit(appliance_worker *w, appliance_action what, appliance_job_fn fn,
                                 void *arg, void (*free_arg)(void *));
/* Cancels whatever runs or waits (stop key). */
void appliance_worker_cancel(appliance_worker *w);
/* The newest finished, not cancelled answer, if any. */
bool appliance_worker_poll(appliance_worker *w, appliance_result *out);
/* True while a job runs or waits. */
bool appliance_worker_busy(appliance_worker *w);
/* How many answers were dropped because a newer request came. */
uint64_t appliance_worker_dropped(appliance_worker *w);
/* Cancels, joins the thread and frees everything. */
void appliance_worker_stop(appliance_worker *w);

/* ---- text layout ---- */

typedef struct appliance_line {
    size_t offset, length; /* bytes of the text, without the break */
} appliance_line;

/* Width in pixels of text[0..n). */
typedef int (*appliance_measure_fn)(const char *text, size_t n, void *ctx);

/* Breaks text into lines no wider than max_width at spaces (and at '\n');
 * a word wider than a line is cut between UTF-8 characters. Fills up to
 * max_lines entries and returns the total number of lines. */
int appliance_wrap(const char *text, int max_width, appliance_measure_fn measure, void *ctx,
                   appliance_line *lines, int max_lines);
/* The first visible line after scrolling by delta, kept within
 * [0, max(0, total - visible)]. */
int appliance_scroll(int first, int delta, int total, int visible);

/* ---- contrast ---- */

typedef struct appliance_rgb {
    uint8_t r, g, b;
} appliance_rgb;

/* WCAG 2 relative luminance (sRGB) and contrast ratio (1..21). */
double wcag_luminance(appliance_rgb c);
double wcag_contrast(appliance_rgb a, appliance_rgb b);

/* The profile's themes: yellow-on-black, white-on-black, black-on-white.
 * Unknown names fail with SL_ERR_ARG. */
sl_status appliance_theme_colors(const char *theme, appliance_rgb *fg, appliance_rgb *bg,
                                 sl_error *err);

#endif
