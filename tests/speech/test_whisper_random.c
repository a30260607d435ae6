/* Whisper on random models generated at test time by
 * ../shared/tools/gen_tiny_whisper.py (other seeds and shapes than the
 * fixture: Q8_0 and F32 weights, 128 mel bins, the multilingual layout):
 * batched and step-by-step decoding agree, 1 and 2 threads agree, and the
 * transcription paths (timestamps, beam search, fallback, language
 * detection, cancelling, empty audio) behave. */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llm/quant.h"
#include "speech/whisper_transcribe.h"

static char *g_dir;

static int gen_model(const char *name, const char *args, char *out, size_t out_size)
{
    const char *gen = shared_path("tools/gen_tiny_whisper.py");
    if (!gen || access("/usr/bin/python3", X_OK) != 0)
        return -1;
    snprintf(out, out_size, "%s/%s", g_dir, name);
    if (access(out, R_OK) == 0)
        return 0;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' %s '%s'", gen, args, out);
    char *o = NULL, *e = NULL;
    int rc = run_command(cmd, &o, &e);
    if (rc != 0)
        fprintf(stderr, "generator failed (%d): %s\n", rc, e ? e : "");
    free(o);
    free(e);
    return rc == 0 ? 0 : -1;
}

static float *make_audio(size_t n, uint64_t seed)
{
    float *x = malloc(n * sizeof(float));
    assert_non_null(x);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        float noise = (float)((double)(s >> 11) * 0x1p-53 - 0.5) * 0.05f;
        float env = (i / 4000) % 3 == 0 ? 0.0f : 1.0f; /* bursts and pauses */
        x[i] = env * (0.3f * sinf((float)i * 0.07f + 0.0001f * (float)i * (float)(i % 977)) +
                      noise);
    }
    return x;
}

static double max_rel(const float *a, const float *b, size_t n)
{
    double d = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        d = e > d ? e : d;
        mx = fabs(b[i]) > mx ? fabs(b[i]) : mx;
    }
    return mx > 0 ? d / mx : d;
}

static int setup(void **state)
{
    (void)state;
    g_dir = temp_dir_create();
    return g_dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    temp_dir_remove(g_dir);
    return 0;
}

/* Batched prompt vs one token at a time, and 1 vs 2 threads. */
static void check_consistency(const char *path, int n_mels)
{
    whisper_model *m = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_model_load(path, &m, &err), SL_OK);
    assert_int_equal(m->hp.n_mels, n_mels);
    size_t n = 16000 * 3;
    float *pcm = make_audio(n, 5);
    int V = m->hp.n_vocab, S = m->hp.n_audio_state, A = m->hp.n_audio_ctx;
    float *la = malloc((size_t)V * sizeof(float)), *lb = malloc((size_t)V * sizeof(float));
    float *enc1 = malloc((size_t)A * S * sizeof(float));
    assert_non_null(la);
    assert_non_null(lb);
    assert_non_null(enc1);
    int32_t toks[6] = {m->tok.sot, 100, 2000, 300, 40000, 7};
    for (int threads = 1; threads <= 2; threads++) {
        thread_pool *pool = NULL;
        assert_int_equal(thread_pool_create(threads, &pool, &err), SL_OK);
        mel_spectrogram mel;
        assert_int_equal(mel_from_pcm(pcm, n, n_mels, m->filters, &mel, pool, &err), SL_OK);
        whisper_state *st = NULL;
        assert_int_equal(whisper_state_create(m, pool, 2, &st, &err), SL_OK);
        assert_int_equal(whisper_encode(st, &mel, 0, &err), SL_OK);
        const float *enc = whisper_encoder_output(st);
        if (threads == 1) {
            memcpy(enc1, enc, (size_t)A * S * sizeof(float));
        } else {
            double d = max_rel(enc, enc1, (size_t)A * S);
            printf("%s: encoder 2 threads vs 1: max rel diff %.3g\n", path, d);
            assert_true(d <= 1e-5);
        }
        /* all six at once in sequence 0, one by one in sequence 1 */
        assert_int_equal(whisper_decode(st, 0, toks, 6, 0, la, &err), SL_OK);
        for (int i = 0; i < 6; i++)
            assert_int_equal(whisper_decode(st, 1, &toks[i], 1, i, lb, &err), SL_OK);
        double d = max_rel(lb, la, (size_t)V);
        printf("%s (%d threads): batched vs step logits: max rel diff %.3g\n", path, threads, d);
        assert_true(d <= 1e-4);
        /* copying a sequence's cache continues it identically */
        assert_int_equal(whisper_seq_copy(st, 0, 1, 6, &err), SL_OK);
        int32_t next = 555;
        assert_int_equal(whisper_decode(st, 0, &next, 1, 6, la, &err), SL_OK);
        assert_int_equal(whisper_decode(st, 1, &next, 1, 6, lb, &err), SL_OK);
        assert_memory_equal(la, lb, (size_t)V * sizeof(float));
        /* bad calls */
        assert_int_equal(whisper_decode(st, 2, toks, 1, 0, la, &err), SL_ERR_ARG);
        int32_t badtok = V;
        assert_int_equal(whisper_decode(st, 0, &badtok, 1, 0, la, &err), SL_ERR_ARG);
        assert_int_equal(whisper_decode(st, 0, toks, 1, m->hp.n_text_ctx, la, &err), SL_ERR_ARG);
        whisper_state_free(st);
        mel_free(&mel);
        thread_pool_destroy(pool);
    }
    free(la);
    free(lb);
    free(enc1);
    free(pcm);
    whisper_model_free(m);
}

