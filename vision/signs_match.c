/* Recognition of signs and letters by nearest neighbour: dynamic time
 * warping for signs, the mean handshape for letters. */
#include "vision/signs.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/signs_internal.h"

static float frame_distance(const float *a, const float *b)
{
    float s = 0;
    for (int k = 0; k < SIGN_FEATURES; k++) {
        float d = a[k] - b[k];
        s += d * d;
    }
    return sqrtf(s);
}

float signs_dtw(const sign_sequence *a, const sign_sequence *b)
{
    int n = a->n, m = b->n;
    if (n <= 0 || m <= 0)
        return INFINITY;
    int longer = n > m ? n : m;
    int band = abs(n - m) + 2;
    if (band < longer / 4)
        band = longer / 4;
    /* Two rows of the cost matrix suffice. */
    float *prev = malloc(sizeof(float) * (size_t)(m + 1));
    float *cur = malloc(sizeof(float) * (size_t)(m + 1));
    if (!prev || !cur) {
        free(prev);
        free(cur);
        return INFINITY;
    }
    for (int j = 0; j <= m; j++)
        prev[j] = INFINITY;
    prev[0] = 0;
    for (int i = 1; i <= n; i++) {
        for (int j = 0; j <= m; j++)
            cur[j] = INFINITY;
        /* The band follows the diagonal of the n x m rectangle. */
        int centre = (int)((int64_t)i * m / n);
        int lo = centre - band < 1 ? 1 : centre - band;
        int hi = centre + band > m ? m : centre + band;
        for (int j = lo; j <= hi; j++) {
            float best = prev[j - 1];
            if (prev[j] < best)
                best = prev[j];
            if (cur[j - 1] < best)
                best = cur[j - 1];
            cur[j] = best + frame_distance(a->data + (size_t)(i - 1) * SIGN_FEATURES,
                                           b->data + (size_t)(j - 1) * SIGN_FEATURES);
        }
        float *t = prev;
        prev = cur;
        cur = t;
    }
    float total = prev[m];
    free(prev);
    free(cur);
    return total / (float)(n + m);
}

/* --- the classifier -------------------------------------------------------- */

typedef struct example {
    int cls;
    sign_sequence seq;          /* signs */
    float shape[SIGN_FEATURES]; /* letters */
} example;

typedef struct sign_class {
    char name[SIGN_NAME_MAX];
    sign_kind kind;
    int n_examples;
    float spread; /* mean distance between its examples; 0 with one example */
} sign_class;

struct sign_classifier {
    sign_options opt;
    example *ex;
    int n_ex, cap_ex;
    sign_class *cls;
    int n_cls, cap_cls;
};

sign_options sign_default_options(void)
{
    return (sign_options){.reject_factor = 1.5f, .reject_floor = 0.05f, .min_confidence = 0.05f};
}

sl_status sign_classifier_create(const sign_options *opt, sign_classifier **out, sl_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return sl_fail(err, SL_ERR_NOMEM, "signs: out of memory");
    (*out)->opt = opt ? *opt : sign_default_options();
    return SL_OK;
}

void sign_classifier_free(sign_classifier *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_ex; i++)
        signs_sequence_free(&c->ex[i].seq);
    free(c->ex);
    free(c->cls);
    free(c);
}

int sign_classifier_count(const sign_classifier *c)
{
    return c->n_ex;
}

static float example_distance(const sign_classifier *c, const example *a, const example *b)
{
    if (c->cls[a->cls].kind == SIGN_KIND_LETTER)
        return frame_distance(a->shape, b->shape);
    return signs_dtw(&a->seq, &b->seq);
}

static void update_spread(sign_classifier *c, int cls)
{
    double sum = 0;
    int pairs = 0;
    for (int i = 0; i < c->n_ex; i++)
        for (int j = i + 1; j < c->n_ex; j++)
            if (c->ex[i].cls == cls && c->ex[j].cls == cls) {
                sum += example_distance(c, &c->ex[i], &c->ex[j]);
                pairs++;
            }
    c->cls[cls].spread = pairs ? (float)(sum / pairs) : 0;
}

