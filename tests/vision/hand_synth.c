#include "hand_synth.h"

#include <math.h>
#include <string.h>

static const float deg = 3.14159265f / 180.0f;

float synth_uniform(synth_rng *r, float lo, float hi)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    uint64_t v = r->s * 0x2545F4914F6CDD1DULL;
    return lo + (hi - lo) * (float)((v >> 40) * (1.0 / 16777216.0));
}

float synth_gauss(synth_rng *r)
{
    float u = synth_uniform(r, 1e-7f, 1.0f), v = synth_uniform(r, 0.0f, 1.0f);
    return sqrtf(-2.0f * logf(u)) * cosf(2.0f * 3.14159265f * v);
}

/* The hand at rest, palm length 1: bases of the fingers (thumb: its first
 * joint), their rest directions in degrees from "up" towards the pinky, and
 * bone lengths. */
static const float bases[5][3] = {
    {-0.28f, 0.22f, 0.05f}, {-0.32f, 0.95f, 0}, {0, 1.0f, 0}, {0.28f, 0.95f, 0}, {0.52f, 0.82f, 0},
};
static const float rest_dir[5] = {-50, -8, 0, 7, 15};
static const float bones[5][3] = {
    {0.42f, 0.32f, 0.27f}, {0.46f, 0.27f, 0.22f}, {0.52f, 0.31f, 0.24f},
    {0.48f, 0.29f, 0.22f}, {0.37f, 0.22f, 0.19f},
};

static void to_image(const float p[3], float roll, float pitch, float yaw, float scale, float x,
                     float y, float out[3])
{
    /* yaw about the hand's vertical axis, pitch about the horizontal one,
     * then roll in the picture. */
    float cy = cosf(yaw * deg), sy = sinf(yaw * deg);
    float a[3] = {cy * p[0] + sy * p[2], p[1], -sy * p[0] + cy * p[2]};
    float cp = cosf(pitch * deg), sp = sinf(pitch * deg);
    float b[3] = {a[0], cp * a[1] - sp * a[2], sp * a[1] + cp * a[2]};
    float cr = cosf(roll * deg), sr = sinf(roll * deg);
    float c[3] = {cr * b[0] - sr * b[1], sr * b[0] + cr * b[1], b[2]};
    /* Picture: x right, y down; z smaller towards the camera. */
    out[0] = x + scale * c[0];
    out[1] = y - scale * c[1];
    out[2] = -scale * c[2];
}

