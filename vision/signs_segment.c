/* Cutting a stream of hand frames into signs (motions between pauses) and
 * letters (holds). */
#include "vision/signs.h"

#include <math.h>
#include <stdlib.h>

#include "vision/signs_internal.h"

static sign_segment_options defaults(const sign_segment_options *opt)
{
    sign_segment_options o = {.gap_frames = 5, .hold_frames = 6, .still = 0.04f, .min_frames = 8};
    if (opt) {
        if (opt->gap_frames > 0)
            o.gap_frames = opt->gap_frames;
        if (opt->hold_frames > 0)
            o.hold_frames = opt->hold_frames;
        if (opt->still > 0)
            o.still = opt->still;
        if (opt->min_frames > 0)
            o.min_frames = opt->min_frames;
    }
    return o;
}

/* The fastest wrist between frames a and b, in palm lengths per frame. */
static float wrist_speed(const sign_frame *a, const sign_frame *b, int frames)
{
    int n = a->n_hands < b->n_hands ? a->n_hands : b->n_hands;
    float fastest = 0;
    for (int h = 0; h < n && h < 2; h++) {
        float palm = signs_palm_length(b->lm[h]);
        if (!(palm > 1e-6f))
            continue;
        float dx = b->lm[h][HAND_WRIST][0] - a->lm[h][HAND_WRIST][0];
        float dy = b->lm[h][HAND_WRIST][1] - a->lm[h][HAND_WRIST][1];
        float v = sqrtf(dx * dx + dy * dy) / palm / (float)frames;
        if (v > fastest)
            fastest = v;
    }
    return fastest;
}

static int emit(sign_segment *out, int max, int n, int start, int end, sign_segment_kind kind,
                bool word_end)
{
    if (n < max)
        out[n] = (sign_segment){start, end, kind, word_end};
    return n + 1;
}

int signs_segment(const sign_frame *frames, int n, const sign_segment_options *opt,
                  sign_segment *out, int max)
{
    if (n <= 0 || max <= 0)
        return 0;
    sign_segment_options o = defaults(opt);
    /* Speed over a window of +-2 frames: landmark jitter is not motion. */
    float *smooth = calloc((size_t)n, sizeof *smooth);
    if (!smooth)
        return 0;
    for (int t = 0; t < n; t++) {
        int a = t - 2 < 0 ? 0 : t - 2, b = t + 2 >= n ? n - 1 : t + 2;
        while (a < t && frames[a].n_hands != frames[t].n_hands)
            a++;
        while (b > t && frames[b].n_hands != frames[t].n_hands)
            b--;
        smooth[t] = b > a ? wrist_speed(&frames[a], &frames[b], b - a) : 0;
    }
    int count = 0;
    int t = 0;
    while (t < n) {
        if (frames[t].n_hands == 0) {
            t++;
            continue;
        }
        /* A run of hand frames; gaps shorter than gap_frames are dropouts. */
        int start = t, end = t + 1, missing = 0;
        for (int u = t + 1; u < n; u++) {
            if (frames[u].n_hands > 0) {
                end = u + 1;
                missing = 0;
            } else if (++missing >= o.gap_frames) {
                break;
            }
        }
        if (end - start >= o.min_frames)
            count = emit(out, max, count, start, end, SIGN_SEGMENT_MOTION, true);
        /* Holds inside the run. */
        int first_hold = count;
        int h = start;
        while (h < end) {
            if (frames[h].n_hands == 0 || !(smooth[h] < o.still)) {
                h++;
                continue;
            }
            int hs = h;
            while (h < end && frames[h].n_hands > 0 && smooth[h] < o.still)
                h++;
            if (h - hs >= o.hold_frames)
                count = emit(out, max, count, hs, h, SIGN_SEGMENT_HOLD, false);
        }
        if (count > first_hold && count - 1 < max)
            out[count - 1].word_end = true;
        t = end;
    }
    free(smooth);
    return count < max ? count : max;
}