sl_status sign_classifier_add(sign_classifier *c, const char *name, sign_kind kind,
                              const sign_sequence *example_seq, sl_error *err)
{
    if (!name || !*name || strlen(name) >= SIGN_NAME_MAX)
        return sl_fail(err, SL_ERR_ARG, "signs: a name of 1 to %d bytes is needed",
                       SIGN_NAME_MAX - 1);
    if (!example_seq || example_seq->n <= 0)
        return sl_fail(err, SL_ERR_ARG, "signs: '%s': an empty example", name);
    int cls = -1;
    for (int i = 0; i < c->n_cls; i++)
        if (c->cls[i].kind == kind && strcmp(c->cls[i].name, name) == 0)
            cls = i;
    if (cls < 0) {
        if (c->n_cls == c->cap_cls) {
            int cap = c->cap_cls ? 2 * c->cap_cls : 16;
            sign_class *p = realloc(c->cls, sizeof *p * (size_t)cap);
            if (!p)
                return sl_fail(err, SL_ERR_NOMEM, "signs: out of memory");
            c->cls = p;
            c->cap_cls = cap;
        }
        cls = c->n_cls++;
        memset(&c->cls[cls], 0, sizeof c->cls[cls]);
        snprintf(c->cls[cls].name, sizeof c->cls[cls].name, "%s", name);
        c->cls[cls].kind = kind;
    }
    if (c->n_ex == c->cap_ex) {
        int cap = c->cap_ex ? 2 * c->cap_ex : 32;
        example *p = realloc(c->ex, sizeof *p * (size_t)cap);
        if (!p)
            return sl_fail(err, SL_ERR_NOMEM, "signs: out of memory");
        c->ex = p;
        c->cap_ex = cap;
    }
    example *e = &c->ex[c->n_ex];
    memset(e, 0, sizeof *e);
    e->cls = cls;
    if (kind == SIGN_KIND_LETTER) {
        signs_static_features(example_seq, e->shape);
    } else {
        size_t bytes = sizeof(float) * SIGN_FEATURES * (size_t)example_seq->n;
        e->seq.data = malloc(bytes);
        if (!e->seq.data)
            return sl_fail(err, SL_ERR_NOMEM, "signs: out of memory");
        memcpy(e->seq.data, example_seq->data, bytes);
        e->seq.n = example_seq->n;
    }
    c->n_ex++;
    c->cls[cls].n_examples++;
    update_spread(c, cls);
    return SL_OK;
}

sl_status sign_classify(const sign_classifier *c, sign_kind kind, const sign_sequence *s,
                        sign_result *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    out->unknown = true;
    if (!s || s->n <= 0)
        return sl_fail(err, SL_ERR_ARG, "signs: an empty sequence to recognise");
    /* The nearest example of every class of this kind. */
    float *best = malloc(sizeof(float) * (size_t)(c->n_cls ? c->n_cls : 1));
    if (!best)
        return sl_fail(err, SL_ERR_NOMEM, "signs: out of memory");
    for (int i = 0; i < c->n_cls; i++)
        best[i] = INFINITY;
    example probe = {0};
    if (kind == SIGN_KIND_LETTER)
        signs_static_features(s, probe.shape);
    else
        probe.seq = *s;
    for (int i = 0; i < c->n_ex; i++) {
        const example *e = &c->ex[i];
        if (c->cls[e->cls].kind != kind)
            continue;
        float d = kind == SIGN_KIND_LETTER ? frame_distance(probe.shape, e->shape)
                                           : signs_dtw(s, &e->seq);
        if (d < best[e->cls])
            best[e->cls] = d;
    }
    int first = -1, second = -1;
    for (int i = 0; i < c->n_cls; i++) {
        if (c->cls[i].kind != kind || !isfinite(best[i]))
            continue;
        if (first < 0 || best[i] < best[first]) {
            second = first;
            first = i;
        } else if (second < 0 || best[i] < best[second]) {
            second = i;
        }
    }
    if (first < 0) {
        free(best);
        out->distance = INFINITY;
        return SL_OK; /* nothing taught: unknown */
    }
    const sign_class *fc = &c->cls[first];
    /* The spread of this sign's own examples sets the distance that still
     * counts as "the same"; with one example, the mean spread of the others. */
    float spread = fc->spread;
    if (fc->n_examples < 2) {
        double sum = 0;
        int k = 0;
        for (int i = 0; i < c->n_cls; i++)
            if (c->cls[i].kind == kind && c->cls[i].n_examples >= 2) {
                sum += c->cls[i].spread;
                k++;
            }
        spread = k ? (float)(sum / k) : 0;
    }
    float limit = fmaxf(c->opt.reject_factor * spread, c->opt.reject_floor);
    float d1 = best[first];
    float conf = second >= 0 ? (best[second] - d1) / fmaxf(best[second], 1e-12f)
                             : 1 - d1 / fmaxf(limit, 1e-12f);
    conf = conf < 0 ? 0 : conf > 1 ? 1 : conf;
    out->distance = d1;
    out->confidence = conf;
    snprintf(out->nearest, sizeof out->nearest, "%s", fc->name);
    out->unknown = d1 > limit || conf < c->opt.min_confidence;
    if (!out->unknown)
        snprintf(out->name, sizeof out->name, "%s", fc->name);
    free(best);
    return SL_OK;
}