static void test_q8_model_consistency(void **state)
{
    (void)state;
    char path[4096];
    if (gen_model("q8.bin",
                  "--seed 77 --n-state 96 --n-head 3 --n-audio-layer 2 --n-text-layer 2 "
                  "--ftype q8_0 --emb-scale 2",
                  path, sizeof path) != 0) {
        skip();
        return;
    }
    check_consistency(path, 80);
}

static void test_f32_128mel_consistency(void **state)
{
    (void)state;
    char path[4096];
    if (gen_model("f32_128.bin",
                  "--seed 3 --n-state 64 --n-head 4 --n-audio-layer 1 --n-text-layer 1 "
                  "--ftype f32 --n-mels 128",
                  path, sizeof path) != 0) {
        skip();
        return;
    }
    check_consistency(path, 128);
}

/* The same seed in F16 and Q8_0 describes the same model (the generator
 * rounds through F16 first): their logits agree to quantization noise. */
static void test_f16_and_q8_agree(void **state)
{
    (void)state;
    char p16[4096], p8[4096];
    if (gen_model("same16.bin", "--seed 11 --n-state 64 --n-head 2 --ftype f16", p16,
                  sizeof p16) != 0 ||
        gen_model("same8.bin", "--seed 11 --n-state 64 --n-head 2 --ftype q8_0", p8,
                  sizeof p8) != 0) {
        skip();
        return;
    }
    sl_error err = {0};
    whisper_model *a = NULL, *b = NULL;
    assert_int_equal(whisper_model_load(p16, &a, &err), SL_OK);
    assert_int_equal(whisper_model_load(p8, &b, &err), SL_OK);
    assert_int_equal(b->d_te.type, TENSOR_Q8_0);
    assert_int_equal(b->e_conv1.type, TENSOR_F16);
    size_t n = 16000 * 2;
    float *pcm = make_audio(n, 9);
    mel_spectrogram mel;
    assert_int_equal(mel_from_pcm(pcm, n, 80, a->filters, &mel, NULL, &err), SL_OK);
    whisper_state *sa = NULL, *sb = NULL;
    assert_int_equal(whisper_state_create(a, NULL, 1, &sa, &err), SL_OK);
    assert_int_equal(whisper_state_create(b, NULL, 1, &sb, &err), SL_OK);
    assert_int_equal(whisper_encode(sa, &mel, 0, &err), SL_OK);
    assert_int_equal(whisper_encode(sb, &mel, 0, &err), SL_OK);
    int V = a->hp.n_vocab;
    float *la = malloc((size_t)V * sizeof(float)), *lb = malloc((size_t)V * sizeof(float));
    int32_t pr[2] = {a->tok.sot, a->tok.no_timestamps};
    assert_int_equal(whisper_decode(sa, 0, pr, 2, 0, la, &err), SL_OK);
    assert_int_equal(whisper_decode(sb, 0, pr, 2, 0, lb, &err), SL_OK);
    double d = max_rel(lb, la, (size_t)V);
    /* correlation of the two logit vectors */
    double sab = 0, saa = 0, sbb = 0, ma = 0, mb = 0;
    for (int i = 0; i < V; i++) {
        ma += la[i];
        mb += lb[i];
    }
    ma /= V;
    mb /= V;
    for (int i = 0; i < V; i++) {
        sab += (la[i] - ma) * (lb[i] - mb);
        saa += (la[i] - ma) * (la[i] - ma);
        sbb += (lb[i] - mb) * (lb[i] - mb);
    }
    double corr = sab / sqrt(saa * sbb);
    printf("F16 vs Q8_0 of one model: logits max rel diff %.3g, correlation %.6f\n", d, corr);
    assert_true(corr > 0.999);
    free(la);
    free(lb);
    whisper_state_free(sa);
    whisper_state_free(sb);
    mel_free(&mel);
    free(pcm);
    whisper_model_free(a);
    whisper_model_free(b);
}

