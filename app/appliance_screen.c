#include "app/appliance_screen.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 512

static sl_status appliance_screen_save(appliance_screen *s, const char *path, sl_error *err);

struct appliance_screen {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *preview;
    int preview_w, preview_h;
    TTF_Font *font, *status_font;
    appliance_rgb fg, bg;
    char *answer;
    int first_line;
    int last_total, last_visible;
};

sl_status appliance_screen_open(const appliance_screen_config *cfg, appliance_screen **out,
                                sl_error *err)
{
    *out = NULL;
    appliance_screen *s = calloc(1, sizeof *s);
    if (!s)
        return sl_fail(err, SL_ERR_NOMEM, "appliance screen: out of memory");
    sl_status st = appliance_theme_colors(cfg->theme, &s->fg, &s->bg, err);
    if (st != SL_OK) {
        free(s);
        return st;
    }
    if (TTF_Init() != 0) {
        free(s);
        return sl_fail(err, SL_ERR_INTERNAL, "SDL_ttf: %s", TTF_GetError());
    }
    s->font = TTF_OpenFont(cfg->font_path, cfg->font_size);
    s->status_font = TTF_OpenFont(cfg->font_path, cfg->font_size / 2 > 16 ? cfg->font_size / 2 : 16);
    if (!s->font || !s->status_font) {
        st = sl_fail(err, SL_ERR_IO, "%s: cannot open the font: %s", cfg->font_path,
                     TTF_GetError());
        appliance_screen_close(s);
        return st;
    }
    Uint32 flags = SDL_WINDOW_SHOWN;
    int w = cfg->width, h = cfg->height;
    if (w <= 0 || h <= 0) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        w = 1280;
        h = 800;
    }
    s->win = SDL_CreateWindow("sightline", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w,
                              h, flags);
    if (s->win)
        s->ren = SDL_CreateRenderer(s->win, -1, SDL_RENDERER_SOFTWARE);
    if (!s->win || !s->ren) {
        st = sl_fail(err, SL_ERR_DEVICE, "no display: %s", SDL_GetError());
        appliance_screen_close(s);
        return st;
    }
    *out = s;
    return SL_OK;
}

void appliance_screen_set_answer(appliance_screen *s, const char *text)
{
    free(s->answer);
    s->answer = text ? strdup(text) : NULL;
    s->first_line = 0;
}

void appliance_screen_scroll(appliance_screen *s, int lines)
{
    s->first_line = appliance_scroll(s->first_line, lines, s->last_total, s->last_visible);
}

typedef struct measure_ctx {
    TTF_Font *font;
    char buf[1024];
} measure_ctx;

static int measure(const char *text, size_t n, void *p)
{
    measure_ctx *m = p;
    if (n >= sizeof m->buf)
        return 1 << 30;
    memcpy(m->buf, text, n);
    m->buf[n] = '\0';
    int w = 0, h = 0;
    if (TTF_SizeUTF8(m->font, m->buf, &w, &h) != 0)
        return 1 << 30;
    return w;
}

static sl_status draw_text(appliance_screen *s, TTF_Font *font, const char *text, size_t n,
                           int x, int y, sl_error *err)
{
    char buf[1024];
    if (n == 0)
        return SL_OK;
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    SDL_Color fg = {s->fg.r, s->fg.g, s->fg.b, 255}, bg = {s->bg.r, s->bg.g, s->bg.b, 255};
    /* Shaded (not blended) glyphs: the edges are mixed with the theme's own
     * background, never with the preview. */
    SDL_Surface *surf = TTF_RenderUTF8_Shaded(font, buf, fg, bg);
    if (!surf)
        return sl_fail(err, SL_ERR_INTERNAL, "SDL_ttf: %s", TTF_GetError());
    SDL_Texture *tex = SDL_CreateTextureFromSurface(s->ren, surf);
    SDL_Rect dst = {x, y, surf->w, surf->h};
    SDL_FreeSurface(surf);
    if (!tex)
        return sl_fail(err, SL_ERR_INTERNAL, "SDL: %s", SDL_GetError());
    SDL_RenderCopy(s->ren, tex, NULL, &dst);
    SDL_DestroyTexture(tex);
    return SL_OK;
}

