/* Transcription loop; see whisper_transcribe.h. */
#include "speech/whisper_transcribe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DELTA_MIN 10 /* 100 ms: shorter leftovers are not decoded */
#define MAX_DECODERS 8
#define HISTORY_TEMP_CUTOFF 0.5f

whisper_params whisper_default_params(whisper_strategy strategy)
{
    whisper_params p = {
        .strategy = strategy,
        .beam_size = 5,
        .best_of = 5,
        .temperature = 0.0f,
        .temperature_inc = 0.2f,
        .logprob_thold = -1.0f,
        .no_speech_thold = 0.6f,
        .entropy_thold = 2.4f,
        .max_initial_ts = 1.0f,
        .no_timestamps = false,
        .suppress_blank = true,
        .translate = false,
        .language = "en",
        .seed = 1,
        .reference_threads = 1,
    };
    return p;
}

void whisper_result_free(whisper_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_segments; i++) {
        free(r->segments[i].text);
        free(r->segments[i].tokens);
    }
    free(r->segments);
    memset(r, 0, sizeof *r);
}

/* ---------------------------------------------------------------- logits */

static void log_softmax(const float *logits, float *logprobs, int n)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        if (logits[i] > mx)
            mx = logits[i];
    float sum = 0;
    for (int i = 0; i < n; i++)
        if (logits[i] > -INFINITY)
            sum += expf(logits[i] - mx);
    float lse = logf(sum) + mx;
    for (int i = 0; i < n; i++)
        logprobs[i] = logits[i] > -INFINITY ? logits[i] - lse : -INFINITY;
}

void whisper_apply_logit_rules(const whisper_model *m, const whisper_params *p,
                               const int32_t *prev, int n_prev, int seek_delta_min,
                               float temperature, float *logits, float *logprobs)
{
    const whisper_special_tokens *t = &m->tok;
    int n = m->hp.n_vocab;
    if (temperature > 0)
        for (int i = 0; i < n; i++)
            logits[i] /= temperature;
    if (p->suppress_blank && n_prev == 0) {
        logits[t->eot] = -INFINITY;
        if (t->blank >= 0)
            logits[t->blank] = -INFINITY;
    }
    logits[t->no_timestamps] = -INFINITY;
    if (p->no_timestamps)
        for (int i = t->beg; i < n; i++)
            logits[i] = -INFINITY;
    logits[t->sot] = -INFINITY;
    logits[t->nosp] = -INFINITY;
    logits[t->solm] = -INFINITY;
    logits[t->translate] = -INFINITY;
    logits[t->transcribe] = -INFINITY;
    logits[t->prev] = -INFINITY;
    /* whisper.cpp suppresses sot+1 .. sot+100 (its language table) */
    for (int i = 0; i < whisper_lang_count(); i++)
        if (t->sot + 1 + i < n)
            logits[t->sot + 1 + i] = -INFINITY;

    bool last_ts = n_prev > 0 && prev[n_prev - 1] >= t->beg;
    bool penult_ts = n_prev < 2 || prev[n_prev - 2] >= t->beg;
    if (last_ts) {
        if (penult_ts)
            for (int i = t->beg; i < n; i++)
                logits[i] = -INFINITY;
        else
            for (int i = 0; i < t->eot; i++)
                logits[i] = -INFINITY;
    }
    if (n_prev == 0 && p->max_initial_ts > 0) {
        float precision = (float)WHISPER_CHUNK_SECONDS / (float)m->hp.n_audio_ctx;
        int tid0 = (int)roundf(p->max_initial_ts / precision);
        for (int i = t->beg + tid0 + 1; i < n; i++)
            logits[i] = -INFINITY;
    }
    if (seek_delta_min > 0) {
        int tid0 = seek_delta_min / 2;
        for (int i = t->beg; i < t->beg + tid0 && i < n; i++)
            logits[i] = -INFINITY;
    }
    log_softmax(logits, logprobs, n);
    /* timestamps win when their total probability beats every text token */
    float ts_max = -INFINITY;
    for (int i = t->beg; i < n; i++)
        if (logprobs[i] > ts_max)
            ts_max = logprobs[i];
    float ts_lp = -INFINITY;
    if (ts_max > -INFINITY) {
        float s = 0;
        for (int i = t->beg; i < n; i++)
            if (logprobs[i] > -INFINITY)
                s += expf(logprobs[i] - ts_max);
        if (s > 0)
            ts_lp = logf(s) + ts_max;
    }
    float text_max = -INFINITY;
    for (int i = 0; i < t->beg; i++)
        if (logprobs[i] > text_max)
            text_max = logprobs[i];
    if (ts_lp > text_max)
        for (int i = 0; i < t->beg; i++) {
            logits[i] = -INFINITY;
            logprobs[i] = -INFINITY;
        }
}

