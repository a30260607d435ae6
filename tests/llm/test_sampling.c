/* Sampling: determinism from the seed, each filter's effect, and the
 * sampled frequencies against the probabilities they should follow. */
#include "llm/llm.h"
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static llm_sampling_params plain_params(void)
{
    llm_sampling_params p = llm_sampling_default_params();
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.seed = 42;
    return p;
}

static llm_sampler *make(const llm_sampling_params *p, int n)
{
    llm_sampler *s = NULL;
    sl_error err = {0};
    if (llm_sampler_create(p, n, &s, &err))
        fail_msg("%s", err.msg);
    return s;
}

static int32_t draw(llm_sampler *s, const float *logits)
{
    int32_t t = -1;
    assert_int_equal(llm_sampler_sample(s, logits, &t, NULL), SL_OK);
    return t;
}

/* Counts over `draws` samples. */
static void histogram(const llm_sampling_params *p, const float *logits, int n, int draws,
                      int *counts)
{
    llm_sampler *s = make(p, n);
    memset(counts, 0, (size_t)n * sizeof *counts);
    for (int i = 0; i < draws; i++) {
        int32_t t = draw(s, logits);
        assert_true(t >= 0 && t < n);
        counts[t]++;
    }
    llm_sampler_free(s);
}

static void test_rng_reproducible(void **state)
{
    (void)state;
    llm_rng a, b;
    llm_rng_seed(&a, 7);
    llm_rng_seed(&b, 7);
    for (int i = 0; i < 1000; i++)
        assert_true(llm_rng_next(&a) == llm_rng_next(&b));
    llm_rng_seed(&b, 8);
    int same = 0;
    double mean = 0;
    for (int i = 0; i < 10000; i++) {
        same += llm_rng_next(&a) == llm_rng_next(&b);
        double u = llm_rng_uniform(&a);
        assert_true(u >= 0.0 && u < 1.0);
        mean += u;
    }
    assert_int_equal(same, 0);
    mean /= 10000;
    assert_true(fabs(mean - 0.5) < 0.01); /* 6 standard errors */
}

static void test_greedy(void **state)
{
    (void)state;
    float logits[6] = {0.1f, 2.0f, -1.0f, 3.5f, 3.5f, 0.0f};
    assert_int_equal(llm_argmax(logits, 6), 3); /* first of equals */
    llm_sampling_params p = plain_params();
    p.temperature = 0.0f;
    llm_sampler *s = make(&p, 6);
    for (int i = 0; i < 10; i++)
        assert_int_equal(draw(s, logits), 3);
    llm_sampler_free(s);
    /* top_k = 1 is greedy at any temperature */
    p = plain_params();
    p.top_k = 1;
    p.temperature = 5.0f;
    s = make(&p, 6);
    for (int i = 0; i < 10; i++)
        assert_int_equal(draw(s, logits), 3);
    llm_sampler_free(s);
}

static void test_same_seed_same_tokens(void **state)
{
    (void)state;
    enum { N = 500 };
    float logits[N];
    for (int i = 0; i < N; i++)
        logits[i] = (float)sin(i * 0.37) * 3.0f;
    llm_sampling_params p = llm_sampling_default_params();
    p.seed = 1234;
    llm_sampler *a = make(&p, N), *b = make(&p, N);
    int32_t first[64];
    for (int i = 0; i < 64; i++) {
        first[i] = draw(a, logits);
        assert_int_equal(first[i], draw(b, logits));
    }
    /* reset replays the same sequence */
    llm_sampler_reset(a);
    for (int i = 0; i < 64; i++)
        assert_int_equal(draw(a, logits), first[i]);
    llm_sampler_free(a);
    llm_sampler_free(b);
    /* another seed gives another sequence */
    p.seed = 99;
    a = make(&p, N);
    int differ = 0;
    for (int i = 0; i < 64; i++)
        differ += draw(a, logits) != first[i];
    assert_true(differ > 10);
    llm_sampler_free(a);
}

/* Frequencies follow softmax(logits / T) within 5 standard deviations. */
static void check_frequencies(const float *logits, int n, float temp, const int *counts,
                              int draws, const bool *allowed)
{
    double w[16], sum = 0;
    for (int i = 0; i < n; i++) {
        w[i] = allowed[i] ? exp((double)logits[i] / temp) : 0.0;
        sum += w[i];
    }
    for (int i = 0; i < n; i++) {
        double pr = w[i] / sum;
        double sd = sqrt(draws * pr * (1 - pr)) + 1e-9;
        if (!allowed[i])
            assert_int_equal(counts[i], 0);
        else if (fabs(counts[i] - draws * pr) > 5 * sd + 1)
            fail_msg("token %d drawn %d times, expected %.1f +- %.1f", i, counts[i], draws * pr,
                     sd);
    }
}

