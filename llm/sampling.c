#include "llm/sampling.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void llm_rng_seed(llm_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t llm_rng_next(llm_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double llm_rng_uniform(llm_rng *rng)
{
    return (double)(llm_rng_next(rng) >> 11) * 0x1p-53;
}

llm_sampling_params llm_sampling_default_params(void)
{
    return (llm_sampling_params){
        .temperature = 0.8f,
        .top_k = 40,
        .top_p = 0.95f,
        .min_p = 0.05f,
        .repeat_penalty = 1.0f,
        .frequency_penalty = 0.0f,
        .presence_penalty = 0.0f,
        .repeat_last_n = 64,
        .seed = 0,
    };
}

typedef struct cand {
    int32_t id;
    float logit;
} cand;

struct llm_sampler {
    llm_sampling_params p;
    int32_t n_vocab;
    llm_rng rng;
    cand *cands;
    int32_t *history; /* ring of the last repeat_last_n accepted tokens */
    int32_t hist_len, hist_head;
    int32_t *counts;  /* occurrences of each token in the ring */
    uint32_t *stamp;  /* marks tokens already penalized in this call */
    uint32_t generation;
};

sl_status llm_sampler_create(const llm_sampling_params *params, int32_t n_vocab,
                             llm_sampler **out, sl_error *err)
{
    *out = NULL;
    if (!params || n_vocab < 1)
        return sl_fail(err, SL_ERR_ARG, "sampler: missing parameters or empty vocabulary (%d)",
                       n_vocab);
    llm_sampling_params p = *params;
    if (isnan(p.temperature) || isnan(p.top_p) || isnan(p.min_p) || !(p.repeat_penalty > 0) ||
        !isfinite(p.frequency_penalty) || !isfinite(p.presence_penalty) || p.min_p > 1.0f)
        return sl_fail(err, SL_ERR_ARG,
                       "sampler: invalid parameters (temperature %g, top_p %g, min_p %g, repeat_penalty %g)",
                       (double)p.temperature, (double)p.top_p, (double)p.min_p,
                       (double)p.repeat_penalty);
    if (p.repeat_last_n < 0)
        p.repeat_last_n = 0;
    llm_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return sl_fail(err, SL_ERR_NOMEM, "sampler: out of memory");
    s->p = p;
    s->n_vocab = n_vocab;
    s->cands = malloc((size_t)n_vocab * sizeof *s->cands);
    s->counts = calloc((size_t)n_vocab, sizeof *s->counts);
    s->stamp = calloc((size_t)n_vocab, sizeof *s->stamp);
    s->history = malloc((size_t)(p.repeat_last_n > 0 ? p.repeat_last_n : 1) * sizeof *s->history);
    if (!s->cands || !s->counts || !s->stamp || !s->history) {
        llm_sampler_free(s);
        return sl_fail(err, SL_ERR_NOMEM, "sampler: out of memory for %d tokens", n_vocab);
    }
    llm_rng_seed(&s->rng, p.seed);
    *out = s;
    return SL_OK;
}

void llm_sampler_free(llm_sampler *s)
{
    if (!s)
        return;
    free(s->cands);
    free(s->counts);
    free(s->stamp);
    free(s->history);
    free(s);
}

void llm_sampler_reset(llm_sampler *s)
{
    for (int32_t i = 0; i < s->hist_len; i++)
        s->counts[s->history[i]] = 0;
    s->hist_len = 0;
    s->hist_head = 0;
    llm_rng_seed(&s->rng, s->p.seed);
}

void llm_sampler_accept(llm_sampler *s, int32_t token)
{
    if (s->p.repeat_last_n == 0 || token < 0 || token >= s->n_vocab)
        return;
    if (s->hist_len == s->p.repeat_last_n) {
        s->counts[s->history[s->hist_head]]--;
        s->history[s->hist_head] = token;
        s->hist_head = (s->hist_head + 1) % s->p.repeat_last_n;
    } else {
        s->history[(s->hist_head + s->hist_len) % s->p.repeat_last_n] = token;
        s->hist_len++;
    }
    s->counts[token]++;
}

int32_t llm_argmax(const float *logits, int32_t n)
{
    int32_t best = 0;
    for (int32_t i = 1; i < n; i++)
        if (logits[i] > logits[best])
            best = i;
    return best;
}

/* Larger logit first; equal logits by id so the order is total. */
static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->logit != y->logit)
        return x->logit > y->logit ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Moves the k best candidates (cand_cmp order) to the front, then sorts
 * them: quickselect, O(n). */