/* ---------------------------------------------------------------- decoders */

typedef struct tok_data {
    int32_t id, tid;
    float p, plog;
} tok_data;

typedef struct decoder {
    tok_data *tokens;
    int n_tokens;
    int result_len;
    double sum_logprobs_all, avg_logprobs, entropy, score;
    int seek_delta;
    bool has_ts, failed, completed;
    float *logits, *logprobs;
    uint64_t rng;
} decoder;

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The best timestamp token and the chosen token (argmax, or a draw). */
static tok_data sample(const whisper_model *m, decoder *d, bool best)
{
    int n = m->hp.n_vocab, beg = m->tok.beg;
    tok_data r = {0, beg, 0, -INFINITY};
    float max_ts = 0;
    for (int i = beg; i < n; i++) {
        float pi = d->logprobs[i] > -INFINITY ? expf(d->logprobs[i]) : 0.0f;
        if (pi > max_ts) {
            max_ts = pi;
            r.tid = i;
        }
    }
    if (best) {
        int bi = 0;
        for (int i = 1; i < n; i++)
            if (d->logprobs[i] > d->logprobs[bi])
                bi = i;
        r.id = bi;
    } else {
        double u = (double)(rng_next(&d->rng) >> 11) * 0x1p-53;
        double acc = 0;
        int pick = -1;
        for (int i = 0; i < n; i++) {
            if (d->logprobs[i] == -INFINITY)
                continue;
            acc += exp(d->logprobs[i]);
            pick = i;
            if (acc > u)
                break;
        }
        r.id = pick < 0 ? m->tok.eot : pick;
    }
    r.plog = d->logprobs[r.id];
    r.p = expf(r.plog);
    if (r.id >= beg)
        r.tid = r.id;
    return r;
}

static void score_sequence(decoder *d)
{
    if (d->result_len == 0)
        return;
    double sum = 0;
    for (int i = 0; i < d->result_len; i++)
        sum += d->tokens[i].plog;
    d->avg_logprobs = sum / d->result_len;
    d->score = sum / d->result_len; /* length_penalty -1: divide by length */
    int from = d->result_len > 32 ? d->result_len - 32 : 0, cnt = d->result_len - from;
    double ent = 0;
    for (int i = from; i < d->result_len; i++) {
        bool seen = false;
        for (int k = from; k < i; k++)
            if (d->tokens[k].id == d->tokens[i].id) {
                seen = true;
                break;
            }
        if (seen)
            continue;
        int c = 0;
        for (int k = i; k < d->result_len; k++)
            c += d->tokens[k].id == d->tokens[i].id;
        double pr = (double)c / cnt;
        ent -= pr * log(pr);
    }
    d->entropy = ent;
}

/* ---------------------------------------------------------------- output */

static sl_status add_segment(whisper_result *r, const whisper_model *m, int64_t t0, int64_t t1,
                             const tok_data *toks, int from, int to, float nsp, sl_error *err)
{
    size_t bytes = 1;
    for (int i = from; i < to; i++) {
        uint32_t len = 0;
        if (toks[i].id < m->tok.eot)
            whisper_token_bytes(m, toks[i].id, &len);
        bytes += len;
    }
    whisper_segment *s = realloc(r->segments, (size_t)(r->n_segments + 1) * sizeof *s);
    if (!s)
        return sl_fail(err, SL_ERR_NOMEM, "whisper: out of memory for segments");
    r->segments = s;
    whisper_segment *g = &s[r->n_segments];
    memset(g, 0, sizeof *g);
    g->text = malloc(bytes);
    g->tokens = malloc((size_t)(to - from + 1) * sizeof(int32_t));
    if (!g->text || !g->tokens) {
        free(g->text);
        free(g->tokens);
        return sl_fail(err, SL_ERR_NOMEM, "whisper: out of memory for segments");
    }
    size_t o = 0;
    for (int i = from; i < to; i++) {
        g->tokens[g->n_tokens++] = toks[i].id;
        uint32_t len = 0;
        const uint8_t *b = toks[i].id < m->tok.eot ? whisper_token_bytes(m, toks[i].id, &len)
                                                   : NULL;
        if (b && len) {
            memcpy(g->text + o, b, len);
            o += len;
        }
    }
    g->text[o] = 0;
    g->t0_ms = t0 * 10;
    g->t1_ms = t1 * 10;
    g->no_speech_prob = nsp;
    r->n_segments++;
    return SL_OK;
}