static int cancels;
static bool cancel_at_first(void *user, int percent)
{
    (void)user;
    (void)percent;
    cancels++;
    return false;
}

static int last_percent;
static bool record_progress(void *user, int percent)
{
    (void)user;
    assert_true(percent >= last_percent);
    last_percent = percent;
    return true;
}

static void test_transcription_paths(void **state)
{
    (void)state;
    char path[4096];
    if (gen_model("ts.bin",
                  "--seed 21 --n-state 64 --n-head 2 --n-audio-layer 1 --n-text-layer 1 "
                  "--emb-scale 3 --emb-row-spread 1",
                  path, sizeof path) != 0) {
        skip();
        return;
    }
    sl_error err = {0};
    whisper_model *m = NULL;
    assert_int_equal(whisper_model_load(path, &m, &err), SL_OK);
    thread_pool *pool = NULL;
    assert_int_equal(thread_pool_create(2, &pool, &err), SL_OK);
    size_t n = 16000 * 40; /* two windows */
    float *pcm = make_audio(n, 1);
    whisper_params p = whisper_default_params(WHISPER_STRATEGY_GREEDY);
    p.temperature_inc = 0;
    p.max_decode_tokens = 24;
    whisper_result g;
    last_percent = 0;
    assert_int_equal(
        whisper_transcribe(m, pool, pcm, n, &p, record_progress, NULL, &g, &err), SL_OK);
    assert_int_equal(last_percent, 100);
    assert_true(g.n_windows >= 2);
    int64_t prev_t0 = -1;
    for (int i = 0; i < g.n_segments; i++) {
        const whisper_segment *s = &g.segments[i];
        assert_true(s->t0_ms >= 0);
        assert_true(s->t0_ms <= s->t1_ms);
        assert_true(s->t1_ms <= 40000 + 30000);
        assert_true(s->t0_ms >= prev_t0);
        prev_t0 = s->t0_ms;
        assert_true(s->n_tokens > 0);
        for (int k = 0; k < s->n_tokens; k++)
            assert_true(s->tokens[k] >= 0 && s->tokens[k] < m->hp.n_vocab);
    }
    printf("timestamps: %d windows, %d segments\n", g.n_windows, g.n_segments);

    /* beam search of width 1 is greedy */
    whisper_params pb = p;
    pb.strategy = WHISPER_STRATEGY_BEAM;
    pb.beam_size = 1;
    whisper_result b1;
    assert_int_equal(whisper_transcribe(m, pool, pcm, n, &pb, NULL, NULL, &b1, &err), SL_OK);
    assert_int_equal(b1.n_segments, g.n_segments);
    for (int i = 0; i < g.n_segments; i++) {
        assert_int_equal(b1.segments[i].n_tokens, g.segments[i].n_tokens);
        assert_memory_equal(b1.segments[i].tokens, g.segments[i].tokens,
                            (size_t)g.segments[i].n_tokens * sizeof(int32_t));
        assert_int_equal(b1.segments[i].t0_ms, g.segments[i].t0_ms);
    }
    whisper_result_free(&b1);
    /* a wider beam runs and stays well formed */
    pb.beam_size = 3;
    assert_int_equal(whisper_transcribe(m, pool, pcm, 16000 * 5, &pb, NULL, NULL, &b1, &err),
                     SL_OK);
    for (int i = 0; i < b1.n_segments; i++)
        assert_true(b1.segments[i].t0_ms <= b1.segments[i].t1_ms);
    whisper_result_free(&b1);

    /* fallback: an impossible log-prob threshold walks every temperature;
     * the same seed gives the same result */
    whisper_params pf = p;
    pf.temperature_inc = 0.5f;
    pf.logprob_thold = 0.0f;
    pf.no_speech_thold = 1.0f;
    pf.best_of = 2;
    whisper_result f1, f2;
    assert_int_equal(whisper_transcribe(m, pool, pcm, 16000 * 5, &pf, NULL, NULL, &f1, &err),
                     SL_OK);
    assert_int_equal(whisper_transcribe(m, pool, pcm, 16000 * 5, &pf, NULL, NULL, &f2, &err),
                     SL_OK);
    assert_int_equal(f1.n_fallbacks, 2 * f1.n_windows); /* 0 -> 0.5 -> 1.0 */
    assert_int_equal(f1.n_segments, f2.n_segments);
    for (int i = 0; i < f1.n_segments; i++)
        assert_string_equal(f1.segments[i].text, f2.segments[i].text);
    whisper_result_free(&f1);
    whisper_result_free(&f2);

    /* empty audio: nothing to say; cancelling; bad parameters */
    whisper_result e;
    assert_int_equal(whisper_transcribe(m, pool, NULL, 0, &p, NULL, NULL, &e, &err), SL_OK);
    assert_int_equal(e.n_segments, 0);
    assert_int_equal(e.n_windows, 0);
    whisper_result_free(&e);
    cancels = 0;
    assert_int_equal(whisper_transcribe(m, pool, pcm, n, &p, cancel_at_first, NULL, &e, &err),
                     SL_ERR_CANCELLED);
    assert_int_equal(cancels, 1);
    whisper_params bad = p;
    bad.beam_size = 0;
    assert_int_equal(whisper_transcribe(m, pool, pcm, n, &bad, NULL, NULL, &e, &err), SL_ERR_ARG);
    bad = p;
    bad.language = "de";
    assert_int_equal(whisper_transcribe(m, pool, pcm, n, &bad, NULL, NULL, &e, &err),
                     SL_ERR_MODEL);
    bad.language = "klingon";
    assert_int_equal(whisper_transcribe(m, pool, pcm, n, &bad, NULL, NULL, &e, &err), SL_ERR_ARG);
    whisper_result_free(&g);
    free(pcm);
    thread_pool_destroy(pool);
    whisper_model_free(m);
}

