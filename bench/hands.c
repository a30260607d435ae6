/* Hand pipeline benchmark on 640x480 frames of a drawn, moving hand.
 *
 * Prints one line per figure, `name: value unit`, for MODEL in lite, full
 * and T in 1, 2 threads:
 *   hands_detect_MODEL_tT        palm detection per frame (letterbox + model
 *                                + decoding + NMS), median over frames
 *   hands_landmarks_MODEL_tT     one hand's landmarks (crop + model), median
 *   hands_pipeline_MODEL_tT      the whole pipeline with tracking, one hand in
 *                                view, max_hands 1: median per frame
 *   hands_pipeline_MODEL_tT_fps  1000 / that
 *   hands_pipeline2_MODEL_tT     the same with max_hands 2 (the detector looks
 *                                for a second hand every 10th frame): mean
 * Goal: >= 30 frames per second with tracking.
 * SIGHTLINE_SIMD=scalar|avx2|avx512 forces a kernel level; SIGHTLINE_HAND_MODELS
 * points at the models (default models/mediapipe under the source tree). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/vision/hand_sketch.h"
#include "vision/vision.h"

enum { FRAMES = 40 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *models_dir(void)
{
    static char dir[4096];
    const char *env = getenv("SIGHTLINE_HAND_MODELS");
    const char *src = getenv("SIGHTLINE_SOURCE");
    if (env && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else
        snprintf(dir, sizeof dir, "%s/models/mediapipe", src && *src ? src : ".");
    return dir;
}

static int run(hands_tracker *t, frame *frames, double *per_frame, double *detect,
               int *n_detect, double *landmarks, int *n_landmarks)
{
    *n_detect = *n_landmarks = 0;
    for (int i = 0; i < FRAMES; i++) {
        hand h[HANDS_MAX];
        int n;
        sl_error err;
        if (hands_process(t, &frames[i], h, HANDS_MAX, &n, &err)) {
            fprintf(stderr, "hands: %s\n", err.msg);
            return 1;
        }
        const hands_timing *tm = hands_last_timing(t);
        per_frame[i] = tm->total_ms;
        if (tm->detections_run)
            detect[(*n_detect)++] = tm->detect_ms / tm->detections_run;
        if (tm->landmark_runs)
            landmarks[(*n_landmarks)++] = tm->landmarks_ms / tm->landmark_runs;
    }
    return 0;
}

int main(void)
{
    static frame frames[FRAMES];
    for (int i = 0; i < FRAMES; i++) {
        if (frame_alloc(&frames[i], 640, 480, NULL))
            return 1;
        hand_pose p = {250 + 3.0f * i, 280 - 1.5f * i, 0.6f, 1.0f * i, false};
        hand_sketch_draw(&frames[i], &p, 1);
    }
    static const char *const kinds[2] = {"lite", "full"};
    int status = 0;
    for (int k = 0; k < 2 && !status; k++)
        for (int threads = 1; threads <= 2 && !status; threads++) {
            thread_pool *pool = NULL;
            sl_error err;
            if (threads > 1 && thread_pool_create(threads, &pool, &err)) {
                fprintf(stderr, "hands: %s\n", err.msg);
                return 1;
            }
            double per_frame[FRAMES], detect[FRAMES], landmarks[2 * FRAMES];
            int nd, nl;
            /* Detection on every frame: the detector's own cost. */
            hands_options still = {.full = k == 1, .track = false, .max_hands = 1};
            hands_tracker *t;
            if (hands_open(models_dir(), &still, pool, &t, &err)) {
                fprintf(stderr, "hands: %s\n", err.msg);
                thread_pool_destroy(pool);
                return 1;
            }
            status |= run(t, frames, per_frame, detect, &nd, landmarks, &nl); /* warm-up */
            status |= run(t, frames, per_frame, detect, &nd, landmarks, &nl);
            hands_close(t);
            if (status || nd == 0 || nl == 0)
                break;
            printf("hands_detect_%s_t%d: %.2f ms\n", kinds[k], threads, median(detect, nd));
            printf("hands_landmarks_%s_t%d: %.2f ms\n", kinds[k], threads, median(landmarks, nl));

            for (int max_hands = 1; max_hands <= 2 && !status; max_hands++) {
                hands_options track = {.full = k == 1, .track = true, .max_hands = max_hands};
                if (hands_open(models_dir(), &track, pool, &t, &err)) {
                    fprintf(stderr, "hands: %s\n", err.msg);
                    status = 1;
                    break;
                }
                status |= run(t, frames, per_frame, detect, &nd, landmarks, &nl);
                hands_close(t);
                if (max_hands == 1) {
                    double ms = median(per_frame, FRAMES);
                    printf("hands_pipeline_%s_t%d: %.2f ms\n", kinds[k], threads, ms);
                    printf("hands_pipeline_%s_t%d_fps: %.0f fps\n", kinds[k], threads, 1000 / ms);
                } else {
                    double sum = 0;
                    for (int i = 0; i < FRAMES; i++)
                        sum += per_frame[i];
                    printf("hands_pipeline2_%s_t%d: %.2f ms\n", kinds[k], threads, sum / FRAMES);
                }
            }
            thread_pool_destroy(pool);
        }
    for (int i = 0; i < FRAMES; i++)
        frame_free(&frames[i]);
    return status;
}