/* Cuts a window's tokens into segments at timestamp tokens, as
 * whisper.cpp does (text before a timestamp ends a segment). */
static sl_status emit_segments(whisper_result *r, const whisper_model *m, const whisper_params *p,
                               int seek, int seek_delta, const tok_data *toks, int n, float nsp,
                               sl_error *err)
{
    int beg = m->tok.beg;
    int i0 = 0;
    int64_t t0 = seek + 2 * (int64_t)(toks[0].tid - beg);
    bool has_text = false;
    for (int i = 0; i < n; i++) {
        if (toks[i].id < m->tok.eot) {
            uint32_t len = 0;
            whisper_token_bytes(m, toks[i].id, &len);
            has_text |= len > 0;
        }
        if (toks[i].id > beg && !p->no_timestamps) {
            int64_t t1 = seek + 2 * (int64_t)(toks[i].tid - beg);
            if (has_text) {
                sl_status s = add_segment(r, m, t0, t1, toks, i0, i + 1, nsp, err);
                if (s != SL_OK)
                    return s;
            }
            has_text = false;
            t0 = t1;
            while (i + 1 < n && toks[i + 1].id > beg) {
                i++;
                t0 = seek + 2 * (int64_t)(toks[i].tid - beg);
            }
            i0 = i + 1;
        }
    }
    if (has_text)
        return add_segment(r, m, t0, seek + seek_delta, toks, i0, n, nsp, err);
    return SL_OK;
}

/* ---------------------------------------------------------------- language */

sl_status whisper_detect_language(whisper_state *st, const mel_spectrogram *mel, int offset,
                                  float *probs, int *lang, sl_error *err)
{
    const whisper_model *m = whisper_state_model(st);
    if (!m->tok.multilingual)
        return sl_fail(err, SL_ERR_MODEL, "%s: an English-only model cannot detect languages",
                       m->path);
    sl_status s = whisper_encode(st, mel, offset, err);
    if (s != SL_OK)
        return s;
    float *logits = malloc((size_t)m->hp.n_vocab * sizeof(float));
    if (!logits)
        return sl_fail(err, SL_ERR_NOMEM, "whisper: out of memory");
    int32_t sot = m->tok.sot;
    s = whisper_decode(st, 0, &sot, 1, 0, logits, err);
    if (s == SL_OK) {
        int nl = m->tok.n_languages, best = 0;
        float mx = -INFINITY;
        for (int i = 0; i < nl; i++)
            if (logits[sot + 1 + i] > mx) {
                mx = logits[sot + 1 + i];
                best = i;
            }
        double sum = 0;
        for (int i = 0; i < nl; i++)
            sum += exp(logits[sot + 1 + i] - mx);
        if (probs) {
            for (int i = 0; i < whisper_lang_count(); i++)
                probs[i] = i < nl ? (float)(exp(logits[sot + 1 + i] - mx) / sum) : 0.0f;
        }
        *lang = best;
    }
    free(logits);
    return s;
}

/* ---------------------------------------------------------------- main loop */

typedef struct candidate {
    int src;
    tok_data tok;
    double sum_logprobs_all;
} candidate;

typedef struct run {
    const whisper_model *m;
    const whisper_params *p;
    whisper_state *st;
    decoder dec[MAX_DECODERS];
    tok_data *prev_tokens[MAX_DECODERS]; /* beam snapshot */
    decoder prev[MAX_DECODERS];
    int max_dec; /* decoders per bank */
    int bank;    /* decoder j uses cache slot bank * max_dec + j */
    int32_t *prompt;
    int n_prompt;
    int32_t *past;
    int n_past_tokens;
    int32_t *seq_buf;
} run;

static int slot_of(const run *r, int j)
{
    return r->bank * r->max_dec + j;
}

