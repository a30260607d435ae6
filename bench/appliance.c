/* The appliance's screen loop: preview frames drawn per second from a test
 * source (SDL's offscreen driver unless SDL_VIDEODRIVER says otherwise),
 * idle, while the worker runs OCR over and over, and while the worker
 * describes the picture with a random-weight SmolVLM-256M-shaped model
 * (SigLIP-base F16 mmproj as bench/vlm writes it, SmolLM2-135M-shaped Q8_0
 * text model from tests/tools/model_gen) as the appliance's describe key
 * does: one tile and the overview, a short prompt, 48 greedy tokens.
 *
 *   appliance_preview_idle                     fps
 *   appliance_preview_during_ocr_job           fps
 *   appliance_worker_ocr_runs                  runs/s
 *   appliance_preview_during_vlm256m_describe_t{1,2}  fps over a whole
 *                      description, worker pool of 1 or 2 threads (goal >= 15)
 *   appliance_vlm256m_describe_t{1,2}          ms for that description
 * The machine is shared: compare figures from quiet runs only. */
#include "app/appliance_core.h"
#include "app/appliance_screen.h"
#include "tests/tools/model_gen.h"
#include "tests/vision/test_vlm_gen.h"
#include "vision/vision.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

/* A description as the appliance's describe job makes it with a model. */
typedef struct vlm_describe {
    const clip_model *m;
    clip_encoder *enc;
    llm_context *ctx;
    const frame *pic;
    int n_vocab;
    sl_status status;
    sl_error err;
} vlm_describe;

#define DESCRIBE_TOKENS 48

static char *vlm_describe_job(void *p, const appliance_job_ctx *jc)
{
    vlm_describe *d = p;
    sl_error *err = &d->err;
    int32_t text[24];
    for (int i = 0; i < 24; i++)
        text[i] = 100 + 37 * i;
    float *logits = malloc((size_t)d->n_vocab * sizeof *logits);
    float *embd = malloc((size_t)clip_tokens_per_tile(d->m) * (size_t)clip_n_embd_out(d->m) *
                         sizeof *embd);
    clip_tiles tiles = {0};
    llm_context_reset(d->ctx);
    sl_status st = logits && embd ? SL_OK : SL_ERR_NOMEM;
    if (st == SL_OK)
        st = clip_preprocess(d->m, d->pic, clip_image_size(d->m), &tiles, err);
    if (st == SL_OK)
        st = llm_decode(d->ctx, text, 8, NULL, err);
    for (int t = 0; st == SL_OK && t < tiles.n_tiles && !appliance_job_cancelled(jc); t++) {
        st = clip_encoder_run(d->enc, clip_tiles_tile(&tiles, t), embd, err);
        if (st == SL_OK)
            st = llm_decode_embd(d->ctx, embd, clip_tokens_per_tile(d->m), NULL, err);
    }
    if (st == SL_OK)
        st = llm_decode(d->ctx, text + 8, 16, logits, err);
    for (int i = 0; st == SL_OK && i < DESCRIBE_TOKENS && !appliance_job_cancelled(jc); i++) {
        int32_t tok = llm_argmax(logits, d->n_vocab);
        st = llm_decode(d->ctx, &tok, 1, logits, err);
    }
    clip_tiles_free(&tiles);
    free(embd);
    free(logits);
    d->status = st;
    return strdup(st == SL_OK ? "described" : "failed");
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

/* Draws preview frames until the worker's answer is in: fps over the whole
 * job, and the job's time in ms. */
static double preview_fps_until_answer(appliance_screen *scr, frame_source *src,
                                       appliance_worker *w, double *job_ms)
{
    frame f = {0};
    long drawn = 0;
    double t0 = now_s();
    appliance_result r;
    for (;;) {
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
        }
        if (appliance_worker_poll(w, &r)) {
            free(r.text);
            break;
        }
        if (frame_source_next(src, &f, NULL) != SL_OK)
            break;
        if (appliance_screen_draw(scr, &f, "bench | describing", NULL, NULL) != SL_OK)
            break;
        drawn++;
    }
    double t = now_s() - t0;
    *job_ms = t * 1000.0;
    frame_free(&f);
    return drawn / t;
}

static int bench_vlm_describe(appliance_screen *scr, frame_source *src, appliance_worker *w)
{
    sl_error err = {0};
    char dir[] = "/tmp/sl_bench_appliance_XXXXXX", mmproj[256], text[256];
    if (!mkdtemp(dir))
        return 1;
    snprintf(mmproj, sizeof mmproj, "%s/mmproj-256m-f16.gguf", dir);
    snprintf(text, sizeof text, "%s/text-135m-q8_0.gguf", dir);
    vlm_gen_shape sh = {.image_size = 512, .patch_size = 16, .n_embd = 768, .n_ff = 3072,
                        .n_layer = 12, .n_head = 12, .scale = 4, .n_out = 576,
                        .longest_edge = 512};
    model_gen_spec spec;
    model_gen_preset("smollm2-135m", &spec);
    spec.distinct_rows = 16;
    clip_model *m = NULL;
    llm_model *lm = NULL;
    sl_status st = vlm_gen_write(mmproj, &sh, &err);
    if (st == SL_OK)
        st = clip_model_load(mmproj, &m, &err);
    if (st == SL_OK)
        st = model_gen_write(&spec, text, &err);
    if (st == SL_OK)
        st = llm_model_load(text, NULL, &lm, &err);
    unlink(mmproj);
    unlink(text);
    rmdir(dir);
    frame pic = {0};
    if (st == SL_OK)
        st = frame_source_next(src, &pic, &err);
    for (int threads = 2; st == SL_OK && threads >= 1; threads--) {
        thread_pool *pool = NULL;
        vlm_describe d = {.m = m, .pic = &pic, .n_vocab = llm_model_n_vocab(lm)};
        if (threads > 1)
            st = thread_pool_create(threads, &pool, &err);
        if (st == SL_OK)
            st = clip_encoder_create(m, pool, &d.enc, &err);
        if (st == SL_OK)
            st = llm_context_create(lm, 1024, LLM_KV_TYPE_DEFAULT, pool, &d.ctx, &err);
        double best_fps = 0, fps_sum = 0, ms_sum = 0;
        const int runs = 2;
        for (int r = 0; st == SL_OK && r < runs; r++) {
            appliance_worker_submit(w, APPLIANCE_DESCRIBE, vlm_describe_job, &d, NULL);
            double ms = 0;
            double fps = preview_fps_until_answer(scr, src, w, &ms);
            if (d.status != SL_OK) {
                st = d.status;
                err = d.err;
                break;
            }
            best_fps = fps > best_fps ? fps : best_fps;
            fps_sum += fps;
            ms_sum += ms;
        }
        if (st == SL_OK) {
            printf("appliance_preview_during_vlm256m_describe_t%d: %.1f fps\n", threads,
                   fps_sum / runs);
            printf("appliance_vlm256m_describe_t%d: %.0f ms\n", threads, ms_sum / runs);
        }
        (void)best_fps;
        llm_context_free(d.ctx);
        clip_encoder_free(d.enc);
        thread_pool_destroy(pool);
    }
    frame_free(&pic);
    llm_model_free(lm);
    clip_model_free(m);
    if (st != SL_OK) {
        fprintf(stderr, "bench_appliance: %s\n", err.msg);
        return 1;
    }
    return 0;
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
    int rc = bench_vlm_describe(scr, src, w);
    appliance_worker_stop(w);
    frame_free(&loop.pic);
    ocr_close(loop.ocr);
    frame_source_close(src);
    appliance_screen_close(scr);
    SDL_Quit();
    return rc;
}