static void select_top_k(cand *c, int32_t n, int32_t k)
{
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        cand pivot = c[lo + (hi - lo) / 2];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (cand_cmp(&c[i], &pivot) < 0)
                i++;
            while (cand_cmp(&c[j], &pivot) > 0)
                j--;
            if (i <= j) {
                cand t = c[i];
                c[i] = c[j];
                c[j] = t;
                i++;
                j--;
            }
        }
        if (k - 1 <= j)
            hi = j;
        else if (k - 1 >= i)
            lo = i;
        else
            break;
    }
    qsort(c, (size_t)k, sizeof *c, cand_cmp);
}

static void apply_penalties(llm_sampler *s)
{
    const llm_sampling_params *p = &s->p;
    if (s->hist_len == 0 ||
        (p->repeat_penalty == 1.0f && p->frequency_penalty == 0.0f && p->presence_penalty == 0.0f))
        return;
    if (++s->generation == 0) { /* wrapped: clear the marks */
        memset(s->stamp, 0, (size_t)s->n_vocab * sizeof *s->stamp);
        s->generation = 1;
    }
    for (int32_t i = 0; i < s->hist_len; i++) {
        int32_t t = s->history[i];
        if (s->stamp[t] == s->generation)
            continue;
        s->stamp[t] = s->generation;
        float *l = &s->cands[t].logit; /* cands still indexed by id here */
        if (*l <= 0.0f)
            *l *= p->repeat_penalty;
        else
            *l /= p->repeat_penalty;
        *l -= (float)s->counts[t] * p->frequency_penalty + p->presence_penalty;
    }
}

sl_status llm_sampler_sample(llm_sampler *s, const float *logits, int32_t *token,
                             sl_error *err)
{
    if (!s || !logits || !token)
        return sl_fail(err, SL_ERR_ARG, "sampler: missing sampler, logits or output");
    const llm_sampling_params *p = &s->p;
    int32_t n = s->n_vocab;
    cand *c = s->cands;
    for (int32_t i = 0; i < n; i++) {
        if (isnan(logits[i]))
            return sl_fail(err, SL_ERR_ARG, "sampler: logit %d is NaN", i);
        c[i] = (cand){i, logits[i]};
    }
    apply_penalties(s);
    if (p->temperature <= 0.0f) {
        int32_t best = 0;
        for (int32_t i = 1; i < n; i++)
            if (c[i].logit > c[best].logit)
                best = i;
        *token = best;
        return SL_OK;
    }
    bool sorted = false;
    if (p->top_k > 0 && p->top_k < n) {
        select_top_k(c, n, p->top_k);
        n = p->top_k;
        sorted = true;
    }
    if (p->top_p < 1.0f) {
        if (!sorted)
            qsort(c, (size_t)n, sizeof *c, cand_cmp);
        sorted = true;
        double mx = c[0].logit, sum = 0.0;
        for (int32_t i = 0; i < n; i++)
            sum += exp((double)c[i].logit - mx);
        double cum = 0.0, target = (double)p->top_p * sum;
        int32_t keep = n;
        for (int32_t i = 0; i < n; i++) {
            cum += exp((double)c[i].logit - mx);
            if (cum >= target) {
                keep = i + 1;
                break;
            }
        }
        n = keep;
    }
    if (p->min_p > 0.0f) {
        float mx = c[0].logit;
        if (!sorted)
            for (int32_t i = 1; i < n; i++)
                mx = c[i].logit > mx ? c[i].logit : mx;
        float threshold = mx + logf(p->min_p);
        int32_t kept = 0;
        for (int32_t i = 0; i < n; i++)
            if (c[i].logit >= threshold)
                c[kept++] = c[i];
        n = kept; /* the best always stays: log(min_p) <= 0 */
    }
    float mx = c[0].logit;
    for (int32_t i = 1; i < n; i++)
        mx = c[i].logit > mx ? c[i].logit : mx;
    double sum = 0.0;
    for (int32_t i = 0; i < n; i++)
        sum += exp((double)((c[i].logit - mx) / p->temperature));
    double u = llm_rng_uniform(&s->rng) * sum, cum = 0.0;
    int32_t pick = n - 1;
    for (int32_t i = 0; i < n; i++) {
        cum += exp((double)((c[i].logit - mx) / p->temperature));
        if (u < cum) {
            pick = i;
            break;
        }
    }
    *token = c[pick].id;
    return SL_OK;
}