static void test_multilingual_language_detection(void **state)
{
    (void)state;
    char path[4096];
    const char *vocab = shared_path("fixtures/whisper/for-tests-ggml-tiny.bin");
    if (!vocab) {
        skip();
        return;
    }
    char args[4096];
    snprintf(args, sizeof args,
             "--seed 5 --n-state 64 --n-head 2 --n-audio-layer 1 --n-text-layer 1 "
             "--n-vocab 51865 --vocab-from '%s'",
             vocab);
    if (gen_model("multi.bin", args, path, sizeof path) != 0) {
        skip();
        return;
    }
    sl_error err = {0};
    whisper_model *m = NULL;
    assert_int_equal(whisper_model_load(path, &m, &err), SL_OK);
    assert_true(m->tok.multilingual);
    size_t n = 16000 * 4;
    float *pcm = make_audio(n, 2);
    mel_spectrogram mel;
    assert_int_equal(mel_from_pcm(pcm, n, 80, m->filters, &mel, NULL, &err), SL_OK);
    whisper_state *st = NULL;
    assert_int_equal(whisper_state_create(m, NULL, 1, &st, &err), SL_OK);
    float probs[128];
    int lang = -1;
    assert_int_equal(whisper_detect_language(st, &mel, 0, probs, &lang, &err), SL_OK);
    assert_true(lang >= 0 && lang < m->tok.n_languages);
    double sum = 0;
    for (int i = 0; i < whisper_lang_count(); i++) {
        sum += probs[i];
        assert_true(probs[i] <= probs[lang]);
    }
    assert_float_equal(sum, 1.0, 1e-4);
    /* the detected language is what "auto" transcription reports */
    whisper_params p = whisper_default_params(WHISPER_STRATEGY_GREEDY);
    p.language = "auto";
    p.temperature_inc = 0;
    p.max_decode_tokens = 8;
    whisper_result r;
    assert_int_equal(whisper_transcribe(m, NULL, pcm, n, &p, NULL, NULL, &r, &err), SL_OK);
    assert_int_equal(r.lang_id, lang);
    whisper_result_free(&r);
    p.language = "de";
    assert_int_equal(whisper_transcribe(m, NULL, pcm, n, &p, NULL, NULL, &r, &err), SL_OK);
    assert_int_equal(r.lang_id, whisper_lang_id("de"));
    whisper_result_free(&r);
    printf("detected language on random weights: %s (p %.3f)\n", whisper_lang_code(lang),
           probs[lang]);
    whisper_state_free(st);
    mel_free(&mel);
    free(pcm);
    whisper_model_free(m);
}


