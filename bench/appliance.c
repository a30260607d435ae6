/* The appliance's screen loop: preview frames drawn per second from a test
 * source (SDL's offscreen driver unless SDL_VIDEODRIVER says otherwise),
 * idle and while the worker runs OCR over and over (a long model job on the
 * other core). The VLM-described load of issue 10 is not wired in yet. */
#include "app/appliance_core.h"
#include "app/appliance_screen.h"
#include "vision/vision.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SECONDS 5.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct ocr_loop {
    ocr_engine *ocr;
    frame pic;
    double until;
    int runs;
} ocr_loop;

static char *ocr_job(void *p, const appliance_job_ctx *ctx)
{
    ocr_loop *l = p;
    while (now_s() < l->until && !appliance_job_cancelled(ctx)) {
        ocr_result r = {0};
        if (ocr_read_frame(l->ocr, &l->pic, &r, NULL) == SL_OK)
            l->runs++;
        ocr_result_free(&r);
    }
    char *s = malloc(32);
    if (s)
        snprintf(s, 32, "%d", l->runs);
    return s;
}

/* Draws preview frames for SECONDS; returns the new frames drawn per second. */
static double preview_fps(appliance_screen *scr, frame_source *src)
{
    frame f = {0};
    long drawn = 0;
    double t0 = now_s();
    while (now_s() - t0 < SECONDS) {
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
        }
        if (frame_source_next(src, &f, NULL) != SL_OK)
            break;
        if (appliance_screen_draw(scr, &f, "bench | working", NULL, NULL) != SL_OK)
            break;
        drawn++;
    }
    double fps = drawn / (now_s() - t0);
    frame_free(&f);
    return fps;
}

int main(void)
{
    if (!getenv("SDL_VIDEODRIVER"))
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
    sl_error err = {0};
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "bench_appliance: SDL: %s\n", SDL_GetError());
        return 1;
    }
    appliance_screen_config cfg = {1280, 800, "yellow-on-black", 64,
                                   "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"};
    appliance_screen *scr = NULL;
    frame_source_config fc = {640, 480, 120, 0};
    frame_source *src = NULL;
    ocr_loop loop = {0};
    appliance_worker *w = NULL;
    if (appliance_screen_open(&cfg, &scr, &err) != SL_OK ||
        frame_source_open("test:smpte", &fc, &src, &err) != SL_OK ||
        ocr_open(NULL, &loop.ocr, &err) != SL_OK ||
        frame_load_image(SIGHTLINE_ASSETS_DIR "/samples/street-sign.png", &loop.pic, &err) != SL_OK ||
        appliance_worker_start(&w, &err) != SL_OK) {
        fprintf(stderr, "bench_appliance: %s\n", err.msg);
        return 1;
    }
    appliance_screen_set_answer(scr, "MAIN STREET Airport 12 km");
    printf("appliance_preview_idle: %.1f fps\n", preview_fps(scr, src));
    loop.until = now_s() + SECONDS + 1.0;
    appliance_worker_submit(w, APPLIANCE_READ, ocr_job, &loop, NULL);
    double busy = preview_fps(scr, src);
    appliance_result r;
    while (!appliance_worker_poll(w, &r))
        SDL_Delay(10);
    free(r.text);
    printf("appliance_preview_during_ocr_job: %.1f fps\n", busy);
    printf("appliance_worker_ocr_runs: %.1f runs/s\n", loop.runs / (SECONDS + 1.0));
    appliance_worker_stop(w);
    frame_free(&loop.pic);
    ocr_close(loop.ocr);
    frame_source_close(src);
    appliance_screen_close(scr);
    SDL_Quit();
    return 0;
}