static int cmp_cand(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->sum_logprobs_all != y->sum_logprobs_all)
        return x->sum_logprobs_all > y->sum_logprobs_all ? -1 : 1;
    return x->src - y->src;
}

static bool same_seq(const run *r, const candidate *a, const candidate *b)
{
    const decoder *da = &r->prev[a->src], *db = &r->prev[b->src];
    if (da->n_tokens != db->n_tokens || a->tok.id != b->tok.id)
        return false;
    for (int i = 0; i < da->n_tokens; i++)
        if (r->prev_tokens[a->src][i].id != r->prev_tokens[b->src][i].id)
            return false;
    return true;
}

/* Decodes one window at `seek` at temperature t with n_dec decoders; the
 * caller picks the best. */
static sl_status decode_window(run *r, int seek, int seek_end, float t, int n_dec, bool beam,
                               float *no_speech_prob, sl_error *err)
{
    const whisper_model *m = r->m;
    const whisper_params *p = r->p;
    int n_vocab = m->hp.n_vocab;
    int n_max = p->max_decode_tokens > 0 ? p->max_decode_tokens : m->hp.n_text_ctx / 2 - 4;
    if (n_max > m->hp.n_text_ctx - r->n_prompt - 1)
        n_max = m->hp.n_text_ctx - r->n_prompt - 1;
    r->bank = 0;
    for (int j = 0; j < n_dec; j++) {
        decoder *d = &r->dec[j];
        d->n_tokens = 0;
        d->result_len = 0;
        d->sum_logprobs_all = 0;
        d->avg_logprobs = -INFINITY;
        d->score = -INFINITY;
        d->entropy = 0;
        d->seek_delta = 100 * WHISPER_CHUNK_SECONDS;
        d->failed = d->completed = d->has_ts = false;
    }
    sl_status s = whisper_decode(r->st, slot_of(r, 0), r->prompt, r->n_prompt, 0,
                                 r->dec[0].logits, err);
    if (s != SL_OK)
        return s;
    log_softmax(r->dec[0].logits, r->dec[0].logprobs, n_vocab);
    *no_speech_prob = expf(r->dec[0].logprobs[m->tok.nosp]);
    whisper_apply_logit_rules(m, p, NULL, 0, 0, t, r->dec[0].logits, r->dec[0].logprobs);
    for (int j = 1; j < n_dec; j++) {
        s = whisper_seq_copy(r->st, slot_of(r, 0), slot_of(r, j), r->n_prompt, err);
        if (s != SL_OK)
            return s;
        memcpy(r->dec[j].logits, r->dec[0].logits, (size_t)n_vocab * sizeof(float));
        memcpy(r->dec[j].logprobs, r->dec[0].logprobs, (size_t)n_vocab * sizeof(float));
    }
    candidate cands[MAX_DECODERS * MAX_DECODERS];
    for (int i = 0; i < n_max; i++) {
        if (beam) {
            int nc = 0;
            for (int j = 0; j < n_dec; j++) {
                decoder *d = &r->dec[j];
                if (d->completed || d->failed)
                    continue;
                /* top beam_size tokens by log-probability, one pass (ties
                 * keep the lower id, like a stable sort) */
                int top[MAX_DECODERS], nt = 0;
                for (int v = 0; v < n_vocab; v++) {
                    float lp = d->logprobs[v];
                    if (lp == -INFINITY || (nt == n_dec && lp <= d->logprobs[top[nt - 1]]))
                        continue;
                    int at = nt < n_dec ? nt++ : nt - 1;
                    while (at > 0 && d->logprobs[top[at - 1]] < lp) {
                        top[at] = top[at - 1];
                        at--;
                    }
                    top[at] = v;
                }
                tok_data base = sample(m, d, true); /* the best timestamp (tid) */
                for (int k = 0; k < nt; k++) {
                    tok_data td = base;
                    td.id = top[k];
                    td.plog = d->logprobs[top[k]];
                    td.p = expf(td.plog);
                    if (top[k] >= m->tok.beg)
                        td.tid = top[k];
                    cands[nc].src = j;
                    cands[nc].tok = td;
                    cands[nc].sum_logprobs_all = d->sum_logprobs_all + td.plog;
                    nc++;
                }
            }
            qsort(cands, (size_t)nc, sizeof cands[0], cmp_cand);
            for (int j = 0; j < n_dec; j++) {
                r->prev[j] = r->dec[j];
                memcpy(r->prev_tokens[j], r->dec[j].tokens,
                       (size_t)r->dec[j].n_tokens * sizeof(tok_data));
            }
            int cur = 0, nb = 1 - r->bank;
            for (int j = 0; j < n_dec && nc > 0; j++) {
                decoder *d = &r->dec[j];
                if (d->completed || d->failed)
                    continue;
                if (cur >= nc)
                    cur = 0;
                candidate *c = &cands[cur++];
                while (cur < nc && i > 0 && same_seq(r, &cands[cur], c))
                    cur++;
                const decoder *src = &r->prev[c->src];
                d->seek_delta = src->seek_delta;
                d->has_ts = src->has_ts;
                d->result_len = src->result_len;
                d->n_tokens = src->n_tokens;
                memcpy(d->tokens, r->prev_tokens[c->src], (size_t)src->n_tokens * sizeof(tok_data));
                d->tokens[d->n_tokens++] = c->tok;
                d->sum_logprobs_all = c->sum_logprobs_all;
                s = whisper_seq_copy(r->st, r->bank * r->max_dec + c->src, nb * r->max_dec + j,
                                     r->n_prompt + i, err);
                if (s != SL_OK)
                    return s;
            }
            r->bank = nb;
        } else {
            for (int j = 0; j < n_dec; j++) {
                decoder *d = &r->dec[j];
                if (d->completed || d->failed)
                    continue;
                tok_data td = sample(m, d, t < 1e-6f);
                d->tokens[d->n_tokens++] = td;
                d->sum_logprobs_all += td.plog;
            }
        }
        for (int j = 0; j < n_dec; j++) {
            decoder *d = &r->dec[j];
            if (d->completed || d->failed)
                continue;
            const tok_data *tk = &d->tokens[d->n_tokens - 1];
            if (tk->id > m->tok.beg) {
                int nd = 2 * (tk->id - m->tok.beg);
                if (d->has_ts && d->seek_delta > nd && d->result_len < i) {
                    d->failed = true;
                    continue;
                }
                d->seek_delta = nd;
                d->result_len = i + 1;
                d->has_ts = true;
            }
            if (tk->id == m->tok.eot || (d->has_ts && seek + d->seek_delta + DELTA_MIN >= seek_end)) {
                if (d->result_len == 0 && !p->no_timestamps) {
                    if (seek + d->seek_delta + DELTA_MIN >= seek_end) {
                        d->result_len = i + 1;
                    } else {
                        d->failed = true;
                        continue;
                    }
                }
                if (p->no_timestamps) {
                    d->result_len = i + 1;
                    d->seek_delta = 100 * WHISPER_CHUNK_SECONDS;
                }
                d->completed = true;
                continue;
            }
            if (i == n_max - 1 &&
                (d->result_len == 0 || d->seek_delta < 100 * WHISPER_CHUNK_SECONDS / 2)) {
                d->failed = true;
                continue;
            }
        }
        bool all_done = true;
        for (int j = 0; j < n_dec; j++)
            all_done &= r->dec[j].completed || r->dec[j].failed;
        if (all_done)
            break;
        for (int j = 0; j < n_dec; j++) {
            decoder *d = &r->dec[j];
            if (d->completed || d->failed)
                continue;
            int32_t id = d->tokens[d->n_tokens - 1].id;
            s = whisper_decode(r->st, slot_of(r, j), &id, 1, r->n_prompt + i, d->logits, err);
            if (s != SL_OK)
                return s;
            for (int k = 0; k < d->n_tokens; k++)
                r->seq_buf[k] = d->tokens[k].id;
            whisper_apply_logit_rules(m, p, r->seq_buf, d->n_tokens,
                                      d->has_ts ? d->seek_delta : 0, t, d->logits, d->logprobs);
        }
    }
    return SL_OK;
}