static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Rewrites an F32 model file with every linear matrix quantized to `type`
 * by ggml's reference quantizer (what whisper.cpp's quantize tool writes;
 * conv kernels, norms, biases and positions stay as they are). */
static void requantize(const char *src, const char *dst, tensor_type type)
{
    size_t size;
    unsigned char *in = read_file_bytes(src, &size);
    assert_non_null(in);
    unsigned char *out = malloc(size);
    assert_non_null(out);
    size_t off = 48;
    uint32_t fm = rd32(in + off), ff = rd32(in + off + 4);
    off += 8 + (size_t)fm * ff * 4;
    uint32_t nt = rd32(in + off);
    off += 4;
    for (uint32_t i = 0; i < nt; i++)
        off += 4 + rd32(in + off);
    memcpy(out, in, off);
    size_t o = off;
    while (off < size) {
        uint32_t nd = rd32(in + off), nl = rd32(in + off + 4), tt = rd32(in + off + 8);
        int64_t ne[4] = {1, 1, 1, 1};
        for (uint32_t d = 0; d < nd; d++)
            ne[d] = rd32(in + off + 12 + 4 * d);
        size_t hdr = 12 + 4 * nd;
        char name[256];
        memcpy(name, in + off + hdr, nl);
        name[nl] = 0;
        size_t n = (size_t)(ne[0] * ne[1] * ne[2] * ne[3]);
        size_t bytes = n * (tt == 0 ? 4 : 2);
        const unsigned char *data = in + off + hdr + nl;
        bool mat = nd == 2 && tt == 0 && strstr(name, ".weight") && !strstr(name, "conv") &&
                   !strstr(name, "ln");
        memcpy(out + o, in + off, hdr + nl);
        if (mat) {
            wr32(out + o + 8, (uint32_t)type);
            o += hdr + nl;
            size_t rb;
            assert_true(tensor_type_row_bytes(type, ne[0], &rb));
            float *row = malloc((size_t)ne[0] * sizeof(float));
            void *q = malloc(rb); /* aligned for the blocks; the file is not */
            sl_error err = {0};
            for (int64_t r = 0; r < ne[1]; r++) {
                memcpy(row, data + (size_t)r * ne[0] * 4, (size_t)ne[0] * 4);
                assert_int_equal(quantize_row_ref(type, row, q, ne[0], &err), SL_OK);
                memcpy(out + o, q, rb);
                o += rb;
            }
            free(q);
            free(row);
        } else {
            memcpy(out + o + hdr + nl, data, bytes);
            o += hdr + nl + bytes;
        }
        off += hdr + nl + bytes;
    }
    assert_int_equal(write_file_bytes(dst, out, o), 0);
    free(in);
    free(out);
}