static sl_status draw_preview(appliance_screen *s, const frame *f, SDL_Rect area, sl_error *err)
{
    if (!s->preview || s->preview_w != f->width || s->preview_h != f->height) {
        if (s->preview)
            SDL_DestroyTexture(s->preview);
        s->preview = SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_RGB24,
                                       SDL_TEXTUREACCESS_STREAMING, f->width, f->height);
        if (!s->preview)
            return sl_fail(err, SL_ERR_INTERNAL, "SDL: %s", SDL_GetError());
        s->preview_w = f->width;
        s->preview_h = f->height;
    }
    SDL_UpdateTexture(s->preview, NULL, f->pixels, f->stride);
    /* Fit the picture into the area, keeping its shape. */
    double sx = (double)area.w / f->width, sy = (double)area.h / f->height;
    double k = sx < sy ? sx : sy;
    SDL_Rect dst = {0, 0, (int)(f->width * k), (int)(f->height * k)};
    dst.x = area.x + (area.w - dst.w) / 2;
    dst.y = area.y + (area.h - dst.h) / 2;
    SDL_RenderCopy(s->ren, s->preview, NULL, &dst);
    return SL_OK;
}

sl_status appliance_screen_draw(appliance_screen *s, const frame *preview, const char *status,
                                const char *shot_path, sl_error *err)
{
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(s->ren, &w, &h);
    SDL_SetRenderDrawColor(s->ren, s->bg.r, s->bg.g, s->bg.b, 255);
    SDL_RenderClear(s->ren);
    int status_h = TTF_FontLineSkip(s->status_font) + 8;
    int preview_h = h * 2 / 5;
    sl_status st = SL_OK;
    if (preview && preview->pixels)
        st = draw_preview(s, preview, (SDL_Rect){0, 0, w, preview_h}, err);
    int margin = TTF_FontHeight(s->font) / 4;
    int top = preview_h + margin, bottom = h - status_h;
    int skip = TTF_FontLineSkip(s->font);
    int visible = skip > 0 ? (bottom - top) / skip : 0;
    appliance_line lines[MAX_LINES];
    measure_ctx m = {.font = s->font};
    int total = s->answer
                    ? appliance_wrap(s->answer, w - 2 * margin, measure, &m, lines, MAX_LINES)
                    : 0;
    if (total > MAX_LINES)
        total = MAX_LINES;
    s->last_total = total;
    s->last_visible = visible;
    s->first_line = appliance_scroll(s->first_line, 0, total, visible);
    for (int i = 0; st == SL_OK && i < visible && s->first_line + i < total; i++) {
        const appliance_line *l = &lines[s->first_line + i];
        st = draw_text(s, s->font, s->answer + l->offset, l->length, margin, top + i * skip, err);
    }
    if (st == SL_OK && status)
        st = draw_text(s, s->status_font, status, strlen(status), margin, h - status_h + 4, err);
    /* Read back before presenting: after it the back buffer is undefined. */
    if (st == SL_OK && shot_path)
        st = appliance_screen_save(s, shot_path, err);
    SDL_RenderPresent(s->ren);
    return st;
}

static sl_status appliance_screen_save(appliance_screen *s, const char *path, sl_error *err)
{
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(s->ren, &w, &h);
    frame f = {0};
    sl_status st = frame_alloc(&f, w, h, err);
    if (st != SL_OK)
        return st;
    if (SDL_RenderReadPixels(s->ren, NULL, SDL_PIXELFORMAT_RGB24, f.pixels, f.stride) != 0) {
        frame_free(&f);
        return sl_fail(err, SL_ERR_INTERNAL, "screenshot: %s", SDL_GetError());
    }
    st = frame_save_png(&f, path, err);
    frame_free(&f);
    return st;
}

void appliance_screen_close(appliance_screen *s)
{
    if (!s)
        return;
    if (s->preview)
        SDL_DestroyTexture(s->preview);
    if (s->ren)
        SDL_DestroyRenderer(s->ren);
    if (s->win)
        SDL_DestroyWindow(s->win);
    if (s->font)
        TTF_CloseFont(s->font);
    if (s->status_font)
        TTF_CloseFont(s->status_font);
    TTF_Quit();
    free(s->answer);
    free(s);
}

bool appliance_display_present(void)
{
    const char *x11 = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
    if (!(x11 && *x11) && !(wayland && *wayland))
        return false;
    /* Only the drivers the environment names: SDL would otherwise try
     * Wayland after a failed X11 (libwayland then complains on stderr)
     * and end on its offscreen driver. */
    if (!getenv("SDL_VIDEODRIVER"))
        SDL_SetHint(SDL_HINT_VIDEODRIVER, x11 && *x11 && wayland && *wayland ? "x11,wayland"
                                          : x11 && *x11                    ? "x11"
                                                                           : "wayland");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        return false;
    const char *driver = SDL_GetCurrentVideoDriver();
    bool real = driver && (strcmp(driver, "x11") == 0 || strcmp(driver, "wayland") == 0) &&
                SDL_GetNumVideoDisplays() > 0;
    if (!real)
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return real;
}