static void run_free(run *r)
{
    for (int j = 0; j < MAX_DECODERS; j++) {
        free(r->dec[j].tokens);
        free(r->dec[j].logits);
        free(r->dec[j].logprobs);
        free(r->prev_tokens[j]);
    }
    free(r->prompt);
    free(r->past);
    free(r->seq_buf);
    whisper_state_free(r->st);
}

sl_status whisper_transcribe(const whisper_model *m, thread_pool *pool, const float *pcm,
                             size_t n, const whisper_params *params, whisper_progress_fn progress,
                             void *user, whisper_result *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    whisper_params def = whisper_default_params(WHISPER_STRATEGY_GREEDY);
    const whisper_params *p = params ? params : &def;
    if (!m || (!pcm && n))
        return sl_fail(err, SL_ERR_ARG, "whisper_transcribe: no model or no samples");
    if (p->beam_size < 1 || p->beam_size > MAX_DECODERS || p->best_of < 1 ||
        p->best_of > MAX_DECODERS || p->temperature < 0 || p->temperature_inc < 0)
        return sl_fail(err, SL_ERR_ARG,
                       "whisper_transcribe: beam size %d / best-of %d outside 1..%d, or a "
                       "negative temperature",
                       p->beam_size, p->best_of, MAX_DECODERS);
    if (!m->has_weights)
        return sl_fail(err, SL_ERR_MODEL, "%s: the file holds a vocabulary but no weights",
                       m->path);
    bool beam = p->strategy == WHISPER_STRATEGY_BEAM;
    int lang = 0;
    bool want_detect = !p->language || !*p->language || strcmp(p->language, "auto") == 0;
    if (!want_detect) {
        lang = whisper_lang_id(p->language);
        if (lang < 0 || (m->tok.multilingual && lang >= m->tok.n_languages))
            return sl_fail(err, SL_ERR_ARG, "whisper: unknown language '%s'", p->language);
        if (!m->tok.multilingual && lang != 0)
            return sl_fail(err, SL_ERR_MODEL,
                           "%s: English-only model cannot transcribe language '%s'", m->path,
                           p->language);
    }

    mel_spectrogram mel;
    sl_status s = mel_from_pcm(pcm, n, m->hp.n_mels, m->filters, &mel, pool, err);
    if (s != SL_OK)
        return s;
    run r;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.p = p;
    int T = m->hp.n_text_ctx, V = m->hp.n_vocab;
    /* caches: one per decoder, and a second bank for beam reordering */
    bool sampling = p->temperature > 0 || p->temperature_inc > 0;
    r.max_dec = beam ? p->beam_size : 1;
    if (sampling && p->best_of > r.max_dec)
        r.max_dec = p->best_of;
    s = whisper_state_create(m, pool, (beam ? 2 : 1) * r.max_dec, &r.st, err);
    if (s != SL_OK) {
        mel_free(&mel);
        return s;
    }
    whisper_state_set_kv_chunks(r.st, p->reference_threads);
    for (int j = 0; j < MAX_DECODERS; j++) {
        r.dec[j].tokens = malloc((size_t)T * sizeof(tok_data));
        r.prev_tokens[j] = malloc((size_t)T * sizeof(tok_data));
        r.dec[j].logits = malloc((size_t)V * sizeof(float));
        r.dec[j].logprobs = malloc((size_t)V * sizeof(float));
        r.dec[j].rng = p->seed * 0x9E3779B97F4A7C15ull + (uint64_t)j;
        if (!r.dec[j].tokens || !r.prev_tokens[j] || !r.dec[j].logits || !r.dec[j].logprobs)
            s = SL_ERR_NOMEM;
    }
    r.prompt = malloc((size_t)T * sizeof(int32_t));
    r.past = malloc((size_t)T * sizeof(int32_t));
    r.seq_buf = malloc((size_t)T * sizeof(int32_t));
    if (s != SL_OK || !r.prompt || !r.past || !r.seq_buf) {
        run_free(&r);
        mel_free(&mel);
        return sl_fail(err, SL_ERR_NOMEM, "whisper: out of memory for the decoders");
    }
    if (want_detect && m->tok.multilingual) {
        s = whisper_detect_language(r.st, &mel, p->offset_ms / 10, NULL, &lang, err);
        if (s != SL_OK)
            goto done;
    }
    out->lang_id = lang;

    int seek_start = p->offset_ms / 10;
    int seek_end = p->duration_ms == 0 ? mel.n_len_org : seek_start + p->duration_ms / 10;
    if (seek_end > mel.n_len_org)
        seek_end = mel.n_len_org;
    int32_t init[4];
    int n_init = 0;
    init[n_init++] = m->tok.sot;
    if (m->tok.multilingual) {
        init[n_init++] = m->tok.sot + 1 + lang;
        init[n_init++] = p->translate ? m->tok.translate : m->tok.transcribe;
    }
    if (p->no_timestamps)
        init[n_init++] = m->tok.no_timestamps;
    int max_prompt = T / 2;
    int n_temps = 1;
    if (p->temperature_inc > 0)
        n_temps = (int)floorf((1.0f + 1e-6f - p->temperature) / p->temperature_inc) + 1;
    if (n_temps < 1)
        n_temps = 1;
    int seek = seek_start;
    while (seek_end - seek_start >= DELTA_MIN) {
        int64_t pct = 100LL * (seek - seek_start) / (seek_end - seek_start);
        if (progress && !progress(user, pct > 100 ? 100 : (int)pct)) {
            s = sl_fail(err, SL_ERR_CANCELLED, "whisper: transcription cancelled");
            goto done;
        }
        if (seek + DELTA_MIN >= seek_end)
            break;
        s = whisper_encode(r.st, &mel, seek, err);
        if (s != SL_OK)
            goto done;
        out->n_windows++;
        if (seek > seek_start && seek + 500 >= seek_end)
            r.n_past_tokens = 0;
        int best = 0;
        float nsp = 0;
        for (int it = 0; it < n_temps; it++) {
            float t = p->temperature + p->temperature_inc * (float)it;
            int n_dec = t > 0 ? p->best_of : (beam ? p->beam_size : 1);
            r.n_prompt = 0;
            if (t < HISTORY_TEMP_CUTOFF && r.n_past_tokens > 0) {
                int take = r.n_past_tokens < max_prompt - 1 ? r.n_past_tokens : max_prompt - 1;
                r.prompt[r.n_prompt++] = m->tok.prev;
                memcpy(r.prompt + r.n_prompt, r.past + r.n_past_tokens - take,
                       (size_t)take * sizeof(int32_t));
                r.n_prompt += take;
            }
            memcpy(r.prompt + r.n_prompt, init, (size_t)n_init * sizeof(int32_t));
            r.n_prompt += n_init;
            s = decode_window(&r, seek, seek_end, t, n_dec, beam && t <= 0, &nsp, err);
            if (s != SL_OK)
                goto done;
            double best_score = -INFINITY;
            best = 0;
            for (int j = 0; j < n_dec; j++) {
                decoder *d = &r.dec[j];
                if (d->failed)
                    continue;
                d->n_tokens = d->result_len;
                score_sequence(d);
                if (d->result_len > 32 && d->entropy < p->entropy_thold) {
                    d->failed = true;
                    continue;
                }
                if (best_score < d->score) {
                    best_score = d->score;
                    best = j;
                }
            }
            const decoder *bd = &r.dec[best];
            bool ok = true;
            if (it != n_temps - 1 &&
                (bd->failed || (bd->avg_logprobs < p->logprob_thold && nsp < p->no_speech_thold)))
                ok = false;
            if (ok)
                break;
            out->n_fallbacks++;
        }
        decoder *bd = &r.dec[best];
        int seek_delta = bd->seek_delta;
        bool no_speech = nsp > p->no_speech_thold && bd->avg_logprobs < p->logprob_thold;
        /* context for the next window: this window's tokens */
        r.n_past_tokens = 0;
        if (!no_speech)
            for (int i = 0; i < bd->result_len && i < T; i++)
                r.past[r.n_past_tokens++] = bd->tokens[i].id;
        if (bd->n_tokens > 0 && !no_speech) {
            s = emit_segments(out, m, p, seek, seek_delta, bd->tokens, bd->n_tokens, nsp, err);
            if (s != SL_OK)
                goto done;
        }
        int nt = bd->n_tokens;
        if (nt > 1 && bd->tokens[nt - 2].id < m->tok.beg && bd->tokens[nt - 1].id > m->tok.beg) {
            int rest = seek_end - seek;
            seek_delta = rest < 100 * WHISPER_CHUNK_SECONDS ? rest : 100 * WHISPER_CHUNK_SECONDS;
        }
        if (seek_delta <= 0)
            seek_delta = 100 * WHISPER_CHUNK_SECONDS;
        seek += seek_delta;
    }
    if (progress && s == SL_OK)
        progress(user, 100);
done:
    run_free(&r);
    mel_free(&mel);
    if (s != SL_OK)
        whisper_result_free(out);
    return s;
}