void synth_landmarks(const handshape *h, int left, float roll, float pitch, float yaw,
                     float scale, float x, float y, float out[HAND_LANDMARKS][3])
{
    float pts[HAND_LANDMARKS][3] = {{0}};
    for (int f = 0; f < 5; f++) {
        float p[3] = {bases[f][0], bases[f][1], bases[f][2]};
        int first = f == 0 ? 1 : 4 * f + 1;
        memcpy(pts[first], p, sizeof p);
        float dir = (rest_dir[f] + h->spread[f]) * deg;
        float d0[3] = {sinf(dir), cosf(dir), 0};
        /* Fingers curl towards the camera (the palm faces it); the thumb
         * also swings across the palm. */
        float across[3] = {f == 0 ? 0.6f : 0, 0, f == 0 ? 0.8f : 1};
        float bend = 0;
        for (int j = 0; j < 3; j++) {
            bend += h->flex[f][j] * deg;
            float d[3];
            for (int k = 0; k < 3; k++)
                d[k] = cosf(bend) * d0[k] + sinf(bend) * across[k];
            float n = sqrtf(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            for (int k = 0; k < 3; k++)
                p[k] += bones[f][j] * d[k] / n;
            memcpy(pts[first + j + 1], p, sizeof p);
        }
    }
    for (int i = 0; i < HAND_LANDMARKS; i++) {
        if (left)
            pts[i][0] = -pts[i][0];
        to_image(pts[i], roll, pitch, yaw, scale, x, y, out[i]);
    }
}

#define S {0, 0, 0}
#define C {75, 95, 60}
#define H {40, 45, 30}
#define K {0, 85, 60}
#define B {80, 5, 0}
#define T_ACROSS {55, 40, 25}
#define T_TUCK {70, 55, 30}
const named_shape synth_letters[] = {
    {"A", {{S, C, C, C, C}, {10, 0, 0, 0, 0}}},
    {"B", {{T_ACROSS, S, S, S, S}, {0, 4, 0, -4, -8}}},
    {"C", {{H, H, H, H, H}, {10, 0, 0, 0, 0}}},
    {"D", {{{50, 40, 30}, S, C, C, C}, {0, 0, 0, 0, 0}}},
    {"E", {{T_TUCK, K, K, K, K}, {0, 0, 0, 0, 0}}},
    {"F", {{{40, 30, 20}, {50, 50, 40}, S, S, S}, {0, 0, 5, 12, 20}}},
    {"G", {{S, S, C, C, C}, {30, 0, 0, 0, 0}}},
    {"I", {{T_ACROSS, C, C, C, S}, {0, 0, 0, 0, 0}}},
    {"K", {{{30, 10, 0}, S, S, C, C}, {0, -5, 15, 0, 0}}},
    {"L", {{S, S, C, C, C}, {-35, 0, 0, 0, 0}}},
    {"M", {{T_TUCK, {60, 40, 20}, {60, 40, 20}, {60, 40, 20}, C}, {0, 0, 0, 0, 0}}},
    {"N", {{T_TUCK, {60, 40, 20}, {60, 40, 20}, C, C}, {0, 0, 0, 0, 0}}},
    {"O", {{{45, 35, 25}, {45, 60, 40}, {45, 60, 40}, {45, 60, 40}, {45, 60, 40}}, {0, 0, 0, 0, 0}}},
    {"R", {{T_ACROSS, S, S, C, C}, {0, 10, -10, 0, 0}}},
    {"S", {{{60, 60, 30}, C, C, C, C}, {0, 0, 0, 0, 0}}},
    {"U", {{T_ACROSS, S, S, C, C}, {0, 3, -3, 0, 0}}},
    {"V", {{T_ACROSS, S, S, C, C}, {0, -12, 12, 0, 0}}},
    {"W", {{T_ACROSS, S, S, S, C}, {0, -12, 0, 12, 0}}},
    {"X", {{T_ACROSS, K, C, C, C}, {0, 0, 0, 0, 0}}},
    {"Y", {{S, C, C, C, S}, {-30, 0, 0, 0, 25}}},
    {"5", {{S, S, S, S, S}, {-20, -12, 0, 12, 25}}},
    {"3", {{S, S, S, C, C}, {-25, -10, 10, 0, 0}}},
};
const int synth_letter_count = (int)(sizeof synth_letters / sizeof synth_letters[0]);
#undef S
#undef C
#undef H
#undef K
#undef B

enum { L_A, L_B, L_C, L_D, L_E, L_F, L_G, L_I, L_K, L_L, L_M, L_N, L_O, L_R, L_S, L_U, L_V, L_W,
       L_X, L_Y, L_5, L_3 };

/* Paths: what each does is in path_at. */
const synth_sign synth_signs[] = {
    {"hello", 1, L_5, L_5, 0, 36},     {"goodbye", 1, L_5, L_5, 1, 45},
    {"yes", 1, L_S, L_S, 2, 40},       {"no", 1, L_U, L_O, 3, 30},
    {"thank-you", 1, L_B, L_B, 4, 36}, {"please", 1, L_B, L_B, 5, 42},
    {"sorry", 1, L_A, L_A, 6, 42},     {"help", 2, L_A, L_A, 7, 36},
    {"more", 2, L_O, L_O, 8, 40},      {"want", 2, L_5, L_C, 9, 36},
    {"eat", 1, L_O, L_O, 10, 36},      {"drink", 1, L_C, L_C, 11, 36},
    {"go", 2, L_D, L_D, 13, 36},       {"come", 1, L_D, L_X, 14, 45},
    {"where", 1, L_D, L_D, 15, 45},    {"name", 2, L_U, L_U, 16, 40},
    {"work", 2, L_S, L_S, 17, 40},     {"home", 1, L_O, L_O, 18, 36},
    {"love", 2, L_S, L_S, 19, 40},     {"friend", 2, L_X, L_X, 20, 42},
    {"water", 1, L_W, L_W, 21, 40},    {"open", 1, L_S, L_5, 22, 30},
};
const int synth_sign_count = (int)(sizeof synth_signs / sizeof synth_signs[0]);

const synth_variation synth_default_variation = {
    .speed_lo = 0.75f, .speed_hi = 1.35f, .roll_deg = 30, .tilt_deg = 12,
    .scale_lo = 40, .scale_hi = 110, .joint_deg = 6, .noise = 0.02f,
};

const synth_variation synth_hard_variation = {
    .speed_lo = 0.6f, .speed_hi = 1.6f, .roll_deg = 45, .tilt_deg = 25,
    .scale_lo = 30, .scale_hi = 140, .joint_deg = 12, .noise = 0.04f,
};

typedef struct path_point {
    float dx, dy;  /* wrist offset: across and along the hand, palm lengths */
    float turn;    /* degrees */
    float pair;    /* distance between two hands, palm lengths */
    float w;       /* handshape: 0 start, 1 end */
} path_point;

static path_point path_at(int path, float u)
{
    const float tau = 6.2831853f;
    path_point p = {0, 0, 0, 2.0f, u};
    switch (path) {
    case 0: p.dx = 2.0f * u - 1.0f; break;
    case 1: p.turn = 25 * sinf(2 * tau * u); break;
    case 2: p.dy = 0.4f * sinf(2 * tau * u); break;
    case 3: p.dy = 0.1f * u; break;
    case 4: p.dy = -1.6f * u; break;
    case 5: p.dx = 0.7f * cosf(tau * u) - 0.7f; p.dy = 0.7f * sinf(tau * u); break;
    case 6: p.dx = 0.7f * cosf(tau * u) - 0.7f; p.dy = -0.7f * sinf(tau * u); break;
    case 7: p.dy = 1.2f * u; p.pair = 0.8f; break;
    case 8: p.pair = 1.6f - 1.0f * fabsf(sinf(tau * u)); break;
    case 9: p.dy = -1.0f * u; p.pair = 1.8f; break;
    case 10: p.dy = 0.3f * fabsf(sinf(tau * u)); break;
    case 11: p.turn = 45 * u; break;
    case 13: p.dy = 1.5f * u; p.pair = 1.2f; break;
    case 14: p.w = 0.5f - 0.5f * cosf(2 * tau * u); break;
    case 15: p.turn = 20 * sinf(3 * tau * u); break;
    case 16: p.pair = 1.2f - 0.5f * fabsf(sinf(2 * tau * u)); break;
    case 17: p.dx = 0.4f * sinf(2 * tau * u); p.pair = 1.0f; break;
    case 18: p.dx = u; p.dy = 0.2f * fabsf(sinf(2 * tau * u)); break;
    case 19: p.pair = 0.5f + 0.1f * sinf(2 * tau * u); break;
    case 20: p.turn = 180 * u; p.pair = 0.9f; break;
    case 21: p.dy = 0.3f * fabsf(sinf(2 * tau * u)); break;
    case 22: p.dy = 0.3f * u; break;
    /* Untaught paths. */
    case 100: p.dx = 0.8f * u; p.dy = 0.5f * sinf(3 * tau * u); break;
    case 101: p.dx = 0.6f * sinf(tau * u); p.dy = 0.4f * sinf(2 * tau * u); break;
    case 102: p.dx = -1.2f * u; p.dy = 1.2f * u; p.turn = -30 * u; break;
    case 103: p.turn = 60 * sinf(tau * u); p.dy = -0.5f * u; break;
    default: break;
    }
    return p;
}

/* Per-example variation of a handshape. */
static handshape vary(const handshape *h, const float err[5][4])
{
    handshape o = *h;
    for (int f = 0; f < 5; f++) {
        for (int j = 0; j < 3; j++)
            o.flex[f][j] += err[f][j];
        o.spread[f] += err[f][3];
    }
    return o;
}

static handshape mix(const handshape *a, const handshape *b, float w)
{
    handshape o;
    for (int f = 0; f < 5; f++) {
        for (int j = 0; j < 3; j++)
            o.flex[f][j] = a->flex[f][j] + (b->flex[f][j] - a->flex[f][j]) * w;
        o.spread[f] = a->spread[f] + (b->spread[f] - a->spread[f]) * w;
    }
    return o;
}

static int render(const handshape *from, const handshape *to, int hands, int path, float frames,
                  const synth_variation *v, synth_rng *r, sign_frame *out, int max)
{
    float speed = synth_uniform(r, v->speed_lo, v->speed_hi);
    int n = (int)lrintf(frames * speed);
    if (n < 4)
        n = 4;
    if (n > max)
        n = max;
    float roll = synth_uniform(r, -v->roll_deg, v->roll_deg);
    float pitch = synth_uniform(r, -v->tilt_deg, v->tilt_deg);
    float yaw = synth_uniform(r, -v->tilt_deg, v->tilt_deg);
    float scale = synth_uniform(r, v->scale_lo, v->scale_hi);
    float amp = synth_uniform(r, 0.85f, 1.15f);
    float warp = synth_uniform(r, -0.08f, 0.08f);
    float cx = synth_uniform(r, 200, 440), cy = synth_uniform(r, 160, 320);
    float err[2][5][4];
    for (int h = 0; h < 2; h++)
        for (int f = 0; f < 5; f++)
            for (int k = 0; k < 4; k++)
                err[h][f][k] = synth_uniform(r, -v->joint_deg, v->joint_deg);
    /* The hand's own axes in the picture, for the path. */
    float ra = roll * deg;
    float across[2] = {cosf(ra), -sinf(ra)}, along[2] = {-sinf(ra), -cosf(ra)};
    for (int t = 0; t < n; t++) {
        float u = n > 1 ? (float)t / (float)(n - 1) : 0;
        u += warp * sinf(3.14159265f * u);
        path_point p = path_at(path, u);
        sign_frame *fr = &out[t];
        memset(fr, 0, sizeof *fr);
        fr->n_hands = hands;
        for (int h = 0; h < hands; h++) {
            /* With two hands the first is a left hand on the left. */
            int left = hands == 2 && h == 0;
            float side = hands == 2 ? (h == 0 ? -0.5f : 0.5f) * p.pair : 0;
            float dx = amp * (left ? -p.dx : p.dx) + side, dy = amp * p.dy;
            float x = cx + scale * (dx * across[0] + dy * along[0]);
            float y = cy + scale * (dx * across[1] + dy * along[1]);
            handshape a = vary(from, err[h]), b = vary(to, err[h]);
            handshape s = mix(&a, &b, p.w < 0 ? 0 : p.w > 1 ? 1 : p.w);
            float turn = left ? -p.turn : p.turn;
            synth_landmarks(&s, left, roll + amp * turn, pitch, yaw, scale, x, y, fr->lm[h]);
            for (int i = 0; i < HAND_LANDMARKS; i++)
                for (int k = 0; k < 3; k++)
                    fr->lm[h][i][k] += v->noise * scale * synth_gauss(r);
        }
    }
    return n;
}

int synth_sign_frames(int sign, const synth_variation *v, synth_rng *r, sign_frame *out, int max)
{
    const synth_sign *s = &synth_signs[sign];
    return render(&synth_letters[s->shape_from].shape, &synth_letters[s->shape_to].shape,
                  s->hands, s->path, s->frames, v, r, out, max);
}

int synth_letter_frames(int letter, const synth_variation *v, synth_rng *r, int n, sign_frame *out)
{
    const handshape *h = &synth_letters[letter].shape;
    synth_variation still = *v;
    still.speed_lo = still.speed_hi = 1;
    return render(h, h, 1, -1, (float)n, &still, r, out, n);
}

int synth_untaught_frames(int kind, const synth_variation *v, synth_rng *r, sign_frame *out,
                          int max)
{
    handshape h;
    for (int f = 0; f < 5; f++) {
        for (int j = 0; j < 3; j++)
            h.flex[f][j] = synth_uniform(r, 0, 90);
        h.spread[f] = synth_uniform(r, -15, 15);
    }
    if (kind == 2) {
        /* A taught sign's hands and handshape on a path no sign uses. */
        const synth_sign *s = &synth_signs[(int)synth_uniform(r, 0, synth_sign_count - 0.001f)];
        int path = 100 + (int)synth_uniform(r, 0, 3.999f);
        return render(&synth_letters[s->shape_from].shape, &synth_letters[s->shape_to].shape,
                      s->hands, path, 40, v, r, out, max);
    }
    if (kind == 1) {
        int path = 100 + (int)synth_uniform(r, 0, 3.999f);
        return render(&h, &h, synth_uniform(r, 0, 1) < 0.3f ? 2 : 1, path, 40, v, r, out, max);
    }
    handshape h2 = h;
    for (int f = 0; f < 5; f++)
        for (int j = 0; j < 3; j++)
            h2.flex[f][j] = synth_uniform(r, 0, 90);
    return render(&h, &h2, 1, 103, 40, v, r, out, max);
}
