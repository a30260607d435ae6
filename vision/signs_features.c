/* Sign features from hand landmarks (see signs.h for the layout). */
#include "vision/signs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision/signs_internal.h"

static const int chains[5][5] = {
    {0, 1, 2, 3, 4}, {0, 5, 6, 7, 8}, {0, 9, 10, 11, 12}, {0, 13, 14, 15, 16}, {0, 17, 18, 19, 20},
};
static const int tips[5] = {4, 8, 12, 16, 20};
/* Distances (up to about 3 palm lengths) count half as much as angles
 * (0..1 after dividing by pi). */
static const float distance_weight = 0.5f;
static const float pi = 3.14159265f;

static float norm3(const float *a, const float *b)
{
    float dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

/* Angle between the directions a->b and c->d, over pi. */
static float angle_between(const float *a, const float *b, const float *c, const float *d)
{
    float u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    float v[3] = {d[0] - c[0], d[1] - c[1], d[2] - c[2]};
    /* atan2 of the cross and dot products stays accurate near 0 and pi,
     * where acos of the cosine does not. */
    float cx = u[1] * v[2] - u[2] * v[1], cy = u[2] * v[0] - u[0] * v[2], cz = u[0] * v[1] - u[1] * v[0];
    float cross = sqrtf(cx * cx + cy * cy + cz * cz);
    float dot = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    if (cross == 0 && dot == 0)
        return 0;
    return atan2f(cross, dot) / pi;
}

float signs_palm_length(const float lm[HAND_LANDMARKS][3])
{
    return norm3(lm[HAND_WRIST], lm[HAND_MIDDLE_MCP]);
}

bool signs_hand_features(const float lm[HAND_LANDMARKS][3], float *out)
{
    float palm = signs_palm_length(lm);
    if (!(palm > 1e-6f) || !isfinite(palm))
        return false;
    int k = 0;
    /* Bends: the turn at each of the three middle joints of every finger. */
    for (int f = 0; f < 5; f++)
        for (int j = 1; j <= 3; j++)
            out[k++] = angle_between(lm[chains[f][j - 1]], lm[chains[f][j]], lm[chains[f][j]],
                                     lm[chains[f][j + 1]]);
    /* Spreads: between the first bones of neighbouring fingers. */
    for (int f = 0; f < 4; f++)
        out[k++] = angle_between(lm[chains[f][2]], lm[chains[f][3]], lm[chains[f + 1][1]],
                                 lm[chains[f + 1][2]]);
    for (int a = 0; a < 5; a++)
        for (int b = a + 1; b < 5; b++)
            out[k++] = distance_weight * norm3(lm[tips[a]], lm[tips[b]]) / palm;
    for (int a = 0; a < 5; a++)
        out[k++] = distance_weight * norm3(lm[tips[a]], lm[HAND_WRIST]) / palm;
    return k == SIGN_HAND_FEATURES;
}

void sign_frame_from_hands(const hand *hands, int n, sign_frame *out)
{
    memset(out, 0, sizeof *out);
    /* hands_process orders by presence: keep the first two. */
    int keep = n < 2 ? n : 2;
    for (int i = 0; i < keep; i++)
        memcpy(out->lm[i], hands[i].landmarks, sizeof out->lm[i]);
    out->n_hands = keep;
    if (keep == 2 && out->lm[1][HAND_WRIST][0] < out->lm[0][HAND_WRIST][0]) {
        float tmp[HAND_LANDMARKS][3];
        memcpy(tmp, out->lm[0], sizeof tmp);
        memcpy(out->lm[0], out->lm[1], sizeof tmp);
        memcpy(out->lm[1], tmp, sizeof tmp);
    }
}

/* The hand's in-picture axes: along (wrist to middle finger base) and across. */
static bool hand_axes(const float lm[HAND_LANDMARKS][3], float along[2], float across[2])
{
    float dx = lm[HAND_MIDDLE_MCP][0] - lm[HAND_WRIST][0];
    float dy = lm[HAND_MIDDLE_MCP][1] - lm[HAND_WRIST][1];
    float n = sqrtf(dx * dx + dy * dy);
    if (!(n > 1e-6f))
        return false;
    along[0] = dx / n;
    along[1] = dy / n;
    across[0] = -along[1];
    across[1] = along[0];
    return true;
}

void signs_frame_features(const sign_frame *prev, const sign_frame *cur, float *out)
{
    memset(out, 0, sizeof(float) * SIGN_FEATURES);
    for (int h = 0; h < 2 && h < cur->n_hands; h++) {
        float *slot = out + h * SIGN_SLOT;
        const float(*lm)[3] = cur->lm[h];
        if (!signs_hand_features(lm, slot + 1))
            continue;
        slot[0] = 1;
        float along[2], across[2], palm = signs_palm_length(lm);
        if (!prev || prev->n_hands <= h || !hand_axes(lm, along, across))
            continue;
        const float(*pl)[3] = prev->lm[h];
        float pa[2], pc[2];
        if (!hand_axes(pl, pa, pc))
            continue;
        float dx = lm[HAND_WRIST][0] - pl[HAND_WRIST][0];
        float dy = lm[HAND_WRIST][1] - pl[HAND_WRIST][1];
        slot[1 + SIGN_HAND_FEATURES] = SIGN_MOTION_WEIGHT * (dx * along[0] + dy * along[1]) / palm;
        slot[2 + SIGN_HAND_FEATURES] = SIGN_MOTION_WEIGHT * (dx * across[0] + dy * across[1]) / palm;
        float turn = atan2f(pa[0] * along[1] - pa[1] * along[0], pa[0] * along[0] + pa[1] * along[1]);
        slot[3 + SIGN_HAND_FEATURES] = SIGN_MOTION_WEIGHT * turn / pi;
    }
    if (cur->n_hands >= 2 && out[0] > 0 && out[SIGN_SLOT] > 0) {
        float *pair = out + 2 * SIGN_SLOT;
        const float(*a)[3] = cur->lm[0], (*b)[3] = cur->lm[1];
        float palm = (signs_palm_length(a) + signs_palm_length(b)) / 2;
        float dx = b[HAND_WRIST][0] - a[HAND_WRIST][0], dy = b[HAND_WRIST][1] - a[HAND_WRIST][1];
        float along[2], across[2];
        pair[0] = distance_weight * sqrtf(dx * dx + dy * dy) / palm;
        if (hand_axes(a, along, across)) {
            pair[1] = distance_weight * (dx * along[0] + dy * along[1]) / palm;
            pair[2] = distance_weight * (dx * across[0] + dy * across[1]) / palm;
        }
    }
}

sl_status signs_sequence(const sign_frame *frames, int n, sign_sequence *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (n <= 0)
        return sl_fail(err, SL_ERR_ARG, "signs: an empty sequence");
    if (n > SIGN_MAX_FRAMES)
        return sl_fail(err, SL_ERR_LIMIT, "signs: %d frames (at most %d)", n, SIGN_MAX_FRAMES);
    float *raw = malloc(sizeof(float) * SIGN_FEATURES * (size_t)n);
    out->data = malloc(sizeof(float) * SIGN_FEATURES * (size_t)n);
    if (!raw || !out->data) {
        free(raw);
        free(out->data);
        out->data = NULL;
        return sl_fail(err, SL_ERR_NOMEM, "signs: out of memory");
    }
    for (int t = 0; t < n; t++)
        signs_frame_features(t ? &frames[t - 1] : NULL, &frames[t], raw + (size_t)t * SIGN_FEATURES);
    /* Landmarks jitter from frame to frame; a short weighted window (1 2 3 2
     * 1) steadies the features, motion most of all. */
    static const float w[5] = {1, 2, 3, 2, 1};
    for (int t = 0; t < n; t++) {
        float *dst = out->data + (size_t)t * SIGN_FEATURES;
        for (int k = 0; k < SIGN_FEATURES; k++) {
            float sum = 0, wsum = 0;
            for (int d = -2; d <= 2; d++) {
                int s = t + d;
                if (s < 0 || s >= n)
                    continue;
                sum += w[d + 2] * raw[(size_t)s * SIGN_FEATURES + k];
                wsum += w[d + 2];
            }
            dst[k] = sum / wsum;
        }
    }
    free(raw);
    out->n = n;
    return SL_OK;
}

void signs_sequence_free(sign_sequence *s)
{
    if (!s)
        return;
    free(s->data);
    memset(s, 0, sizeof *s);
}

void signs_static_features(const sign_sequence *s, float *out)
{
    memset(out, 0, sizeof(float) * SIGN_FEATURES);
    for (int t = 0; t < s->n; t++)
        for (int k = 0; k < SIGN_FEATURES; k++)
            out[k] += s->data[(size_t)t * SIGN_FEATURES + k];
    for (int k = 0; k < SIGN_FEATURES; k++)
        out[k] /= (float)(s->n > 0 ? s->n : 1);
    for (int h = 0; h < 2; h++)
        for (int k = 1; k <= 3; k++)
            out[h * SIGN_SLOT + SIGN_HAND_FEATURES + k] = 0;
}
