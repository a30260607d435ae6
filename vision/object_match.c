#include "vision/object_match.h"

#include <math.h>
#include <stdlib.h>

int object_regions(int width, int height, object_region out[OBJECT_REGIONS])
{
    out[0] = (object_region){0, 0, width, height};
    int w = width / 2 > 0 ? width / 2 : 1, h = height / 2 > 0 ? height / 2 : 1;
    for (int row = 0; row < 3; row++)
        for (int col = 0; col < 3; col++) {
            /* Offsets 0, (W-w)/2, W-w: the last crop ends at the edge. */
            int x = (width - w) * col / 2, y = (height - h) * row / 2;
            out[1 + row * 3 + col] = (object_region){x, y, w, h};
        }
    return OBJECT_REGIONS;
}

const char *object_position_word(object_position p)
{
    return p == OBJECT_LEFT ? "left" : p == OBJECT_RIGHT ? "right" : "centre";
}

float object_cosine(const float *a, const float *b, int n)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (aa <= 0 || bb <= 0)
        return 0;
    return (float)(ab / sqrt(aa * bb));
}

static object_position position_of(const object_region *r, int frame_width)
{
    /* Thirds of the frame by the crop's centre. */
    long centre2 = 2L * r->x + r->width; /* twice the centre */
    if (3 * centre2 < 2L * frame_width)
        return OBJECT_LEFT;
    if (3 * centre2 > 4L * frame_width)
        return OBJECT_RIGHT;
    return OBJECT_CENTRE;
}

int object_match_find(const float *region_vecs, int dim, const object_region *regions,
                      int frame_width, const object_reference *refs, int n_refs,
                      float threshold, object_match *out, int max_out)
{
    int n_out = 0;
    /* Each label once: its best reference over every region. Labels are
     * few (what one user taught), so a quadratic pass is fine. */
    for (int i = 0; i < n_refs; i++) {
        int label = refs[i].label;
        int seen = 0;
        for (int k = 0; k < i && !seen; k++)
            seen = refs[k].label == label;
        if (seen)
            continue;
        float best = -2, best_grid = -2;
        int best_region = 0, grid_region = 1;
        for (int k = i; k < n_refs; k++) {
            if (refs[k].label != label)
                continue;
            for (int r = 0; r < OBJECT_REGIONS; r++) {
                float c = object_cosine(region_vecs + (size_t)r * dim, refs[k].vector, dim);
                if (c > best) {
                    best = c;
                    best_region = r;
                }
                if (r > 0 && c > best_grid) {
                    best_grid = c;
                    grid_region = r;
                }
            }
        }
        if (best < threshold)
            continue;
        object_match m = {.label = label, .score = best, .region = best_region,
                          .position = position_of(&regions[grid_region], frame_width)};
        /* Insert sorted by score, dropping the weakest past max_out. */
        int at = n_out;
        while (at > 0 && out[at - 1].score < m.score)
            at--;
        if (at >= max_out)
            continue;
        int last = n_out < max_out ? n_out : max_out - 1;
        for (int k = last; k > at; k--)
            out[k] = out[k - 1];
        out[at] = m;
        if (n_out < max_out)
            n_out++;
    }
    return n_out;
}
