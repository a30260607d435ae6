/* Why these features and this clustering: see speaker.h. */
#include "speech/speaker.h"

#include <float.h>
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RATE 16000
#define FRAME 400 /* 25 ms */
#define HOP 160   /* 10 ms */
#define NFFT 512
#define NBIN (NFFT / 2 + 1)
#define NBANDS 40
#define NCEP (SPEAKER_MFCC + 1)
#define LOW_HZ 60.0
#define HIGH_HZ 7600.0
/* Speech frames: within this many dB of the loudest frame and above the
 * absolute floor, so pauses and the VAD's padding do not count. */
#define SPEECH_RANGE_DB 30.0
#define FLOOR_DB -70.0
#define MIN_FRAMES 20
/* Under a second of speech the statistics are too noisy to found a speaker
 * of their own: such an utterance joins the nearest speaker there is. */
#define FOUNDING_FRAMES 100

/* Pitch, on the signal decimated to 8 kHz. */
#define P_RATE 8000
#define P_WIN 240 /* 30 ms */
#define P_HOP 80
#define P_MIN_LAG (P_RATE / 400)
#define P_MAX_LAG (P_RATE / 60)
#define VOICED_NCCF 0.6
#define MIN_VOICED 5
/* A shorter lag whose correlation peak comes this close to the best one is
 * the true period (the best is often a multiple of it). */
#define OCTAVE_NCCF 0.8

/* The typical spread of each dimension between utterances of one speaker:
 * pooled within-speaker standard deviations, rounded, measured on two
 * renderings of the test meeting with eight espeak-ng voices (natural
 * log-mel MFCCs; log2 pitch). The pitch median's is widened from the 0.03
 * octave espeak-ng shows to 0.05, as people vary their pitch more than a
 * synthesizer does. See speaker.h for why distances use fixed scales. */
static const float dim_scale[SPEAKER_DIM] = {
    /* MFCC means c1..c12 */
    3.67f, 3.91f, 5.31f, 4.26f, 3.55f, 4.11f, 2.79f, 2.70f, 1.94f, 1.88f, 2.08f, 1.61f,
    /* MFCC spreads c1..c12 */
    2.64f, 1.44f, 3.19f, 2.42f, 2.35f, 2.33f, 1.73f, 1.50f, 1.16f, 1.18f, 1.01f, 0.94f,
    /* log2 pitch median, log2 pitch spread */
    0.05f, 0.04f,
};
/* Pitch is one number against 24 of timbre but says the most about who
 * speaks (between-speaker spread 15 times the within-speaker one, against
 * 1-4 times for the MFCCs): it weighs as much as six MFCC means. The MFCC
 * spreads vary more with what is said and weigh half. */
static const float dim_weight[SPEAKER_DIM] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f,
    6, 0.5f,
};

typedef struct workspace {
    float window[FRAME];
    float cos_t[NFFT / 2], sin_t[NFFT / 2];
    float mel[NBANDS][NBIN];
    float dct[NCEP][NBANDS];
    float re[NFFT], im[NFFT];
} workspace;

static double hz_to_mel(double hz)
{
    return 2595.0 * log10(1.0 + hz / 700.0);
}

static double mel_to_hz(double m)
{
    return 700.0 * (pow(10.0, m / 2595.0) - 1.0);
}

static void workspace_init(workspace *w)
{
    const double pi = 3.14159265358979323846;
    for (int i = 0; i < FRAME; i++)
        w->window[i] = (float)(0.54 - 0.46 * cos(2 * pi * i / (FRAME - 1)));
    for (int i = 0; i < NFFT / 2; i++) {
        w->cos_t[i] = (float)cos(2 * pi * i / NFFT);
        w->sin_t[i] = (float)-sin(2 * pi * i / NFFT);
    }
    /* Triangular bands evenly spaced on the mel scale. */
    double lo = hz_to_mel(LOW_HZ), hi = hz_to_mel(HIGH_HZ);
    memset(w->mel, 0, sizeof w->mel);
    for (int b = 0; b < NBANDS; b++) {
        double f0 = mel_to_hz(lo + (hi - lo) * b / (NBANDS + 1));
        double f1 = mel_to_hz(lo + (hi - lo) * (b + 1) / (NBANDS + 1));
        double f2 = mel_to_hz(lo + (hi - lo) * (b + 2) / (NBANDS + 1));
        for (int k = 0; k < NBIN; k++) {
            double f = (double)k * RATE / NFFT;
            double g = 0;
            if (f > f0 && f <= f1)
                g = (f - f0) / (f1 - f0);
            else if (f > f1 && f < f2)
                g = (f2 - f) / (f2 - f1);
            w->mel[b][k] = (float)g;
        }
    }
    for (int c = 0; c < NCEP; c++)
        for (int b = 0; b < NBANDS; b++)
            w->dct[c][b] = (float)cos(pi * c * (b + 0.5) / NBANDS);
}