static double correlation(const float *a, const float *b, int n)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= n;
    mb /= n;
    for (int i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / sqrt(saa * sbb);
}

/* Every weight type whisper.cpp's quantize tool can write loads and gives
 * logits that follow the F32 model's (closer for more bits). */
static void test_all_weight_types(void **state)
{
    (void)state;
    char f32[4096];
    if (gen_model("f32_256.bin",
                  "--seed 4 --n-state 256 --n-head 4 --n-audio-layer 1 --n-text-layer 1 "
                  "--ftype f32 --n-audio-ctx 250 --emb-scale 2",
                  f32, sizeof f32) != 0) {
        skip();
        return;
    }
    const tensor_type types[] = {TENSOR_F16,  TENSOR_Q8_0, TENSOR_Q5_1, TENSOR_Q5_0,
                                 TENSOR_Q4_1, TENSOR_Q4_0, TENSOR_Q6_K, TENSOR_Q5_K,
                                 TENSOR_Q4_K, TENSOR_Q3_K, TENSOR_Q2_K};
    const double min_corr[] = {0.9999, 0.999, 0.995, 0.995, 0.99, 0.99,
                               0.998,  0.995, 0.99,  0.95,  0.85};
    sl_error err = {0};
    whisper_model *ref = NULL;
    assert_int_equal(whisper_model_load(f32, &ref, &err), SL_OK);
    size_t n = 16000 * 3;
    float *pcm = make_audio(n, 4);
    mel_spectrogram mel;
    assert_int_equal(mel_from_pcm(pcm, n, 80, ref->filters, &mel, NULL, &err), SL_OK);
    int V = ref->hp.n_vocab;
    float *lr = malloc((size_t)V * sizeof(float)), *lq = malloc((size_t)V * sizeof(float));
    int32_t pr[3] = {ref->tok.sot, ref->tok.no_timestamps, 1234};
    whisper_state *st = NULL;
    assert_int_equal(whisper_state_create(ref, NULL, 1, &st, &err), SL_OK);
    assert_int_equal(whisper_encode(st, &mel, 0, &err), SL_OK);
    assert_int_equal(whisper_decode(st, 0, pr, 3, 0, lr, &err), SL_OK);
    whisper_state_free(st);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char q[4200];
        snprintf(q, sizeof q, "%s/q_%s.bin", g_dir, tensor_type_name(types[i]));
        requantize(f32, q, types[i]);
        whisper_model *m = NULL;
        if (whisper_model_load(q, &m, &err) != SL_OK)
            fail_msg("%s: %s", tensor_type_name(types[i]), err.msg);
        assert_int_equal(m->d_te.type, types[i]);
        assert_int_equal(m->dec[0].cross.k.type, types[i]);
        assert_int_equal(whisper_state_create(m, NULL, 1, &st, &err), SL_OK);
        assert_int_equal(whisper_encode(st, &mel, 0, &err), SL_OK);
        assert_int_equal(whisper_decode(st, 0, pr, 3, 0, lq, &err), SL_OK);
        double c = correlation(lr, lq, V);
        printf("%-5s matrices: logits correlation with F32 %.5f (at least %.4f)\n",
               tensor_type_name(types[i]), c, min_corr[i]);
        assert_true(c >= min_corr[i]);
        whisper_state_free(st);
        whisper_model_free(m);
        unlink(q);
    }
    free(lr);
    free(lq);
    mel_free(&mel);
    free(pcm);
    whisper_model_free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q8_model_consistency),
        cmocka_unit_test(test_f32_128mel_consistency),
        cmocka_unit_test(test_f16_and_q8_agree),
        cmocka_unit_test(test_all_weight_types),
        cmocka_unit_test(test_transcription_paths),
        cmocka_unit_test(test_multilingual_language_detection),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
