#include "hand_sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const float design_cx = 320, design_cy = 310;

const float hand_sketch_tips[5][2] = {
    {184, 252}, {270, 125}, {307, 100}, {344, 110}, {377, 145},
};

/* Capsules (segment and radius) and rounded boxes, in design pixels. */
typedef struct capsule {
    float x0, y0, x1, y1, r;
} capsule;
typedef struct rbox {
    float x0, y0, x1, y1, r;
} rbox;

static const capsule fingers[] = {
    {262, 330, 262 - 94 * 0.70710678f, 330 - 94 * 0.70710678f, 16}, /* thumb */
    {270, 140, 270, 235, 15}, {307, 115, 307, 235, 15},
    {344, 125, 344, 235, 15}, {377, 158, 377, 247, 13},
};
static const rbox boxes[] = {
    {270, 360, 375, 520, 30}, /* forearm */
    {250, 230, 390, 390, 50}, /* palm */
};

static float dist_capsule(const capsule *c, float x, float y)
{
    float dx = c->x1 - c->x0, dy = c->y1 - c->y0;
    float t = ((x - c->x0) * dx + (y - c->y0) * dy) / (dx * dx + dy * dy);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypotf(x - (c->x0 + t * dx), y - (c->y0 + t * dy)) - c->r;
}

static float dist_rbox(const rbox *b, float x, float y)
{
    float hx = (b->x1 - b->x0) / 2 - b->r, hy = (b->y1 - b->y0) / 2 - b->r;
    float qx = fabsf(x - (b->x0 + b->x1) / 2) - hx, qy = fabsf(y - (b->y0 + b->y1) / 2) - hy;
    float ox = fmaxf(qx, 0), oy = fmaxf(qy, 0);
    return hypotf(ox, oy) + fminf(fmaxf(qx, qy), 0) - b->r;
}

static float dist_hand(float x, float y)
{
    float d = INFINITY;
    for (size_t i = 0; i < sizeof fingers / sizeof fingers[0]; i++)
        d = fminf(d, dist_capsule(&fingers[i], x, y));
    for (size_t i = 0; i < sizeof boxes / sizeof boxes[0]; i++)
        d = fminf(d, dist_rbox(&boxes[i], x, y));
    return d;
}

void hand_sketch_map(const hand_pose *p, const float in[2], float out[2])
{
    float a = p->angle_deg * 3.14159265f / 180.0f;
    float dx = (in[0] - design_cx) * p->scale, dy = (in[1] - design_cy) * p->scale;
    if (p->mirror)
        dx = -dx;
    out[0] = p->cx + dx * cosf(a) - dy * sinf(a);
    out[1] = p->cy + dx * sinf(a) + dy * cosf(a);
}

void hand_sketch_draw(frame *f, const hand_pose *poses, int n)
{
    static const float bg[3] = {0x5a, 0x6d, 0x7f}, skin[3] = {0xd9, 0xa0, 0x7e},
                       edge[3] = {0xb2, 0x7a, 0x5a};
    float *img = malloc(sizeof(float) * 3 * (size_t)f->width * f->height);
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            float d = INFINITY;
            for (int h = 0; h < n; h++) {
                /* Back to design coordinates. */
                const hand_pose *p = &poses[h];
                float a = p->angle_deg * 3.14159265f / 180.0f, c = cosf(a), s = sinf(a);
                float dx = (float)x + 0.5f - p->cx, dy = (float)y + 0.5f - p->cy;
                float lx = (dx * c + dy * s) / p->scale, ly = (-dx * s + dy * c) / p->scale;
                if (p->mirror)
                    lx = -lx;
                d = fminf(d, dist_hand(lx + design_cx, ly + design_cy) * p->scale);
            }
            float outline = fminf(fmaxf(0.5f - d, 0), 1), inner = fminf(fmaxf(-1.5f - d, 0), 1);
            float *o = img + ((size_t)y * f->width + x) * 3;
            for (int k = 0; k < 3; k++) {
                float v = bg[k] + (edge[k] - bg[k]) * outline;
                o[k] = v + (skin[k] - v) * inner;
            }
        }
    /* Gaussian blur, sigma 2, separable. */
    enum { R = 6 };
    float w[2 * R + 1], sum = 0;
    for (int i = -R; i <= R; i++)
        sum += w[i + R] = expf(-(float)(i * i) / 8.0f);
    for (int i = 0; i <= 2 * R; i++)
        w[i] /= sum;
    float *tmp = malloc(sizeof(float) * 3 * (size_t)f->width * f->height);
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++)
            for (int k = 0; k < 3; k++) {
                float v = 0;
                for (int i = -R; i <= R; i++) {
                    int xx = x + i < 0 ? 0 : x + i >= f->width ? f->width - 1 : x + i;
                    v += w[i + R] * img[((size_t)y * f->width + xx) * 3 + k];
                }
                tmp[((size_t)y * f->width + x) * 3 + k] = v;
            }
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++)
            for (int k = 0; k < 3; k++) {
                float v = 0;
                for (int i = -R; i <= R; i++) {
                    int yy = y + i < 0 ? 0 : y + i >= f->height ? f->height - 1 : y + i;
                    v += w[i + R] * tmp[((size_t)yy * f->width + x) * 3 + k];
                }
                frame_pixel(f, x, y)[k] = (uint8_t)lrintf(fminf(fmaxf(v, 0), 255));
            }
    free(tmp);
    free(img);
}