/* In-place radix-2 FFT of w->re / w->im. */
static void fft(workspace *w)
{
    float *re = w->re, *im = w->im;
    for (int i = 1, j = 0; i < NFFT; i++) {
        int bit = NFFT >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            float t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (int len = 2; len <= NFFT; len <<= 1) {
        int step = NFFT / len;
        for (int i = 0; i < NFFT; i += len)
            for (int k = 0; k < len / 2; k++) {
                float wr = w->cos_t[k * step], wi = w->sin_t[k * step];
                int a = i + k, b = i + k + len / 2;
                float xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* NCCF of y[s..s+P_WIN) against y[s+lag..); e: prefix sums of y^2. */
static double nccf(const float *y, const double *e, size_t s, int lag)
{
    double dot = 0;
    for (int i = 0; i < P_WIN; i++)
        dot += (double)y[s + (size_t)i] * y[s + (size_t)i + (size_t)lag];
    double e0 = e[s + P_WIN] - e[s], e1 = e[s + (size_t)lag + P_WIN] - e[s + (size_t)lag];
    return e0 > 0 && e1 > 0 ? dot / sqrt(e0 * e1) : 0;
}

/* log2 pitch of every voiced frame into f0 (room for n / P_HOP values);
 * voiced[j] (frames of 10 ms, the MFCC frames' hop) set for those frames. */
static size_t pitch_track(const float *pcm, size_t n, float *y, double *e, float *f0,
                          bool *voiced, size_t n_voiced)
{
    size_t m = n / 2;
    for (size_t j = 0; j < m; j++) {
        float a = pcm[2 * j], b = j ? pcm[2 * j - 1] : a, c = 2 * j + 1 < n ? pcm[2 * j + 1] : a;
        y[j] = 0.25f * b + 0.5f * a + 0.25f * c;
    }
    e[0] = 0;
    for (size_t j = 0; j < m; j++)
        e[j + 1] = e[j] + (double)y[j] * y[j];
    size_t need = P_WIN + P_MAX_LAG + 1;
    if (m < need)
        return 0;
    double max_db = -1e9;
    for (size_t s = 0; s + need <= m; s += P_HOP) {
        double db = 10 * log10((e[s + P_WIN] - e[s]) / P_WIN + 1e-12);
        if (db > max_db)
            max_db = db;
    }
    size_t count = 0;
    double r[P_MAX_LAG + 2];
    for (size_t s = 0; s + need <= m; s += P_HOP) {
        double db = 10 * log10((e[s + P_WIN] - e[s]) / P_WIN + 1e-12);
        if (db < max_db - SPEECH_RANGE_DB || db < FLOOR_DB)
            continue;
        int best = 0;
        r[P_MIN_LAG - 1] = 0;
        for (int l = P_MIN_LAG; l <= P_MAX_LAG; l++) {
            r[l] = nccf(y, e, s, l);
            if (!best || r[l] > r[best])
                best = l;
        }
        r[P_MAX_LAG + 1] = 0;
        if (r[best] < VOICED_NCCF)
            continue;
        /* Two, three, four periods correlate about as well as one: take the
         * shortest lag that is a peak nearly as high as the best. */
        for (int l = P_MIN_LAG + 1; l < best; l++)
            if (r[l] >= r[l - 1] && r[l] >= r[l + 1] && r[l] > OCTAVE_NCCF * r[best]) {
                best = l;
                break;
            }
        double shift = 0;
        if (best > P_MIN_LAG && best < P_MAX_LAG) {
            double a = r[best - 1], b = r[best], c = r[best + 1], d = a - 2 * b + c;
            if (d < 0)
                shift = 0.5 * (a - c) / d;
        }
        f0[count++] = (float)log2(P_RATE / (best + shift));
        if (s / P_HOP < n_voiced)
            voiced[s / P_HOP] = true;
    }
    return count;
}

sl_status speaker_voice_from_pcm(const float *pcm, size_t n, speaker_voice *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!pcm && n)
        return sl_fail(err, SL_ERR_ARG, "speaker_voice_from_pcm: no samples");
    size_t frames = n >= FRAME ? 1 + (n - FRAME) / HOP : 0;
    if (frames < MIN_FRAMES)
        return SL_OK;
    /* Broken audio (NaN, inf) says nothing about a voice. */
    for (size_t i = 0; i < n; i++)
        if (!isfinite(pcm[i]))
            return SL_OK;
    if (frames > SIZE_MAX / sizeof(float) / (NCEP + 1) || n > SIZE_MAX / sizeof(double) - 2)
        return sl_fail(err, SL_ERR_LIMIT, "speaker_voice_from_pcm: %zu samples is too many", n);
    workspace *w = malloc(sizeof *w);
    float *cep = malloc(frames * (NCEP + 1) * sizeof *cep);
    float *y = malloc((n / 2 + 1) * sizeof *y);
    double *e = malloc((n / 2 + 2) * sizeof *e);
    float *f0 = malloc((n / P_HOP + 1) * sizeof *f0);
    bool *is_voiced = calloc(frames, sizeof *is_voiced);
    sl_status st = SL_OK;
    if (!w || !cep || !y || !e || !f0 || !is_voiced) {
        st = sl_fail(err, SL_ERR_NOMEM, "speaker_voice_from_pcm: out of memory");
        goto done;
    }
    workspace_init(w);
    float max_db = -FLT_MAX;
    for (size_t f = 0; f < frames; f++) {
        const float *x = pcm + f * HOP;
        double energy = 0;
        for (int i = 0; i < FRAME; i++) {
            energy += (double)x[i] * x[i];
            float prev = i ? x[i - 1] : (f ? x[-1] : x[0]);
            w->re[i] = (x[i] - 0.97f * prev) * w->window[i];
            w->im[i] = 0;
        }
        memset(w->re + FRAME, 0, (NFFT - FRAME) * sizeof(float));
        memset(w->im + FRAME, 0, (NFFT - FRAME) * sizeof(float));
        fft(w);
        float power[NBIN], band[NBANDS];
        for (int k = 0; k < NBIN; k++)
            power[k] = w->re[k] * w->re[k] + w->im[k] * w->im[k];
        for (int b = 0; b < NBANDS; b++) {
            double s = 0;
            for (int k = 0; k < NBIN; k++)
                s += w->mel[b][k] * power[k];
            band[b] = (float)log(s > 1e-10 ? s : 1e-10);
        }
        float *c = cep + f * (NCEP + 1);
        for (int k = 0; k < NCEP; k++) {
            double s = 0;
            for (int b = 0; b < NBANDS; b++)
                s += w->dct[k][b] * band[b];
            c[k] = (float)s;
        }
        c[NCEP] = (float)(10 * log10(energy / FRAME + 1e-12));
        if (c[NCEP] > max_db)
            max_db = c[NCEP];
    }
    /* Timbre from voiced frames only when there are enough of them: the
     * vowels carry the vocal tract's resonances, while fricatives and
     * plosives mostly say which words were spoken. */
    size_t voiced = pitch_track(pcm, n, y, e, f0, is_voiced, frames);
    size_t n_voiced_frames = 0;
    for (size_t f = 0; f < frames; f++)
        n_voiced_frames += is_voiced[f];
    bool only_voiced = n_voiced_frames >= MIN_FRAMES;
    double sum[NCEP] = {0}, sq[NCEP] = {0};
    int used = 0;
    for (size_t f = 0; f < frames; f++) {
        const float *c = cep + f * (NCEP + 1);
        if (c[NCEP] < max_db - SPEECH_RANGE_DB || c[NCEP] < FLOOR_DB ||
            (only_voiced && !is_voiced[f]))
            continue;
        for (int k = 1; k < NCEP; k++) {
            sum[k] += c[k];
            sq[k] += (double)c[k] * c[k];
        }
        used++;
    }
    if (used < MIN_FRAMES)
        goto done;
    for (int k = 1; k < NCEP; k++) {
        double mean = sum[k] / used, var = sq[k] / used - mean * mean;
        out->v[k - 1] = (float)mean;
        out->v[SPEAKER_MFCC + k - 1] = (float)sqrt(var > 0 ? var : 0);
    }
    if (voiced >= MIN_VOICED) {
        qsort(f0, voiced, sizeof *f0, cmp_float);
        float med = f0[voiced / 2], q1 = f0[voiced / 4], q3 = f0[voiced * 3 / 4];
        out->v[2 * SPEAKER_MFCC] = med;
        out->v[2 * SPEAKER_MFCC + 1] = 0.5f * (q3 - q1);
        out->pitch_hz = exp2f(med);
    } else {
        /* Whispered or unvoiced: a pitch between men's and women's, so the
         * timbre decides. */
        out->v[2 * SPEAKER_MFCC] = (float)log2(160.0);
        out->v[2 * SPEAKER_MFCC + 1] = 0;
    }
    out->frames = used;
done:
    free(w);
    free(cep);
    free(y);
    free(e);
    free(f0);
    free(is_voiced);
    return st;
}

static float scaled_distance(const float *a, const float *b)
{
    double s = 0, wsum = 0;
    for (int i = 0; i < SPEAKER_DIM; i++) {
        double d = (a[i] - b[i]) / dim_scale[i];
        s += dim_weight[i] * d * d;
        wsum += dim_weight[i];
    }
    return (float)sqrt(s / wsum);
}

float speaker_voice_distance(const speaker_voice *a, const speaker_voice *b)
{
    return scaled_distance(a->v, b->v);
}

speaker_params speaker_default_params(void)
{
    /* 1.6 scaled units. On three renderings of the test meeting (twelve
     * espeak-ng voices, three of them in one rendering within 10% of one
     * pitch) 1.6 kept every speaker apart and split one or two of them;
     * 1.8-2.4 found the four speakers of one rendering exactly but merged
     * two or three same-pitch voices of the others. The low end is taken
     * because a split costs the user a second name for one person, while a
     * merge of two people cannot be undone by naming. */
    return (speaker_params){.online_threshold = 1.6f, .final_threshold = 1.6f,
                            .max_speakers = 16};
}

struct speaker_tracker {
    speaker_params p;
    speaker_voice *voices;
    int *online;
    size_t n, cap;
    /* Online speakers: running sums of their voices. */
    double *sums;
    int *members;
    int n_speakers, cap_speakers;
};

sl_status speaker_tracker_create(const speaker_params *p, speaker_tracker **out, sl_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return sl_fail(err, SL_ERR_NOMEM, "speaker tracker: out of memory");
    (*out)->p = p ? *p : speaker_default_params();
    if ((*out)->p.max_speakers < 1)
        (*out)->p.max_speakers = 1;
    return SL_OK;
}

void speaker_tracker_free(speaker_tracker *t)
{
    if (!t)
        return;
    free(t->voices);
    free(t->online);
    free(t->sums);
    free(t->members);
    free(t);
}

size_t speaker_tracker_count(const speaker_tracker *t)
{
    return t->n;
}

int speaker_tracker_online_label(const speaker_tracker *t, size_t i)
{
    return i < t->n ? t->online[i] : 0;
}

sl_status speaker_tracker_add(speaker_tracker *t, const speaker_voice *v, int *label,
                              sl_error *err)
{
    *label = 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        speaker_voice *nv = realloc(t->voices, cap * sizeof *nv);
        if (nv)
            t->voices = nv;
        int *no = realloc(t->online, cap * sizeof *no);
        if (no)
            t->online = no;
        if (!nv || !no)
            return sl_fail(err, SL_ERR_NOMEM, "speaker tracker: out of memory");
        t->cap = cap;
    }
    int best = -1;
    float best_d = FLT_MAX;
    if (v->frames > 0) {
        for (int s = 0; s < t->n_speakers; s++) {
            float mean[SPEAKER_DIM];
            for (int i = 0; i < SPEAKER_DIM; i++)
                mean[i] = (float)(t->sums[(size_t)s * SPEAKER_DIM + i] / t->members[s]);
            float d = scaled_distance(v->v, mean);
            if (d < best_d) {
                best_d = d;
                best = s;
            }
        }
        bool short_one = v->frames < FOUNDING_FRAMES && t->n_speakers > 0;
        if (short_one) {
            /* Joins, without moving the speaker's mean. */
            *label = best + 1;
            t->voices[t->n] = *v;
            t->online[t->n++] = *label;
            return SL_OK;
        }
        if (best < 0 || best_d >= t->p.online_threshold) {
            if (t->n_speakers == t->cap_speakers) {
                int cap = t->cap_speakers ? t->cap_speakers * 2 : 8;
                double *ns = realloc(t->sums, (size_t)cap * SPEAKER_DIM * sizeof *ns);
                if (ns)
                    t->sums = ns;
                int *nm = realloc(t->members, (size_t)cap * sizeof *nm);
                if (nm)
                    t->members = nm;
                if (!ns || !nm)
                    return sl_fail(err, SL_ERR_NOMEM, "speaker tracker: out of memory");
                t->cap_speakers = cap;
            }
            best = t->n_speakers++;
            memset(t->sums + (size_t)best * SPEAKER_DIM, 0, SPEAKER_DIM * sizeof *t->sums);
            t->members[best] = 0;
        }
        for (int i = 0; i < SPEAKER_DIM; i++)
            t->sums[(size_t)best * SPEAKER_DIM + i] += v->v[i];
        t->members[best]++;
        *label = best + 1;
    } else if (t->n) {
        /* Too little to go on: most likely whoever spoke just before. */
        *label = t->online[t->n - 1];
    }
    t->voices[t->n] = *v;
    t->online[t->n++] = *label;
    return SL_OK;
}

/* Average-linkage agglomeration of the m voices idx[0..m) into *k clusters
 * (cluster[i] in 0..k-1), nearest-neighbour caching so a merge costs O(m)
 * rather than a scan of the whole matrix. */
static sl_status agglomerate(const speaker_tracker *t, const size_t *idx, size_t m, int *cluster,
                             int *k, sl_error *err)
{
    float *d = NULL;
    size_t *nn = NULL, *size = NULL, *root = NULL;
    if (m > SIZE_MAX / sizeof(float) / m)
        return sl_fail(err, SL_ERR_LIMIT, "speaker tracker: %zu utterances is too many", m);
    d = malloc(m * m * sizeof *d);
    nn = malloc(m * sizeof *nn);
    size = malloc(m * sizeof *size);
    root = malloc(m * sizeof *root);
    sl_status st = SL_OK;
    if (!d || !nn || !size || !root) {
        st = sl_fail(err, SL_ERR_NOMEM, "speaker tracker: out of memory clustering %zu "
                                        "utterances", m);
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        d[i * m + i] = FLT_MAX;
        for (size_t j = i + 1; j < m; j++)
            d[i * m + j] = d[j * m + i] =
                scaled_distance(t->voices[idx[i]].v, t->voices[idx[j]].v);
        size[i] = 1;
        root[i] = i;
    }
    /* size[i] == 0: cluster i was merged away. */
    for (size_t i = 0; i < m; i++) {
        nn[i] = i;
        for (size_t j = 0; j < m; j++)
            if (j != i && (nn[i] == i || d[i * m + j] < d[i * m + nn[i]]))
                nn[i] = j;
    }
    size_t alive = m;
    while (alive > 1) {
        size_t a = m;
        for (size_t i = 0; i < m; i++)
            if (size[i] && (a == m || d[i * m + nn[i]] < d[a * m + nn[a]]))
                a = i;
        size_t b = nn[a];
        float best = d[a * m + b];
        if (best >= t->p.final_threshold && alive <= (size_t)t->p.max_speakers)
            break;
        /* Merge b into a (Lance-Williams update for average linkage). */
        for (size_t j = 0; j < m; j++) {
            if (!size[j] || j == a || j == b)
                continue;
            float v = (float)((size[a] * (double)d[a * m + j] + size[b] * (double)d[b * m + j]) /
                              (double)(size[a] + size[b]));
            d[a * m + j] = d[j * m + a] = v;
        }
        size[a] += size[b];
        size[b] = 0;
        for (size_t j = 0; j < m; j++) {
            d[b * m + j] = d[j * m + b] = FLT_MAX;
            if (root[j] == b)
                root[j] = a;
        }
        alive--;
        for (size_t i = 0; i < m; i++) {
            if (!size[i])
                continue;
            if (i == a || nn[i] == a || nn[i] == b) {
                nn[i] = i;
                for (size_t j = 0; j < m; j++)
                    if (j != i && size[j] && (nn[i] == i || d[i * m + j] < d[i * m + nn[i]]))
                        nn[i] = j;
            } else if (d[i * m + a] < d[i * m + nn[i]]) {
                nn[i] = a;
            }
        }
    }
    /* Number the clusters 0..k-1 in order of first utterance. */
    int next = 0;
    for (size_t i = 0; i < m; i++)
        nn[i] = SIZE_MAX;
    for (size_t i = 0; i < m; i++) {
        size_t r = root[i];
        if (nn[r] == SIZE_MAX)
            nn[r] = (size_t)next++;
        cluster[i] = (int)nn[r];
    }
    *k = next;
done:
    free(d);
    free(nn);
    free(size);
    free(root);
    return st;
}

sl_status speaker_tracker_recluster(const speaker_tracker *t, int *labels, int *n_speakers,
                                    sl_error *err)
{
    *n_speakers = 0;
    size_t m = 0, founding = 0;
    for (size_t i = 0; i < t->n; i++)
        labels[i] = 0;
    for (size_t i = 0; i < t->n; i++) {
        m += t->voices[i].frames > 0;
        founding += t->voices[i].frames >= FOUNDING_FRAMES;
    }
    if (!m)
        return SL_OK;
    /* Short utterances join afterwards, unless there is nothing else. */
    int min_frames = founding ? FOUNDING_FRAMES : 1;
    size_t *idx = malloc(m * sizeof *idx);
    int *cluster = malloc(m * sizeof *cluster);
    int k = 0;
    sl_status st = idx && cluster ? SL_OK
                                  : sl_fail(err, SL_ERR_NOMEM, "speaker tracker: out of memory");
    if (st == SL_OK) {
        size_t f = 0;
        for (size_t i = 0; i < t->n; i++)
            if (t->voices[i].frames >= min_frames)
                idx[f++] = i;
        founding = f;
        for (size_t i = 0; i < t->n; i++)
            if (t->voices[i].frames > 0 && t->voices[i].frames < min_frames)
                idx[f++] = i;
        st = agglomerate(t, idx, founding, cluster, &k, err);
    }
    /* Each short utterance: the cluster at the smallest average distance. */
    for (size_t s = founding; st == SL_OK && s < m; s++) {
        double best = DBL_MAX;
        for (int c = 0; c < k; c++) {
            double sum = 0;
            size_t count = 0;
            for (size_t i = 0; i < founding; i++)
                if (cluster[i] == c) {
                    sum += scaled_distance(t->voices[idx[s]].v, t->voices[idx[i]].v);
                    count++;
                }
            if (count && sum / (double)count < best) {
                best = sum / (double)count;
                cluster[s] = c;
            }
        }
    }
    int max_online = t->n_speakers;
    int *final_label = NULL;
    bool *taken = NULL;
    if (st == SL_OK) {
        final_label = calloc((size_t)k, sizeof *final_label);
        /* Labels up to max_online + k can be handed out. */
        taken = calloc((size_t)(max_online + k + 2), sizeof *taken);
        if (!final_label || !taken)
            st = sl_fail(err, SL_ERR_NOMEM, "speaker tracker: out of memory");
    }
    if (st == SL_OK) {
        /* Clusters in order of first utterance; each keeps the live label of
         * its earliest utterance whose label no earlier cluster kept. */
        for (int c = 0; c < k; c++) {
            size_t first = SIZE_MAX;
            for (size_t i = 0; i < m; i++) {
                int l = t->online[idx[i]];
                if (cluster[i] == c && l > 0 && !taken[l] && idx[i] < first) {
                    first = idx[i];
                    final_label[c] = l;
                }
            }
            if (final_label[c])
                taken[final_label[c]] = true;
        }
        int free_label = 1;
        for (int c = 0; c < k; c++) {
            if (final_label[c])
                continue;
            while (taken[free_label])
                free_label++;
            final_label[c] = free_label;
            taken[free_label] = true;
        }
        for (size_t i = 0; i < m; i++)
            labels[idx[i]] = final_label[cluster[i]];
        /* Utterances without a voice: the label of the previous one, else
         * the next one. */
        for (size_t i = 0; i < t->n; i++)
            if (!labels[i] && i)
                labels[i] = labels[i - 1];
        for (size_t i = t->n; i-- > 0;)
            if (!labels[i] && i + 1 < t->n)
                labels[i] = labels[i + 1];
        *n_speakers = k;
    }
    free(final_label);
    free(taken);
    free(idx);
    free(cluster);
    return st;
}
