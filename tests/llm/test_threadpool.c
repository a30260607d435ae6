#include "llm/llm.h"
#include "tests/support.h"

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

typedef struct sum_job {
    const int *values;
    int64_t n;
    atomic_llong total;
    atomic_int calls;
    int seen_nth;
} sum_job;

static void sum_part(void *ctx, int ith, int nth)
{
    sum_job *job = ctx;
    int64_t b, e;
    thread_pool_split(job->n, 16, ith, nth, &b, &e);
    long long s = 0;
    for (int64_t i = b; i < e; i++)
        s += job->values[i];
    atomic_fetch_add(&job->total, s);
    atomic_fetch_add(&job->calls, 1);
    job->seen_nth = nth;
}

static void test_every_thread_runs_each_job(void **state)
{
    (void)state;
    enum { N = 10007 };
    static int values[N];
    long long expect = 0;
    for (int i = 0; i < N; i++) {
        values[i] = i % 97 - 40;
        expect += values[i];
    }
    for (int threads = 1; threads <= 4; threads++) {
        thread_pool *pool = NULL;
        sl_error err;
        assert_int_equal(thread_pool_create(threads, &pool, &err), SL_OK);
        assert_int_equal(thread_pool_threads(pool), threads);
        /* Many short jobs in a row: the pattern of a decoder's layers. */
        for (int rep = 0; rep < 2000; rep++) {
            sum_job job = {.values = values, .n = N};
            atomic_init(&job.total, 0);
            atomic_init(&job.calls, 0);
            thread_pool_run(pool, sum_part, &job);
            assert_int_equal(atomic_load(&job.calls), threads);
            assert_int_equal(job.seen_nth, threads);
            assert_true(atomic_load(&job.total) == expect);
        }
        thread_pool_destroy(pool);
    }
}

static void test_null_pool_runs_inline(void **state)
{
    (void)state;
    int values[5] = {1, 2, 3, 4, 5};
    sum_job job = {.values = values, .n = 5};
    atomic_init(&job.total, 0);
    atomic_init(&job.calls, 0);
    thread_pool_run(NULL, sum_part, &job);
    assert_int_equal(atomic_load(&job.calls), 1);
    assert_true(atomic_load(&job.total) == 15);
    assert_int_equal(thread_pool_threads(NULL), 1);
}

static void test_split_covers_range_once(void **state)
{
    (void)state;
    for (int64_t n = 0; n < 300; n += 7) {
        for (int nth = 1; nth <= 5; nth++) {
            int64_t next = 0;
            for (int ith = 0; ith < nth; ith++) {
                int64_t b, e;
                thread_pool_split(n, 8, ith, nth, &b, &e);
                assert_true(b <= e);
                if (b < e) {
                    assert_int_equal(b, next);
                    assert_int_equal(b % 8, 0);
                    next = e;
                }
            }
            assert_int_equal(next, n);
        }
    }
}

static void test_rejects_absurd_thread_count(void **state)
{
    (void)state;
    thread_pool *pool = (thread_pool *)&pool;
    sl_error err;
    assert_int_equal(thread_pool_create(100000, &pool, &err), SL_ERR_ARG);
    assert_null(pool);
    assert_non_null(strstr(err.msg, "100000"));
}

/* thread_pool_run_independent: every share runs exactly once per job, on
 * whichever thread, also when some workers are slow to wake; mixed with
 * ordinary jobs on the same pool. */
typedef struct share_job {
    atomic_int runs[8];
    int nth_seen;
} share_job;

static void count_share(void *ctx, int ith, int nth)
{
    share_job *j = ctx;
    atomic_fetch_add(&j->runs[ith], 1);
    j->nth_seen = nth;
    if (ith == 1) /* a slow share: the caller must not run it a second time */
        for (volatile int spin = 0; spin < 2000; spin++)
            ;
}

static void test_independent_shares_run_once(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 4; threads++) {
        thread_pool *pool = NULL;
        assert_int_equal(thread_pool_create(threads, &pool, NULL), SL_OK);
        for (int rep = 0; rep < 3000; rep++) {
            share_job job;
            memset(&job, 0, sizeof job);
            for (int i = 0; i < 8; i++)
                atomic_init(&job.runs[i], 0);
            if (rep % 3 == 2)
                thread_pool_run(pool, count_share, &job);
            else
                thread_pool_run_independent(pool, count_share, &job);
            for (int i = 0; i < 8; i++)
                assert_int_equal(atomic_load(&job.runs[i]), i < threads ? 1 : 0);
            assert_int_equal(job.nth_seen, threads);
            if (rep % 500 == 499)
                usleep(2000); /* let the workers fall asleep between jobs */
        }
        thread_pool_destroy(pool);
    }
}

static void test_error_prefix_keeps_message(void **state)
{
    (void)state;
    sl_error err;
    assert_int_equal(sl_fail(&err, SL_ERR_FORMAT, "bad magic at byte %d", 0), SL_ERR_FORMAT);
    sl_error_prefix(&err, "%s: ", "model.gguf");
    assert_string_equal(err.msg, "model.gguf: bad magic at byte 0");
    assert_int_equal(err.code, SL_ERR_FORMAT);
    assert_int_equal(sl_fail(NULL, SL_ERR_IO, "ignored"), SL_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_thread_runs_each_job),
        cmocka_unit_test(test_null_pool_runs_inline),
        cmocka_unit_test(test_split_covers_range_once),
        cmocka_unit_test(test_rejects_absurd_thread_count),
        cmocka_unit_test(test_independent_shares_run_once),
        cmocka_unit_test(test_error_prefix_keeps_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