static void test_distribution_and_filters(void **state)
{
    (void)state;
    enum { N = 8, DRAWS = 20000 };
    const float logits[N] = {1.0f, 0.5f, 2.0f, -1.0f, 0.0f, 1.5f, -3.0f, 0.8f};
    /* softmax probabilities, sorted: 2 (.33) 5 (.20) 0 (.12) 7 (.10) 1 (.07) 4 (.04) 3 (.02) 6 */
    int counts[N];
    bool all[N] = {1, 1, 1, 1, 1, 1, 1, 1};

    llm_sampling_params p = plain_params();
    histogram(&p, logits, N, DRAWS, counts);
    check_frequencies(logits, N, 1.0f, counts, DRAWS, all);

    p.temperature = 0.5f;
    histogram(&p, logits, N, DRAWS, counts);
    check_frequencies(logits, N, 0.5f, counts, DRAWS, all);

    p = plain_params();
    p.top_k = 3;
    histogram(&p, logits, N, DRAWS, counts);
    bool top3[N] = {1, 0, 1, 0, 0, 1, 0, 0};
    check_frequencies(logits, N, 1.0f, counts, DRAWS, top3);

    /* top_p 0.6: 2 and 5 hold about 0.53, adding 0 passes 0.6 */
    p = plain_params();
    p.top_p = 0.6f;
    histogram(&p, logits, N, DRAWS, counts);
    check_frequencies(logits, N, 1.0f, counts, DRAWS, top3);

    /* min_p 0.3: keep p >= 0.3 * p(2): logit >= 2 + ln 0.3 = 0.796 */
    p = plain_params();
    p.min_p = 0.3f;
    histogram(&p, logits, N, DRAWS, counts);
    bool minp[N] = {1, 0, 1, 0, 0, 1, 0, 1};
    check_frequencies(logits, N, 1.0f, counts, DRAWS, minp);

    /* filters use the probabilities before temperature: top_k 3 at T = 2 */
    p = plain_params();
    p.top_k = 3;
    p.temperature = 2.0f;
    histogram(&p, logits, N, DRAWS, counts);
    check_frequencies(logits, N, 2.0f, counts, DRAWS, top3);
}

static void test_repetition_penalty(void **state)
{
    (void)state;
    float logits[4] = {2.0f, 1.9f, -0.5f, -0.4f};
    llm_sampling_params p = plain_params();
    p.temperature = 0.0f;
    p.repeat_penalty = 1.5f;
    p.repeat_last_n = 2;
    llm_sampler *s = make(&p, 4);
    assert_int_equal(draw(s, logits), 0);
    llm_sampler_accept(s, 0); /* 2.0 / 1.5 = 1.33 < 1.9 */
    assert_int_equal(draw(s, logits), 1);
    llm_sampler_accept(s, 1); /* 1.9 / 1.5 = 1.27 < 1.33 */
    assert_int_equal(draw(s, logits), 0);
    llm_sampler_accept(s, 3); /* the window of 2 now holds 1 and 3: 0 is free again */
    assert_int_equal(draw(s, logits), 0);
    llm_sampler_free(s);

    /* negative logits are multiplied: -0.4 * 1.5 = -0.6 < -0.5 */
    float neg[2] = {-0.4f, -0.5f};
    s = make(&p, 2);
    llm_sampler_accept(s, 0);
    assert_int_equal(draw(s, neg), 1);
    llm_sampler_free(s);

    /* frequency and presence penalties */
    p.repeat_penalty = 1.0f;
    p.repeat_last_n = 8;
    p.frequency_penalty = 0.1f;
    p.presence_penalty = 0.05f;
    float fl[2] = {1.0f, 0.8f};
    s = make(&p, 2);
    llm_sampler_accept(s, 0);
    assert_int_equal(draw(s, fl), 0); /* 1.0 - 0.15 = 0.85 > 0.8 */
    llm_sampler_accept(s, 0);
    assert_int_equal(draw(s, fl), 1); /* 1.0 - 0.25 = 0.75 < 0.8 */
    llm_sampler_reset(s);
    assert_int_equal(draw(s, fl), 0);
    llm_sampler_free(s);
}

static void test_invalid(void **state)
{
    (void)state;
    llm_sampling_params p = plain_params();
    llm_sampler *s = NULL;
    sl_error err = {0};
    assert_int_equal(llm_sampler_create(&p, 0, &s, &err), SL_ERR_ARG);
    p.top_p = NAN;
    assert_int_equal(llm_sampler_create(&p, 4, &s, &err), SL_ERR_ARG);
    assert_null(s);
    p = plain_params();
    s = make(&p, 2);
    float bad[2] = {0.0f, NAN};
    int32_t t;
    assert_int_equal(llm_sampler_sample(s, bad, &t, &err), SL_ERR_ARG);
    llm_sampler_free(s);
}

/* A vocabulary-sized call stays fast with the default top-k. */
static void test_large_vocab(void **state)
{
    (void)state;
    enum { N = 50257 };
    float *logits = malloc(N * sizeof(float));
    uint64_t x = 1;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1;
        logits[i] = (float)((x >> 33) % 10000) / 1000.0f;
    }
    logits[777] = 50.0f;
    llm_sampling_params p = llm_sampling_default_params();
    llm_sampler *s = make(&p, N);
    for (int i = 0; i < 50; i++)
        assert_int_equal(draw(s, logits), 777); /* min_p removes the rest */
    llm_sampler_free(s);
    p.min_p = 0.0f;
    p.top_k = 0;
    p.top_p = 0.9f;
    s = make(&p, N);
    for (int i = 0; i < 5; i++)
        assert_int_equal(draw(s, logits), 777);
    llm_sampler_free(s);
    free(logits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_reproducible),
        cmocka_unit_test(test_greedy),
        cmocka_unit_test(test_same_seed_same_tokens),
        cmocka_unit_test(test_distribution_and_filters),
        cmocka_unit_test(test_repetition_penalty),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_large_vocab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
