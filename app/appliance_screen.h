/* The appliance's SDL2 screen: camera preview on top, the latest answer in
 * very large text in the profile's theme below it, a status line at the
 * bottom. Used by the screen thread only. */
#ifndef SIGHTLINE_APP_APPLIANCE_SCREEN_H
#define SIGHTLINE_APP_APPLIANCE_SCREEN_H

#include "app/appliance_core.h"
#include "vision/vision.h"

typedef struct appliance_screen appliance_screen;

typedef struct appliance_screen_config {
    int width, height;   /* 0, 0 = full screen */
    const char *theme;   /* a profile theme name */
    int font_size;       /* answer text height in pixels */
    const char *font_path;
} appliance_screen_config;

/* Whether a user could see the appliance: DISPLAY or WAYLAND_DISPLAY is set
 * and SDL opens it with its X11 or Wayland driver (not the offscreen one it
 * falls back to). Initialises SDL's video on success (the appliance then
 * uses it); leaves it down otherwise. */
bool appliance_display_present(void);

/* SL_ERR_DEVICE when there is no display; SL_ERR_IO when the font is
 * missing; SL_ERR_ARG for an unknown theme. SDL_Init(SDL_INIT_VIDEO) must
 * have succeeded. */
sl_status appliance_screen_open(const appliance_screen_config *cfg, appliance_screen **out,
                                sl_error *err);
/* Replaces the text shown (NULL = none) and scrolls back to its top. */
void appliance_screen_set_answer(appliance_screen *s, const char *text);
void appliance_screen_scroll(appliance_screen *s, int lines);
/* Draws preview (may be NULL), answer and status, and presents; with
 * shot_path, also writes what was drawn there as a PNG. */
sl_status appliance_screen_draw(appliance_screen *s, const frame *preview, const char *status,
                                const char *shot_path, sl_error *err);
void appliance_screen_close(appliance_screen *s);

#endif
