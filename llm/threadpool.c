#include "llm/threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* About 50-100 microseconds of pause instructions: long enough to bridge the
 * gap between two layers' matrix products, short enough not to steal a core
 * from another process when the pool is idle. */
enum { SPIN_LIMIT = 1 << 14 };

typedef struct worker {
    thread_pool *pool;
    int ith;
} worker;

struct thread_pool {
    int n_threads;
    pthread_t *threads;
    worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_uint generation; /* bumped once per job; workers wait for a change */
    atomic_uint *claim;     /* per share: the last generation whose share was taken */
    atomic_int done;        /* shares 1..n-1 of the current job finished */
    atomic_bool stop;
    thread_pool_fn fn;
    void *ctx;
};

static unsigned wait_for_job(thread_pool *pool, unsigned seen)
{
    unsigned g;
    for (int spins = 0; spins < SPIN_LIMIT; spins++) {
        g = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (g != seen)
            return g;
        cpu_relax();
    }
    pthread_mutex_lock(&pool->mu);
    while ((g = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen)
        pthread_cond_wait(&pool->wake, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
    return g;
}

/* Takes share i of job g unless it was taken for g (or a later job)
 * already. Claims only move forward, so a thread that read an old
 * generation before sleeping cannot take a share of a newer job. */
static bool claim_share(atomic_uint *claim, unsigned g)
{
    unsigned cur = atomic_load_explicit(claim, memory_order_acquire);
    for (;;) {
        if ((int)(cur - g) >= 0)
            return false;
        if (atomic_compare_exchange_weak_explicit(claim, &cur, g, memory_order_acq_rel,
                                                  memory_order_acquire))
            return true;
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    thread_pool *pool = w->pool;
    unsigned seen = 0;
    for (;;) {
        seen = wait_for_job(pool, seen);
        if (atomic_load_explicit(&pool->stop, memory_order_acquire))
            return NULL;
        /* The caller may have run this share already (thread_pool_run_independent)
         * if this thread woke late: whoever swaps in the generation first runs it. */
        if (!claim_share(&pool->claim[w->ith], seen))
            continue;
        pool->fn(pool->ctx, w->ith, pool->n_threads);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
    }
}

int thread_pool_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

static void publish_job(thread_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
}

sl_status thread_pool_create(int n_threads, thread_pool **out, sl_error *err)
{
    *out = NULL;
    if (n_threads <= 0)
        n_threads = thread_pool_default_threads();
    if (n_threads > 256)
        return sl_fail(err, SL_ERR_ARG, "thread pool: %d threads is more than the 256 supported",
                       n_threads);
    thread_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return sl_fail(err, SL_ERR_NOMEM, "thread pool: out of memory");
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->wake, NULL);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->done, 0);
    atomic_init(&pool->stop, false);
    if (n_threads > 1) {
        pool->threads = calloc((size_t)n_threads, sizeof *pool->threads);
        pool->workers = calloc((size_t)n_threads, sizeof *pool->workers);
        pool->claim = calloc((size_t)n_threads, sizeof *pool->claim);
        if (!pool->threads || !pool->workers || !pool->claim) {
            thread_pool_destroy(pool);
            return sl_fail(err, SL_ERR_NOMEM, "thread pool: out of memory");
        }
        for (int i = 0; i < n_threads; i++)
            atomic_init(&pool->claim[i], 0);
        for (int i = 1; i < n_threads; i++) {
            pool->workers[i] = (worker){pool, i};
            if (pthread_create(&pool->threads[i], NULL, worker_main, &pool->workers[i]) != 0) {
                pool->n_threads = i; /* destroy joins only the ones that started */
                thread_pool_destroy(pool);
                return sl_fail(err, SL_ERR_NOMEM, "thread pool: cannot start thread %d of %d",
                               i + 1, n_threads);
            }
        }
    }
    *out = pool;
    return SL_OK;
}

void thread_pool_destroy(thread_pool *pool)
{
    if (!pool)
        return;
    if (pool->threads) {
        atomic_store_explicit(&pool->stop, true, memory_order_release);
        publish_job(pool);
        for (int i = 1; i < pool->n_threads; i++)
            pthread_join(pool->threads[i], NULL);
    }
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mu);
    free(pool->threads);
    free(pool->workers);
    free(pool->claim);
    free(pool);
}

int thread_pool_threads(const thread_pool *pool)
{
    return pool ? pool->n_threads : 1;
}

static void run_job(thread_pool *pool, thread_pool_fn fn, void *ctx, bool take_late_shares)
{
    if (!pool || pool->n_threads == 1) {
        fn(ctx, 0, 1);
        return;
    }
    int n = pool->n_threads;
    pool->fn = fn;
    pool->ctx = ctx;
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    publish_job(pool);
    unsigned g = atomic_load_explicit(&pool->generation, memory_order_relaxed);
    fn(ctx, 0, n);
    if (take_late_shares)
        for (int i = 1; i < n; i++)
            if (claim_share(&pool->claim[i], g)) {
                fn(ctx, i, n);
                atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
            }
    for (int spins = 0; atomic_load_explicit(&pool->done, memory_order_acquire) < n - 1; spins++) {
        if (spins < SPIN_LIMIT)
            cpu_relax();
        else
            sched_yield();
    }
}

void thread_pool_run(thread_pool *pool, thread_pool_fn fn, void *ctx)
{
    run_job(pool, fn, ctx, false);
}

void thread_pool_run_independent(thread_pool *pool, thread_pool_fn fn, void *ctx)
{
    run_job(pool, fn, ctx, true);
}
