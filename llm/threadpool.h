/* A fixed pool of worker threads, created once and reused for every
 * parallel step (matrix products, attention, convolutions).
 *
 * thread_pool_run(pool, fn, ctx) calls fn(ctx, ith, nth) once for every ith
 * in [0, nth) — the calling thread takes ith 0 — and returns when all have
 * finished. Workers spin briefly between jobs, because a decoder issues
 * thousands of short jobs per second, then sleep. */
#ifndef SIGHTLINE_LLM_THREADPOOL_H
#define SIGHTLINE_LLM_THREADPOOL_H

#include <stdint.h>

#include "llm/error.h"

typedef struct thread_pool thread_pool;

typedef void (*thread_pool_fn)(void *ctx, int ith, int nth);

/* n_threads <= 0 means one per online core. */
sl_status thread_pool_create(int n_threads, thread_pool **out, sl_error *err);
void thread_pool_destroy(thread_pool *pool);

/* Number of threads that share a job, the caller included; 1 for NULL. */
int thread_pool_threads(const thread_pool *pool);

/* Runs fn on every thread of the pool; a NULL pool runs fn(ctx, 0, 1). Not
 * reentrant: fn must not call thread_pool_run on the same pool. */
void thread_pool_run(thread_pool *pool, thread_pool_fn fn, void *ctx);

/* The same for jobs whose shares never wait for one another (no barriers
 * inside fn): when the caller has finished share 0, it also runs every share
 * whose thread has not started it yet, so a worker that another process
 * keeps off its core delays the job by at most the share it is already in.
 * Each ith still runs exactly once; shares may run one after another on the
 * calling thread. The matrix products use this with work handed out in
 * small chunks. */
void thread_pool_run_independent(thread_pool *pool, thread_pool_fn fn, void *ctx);

/* Online cores, at least 1. */
int thread_pool_default_threads(void);

/* The share [*begin, *end) of n items that thread ith of nth works on, in
 * contiguous chunks whose starts are multiples of `align` (except at n). */
static inline void thread_pool_split(int64_t n, int64_t align, int ith, int nth,
                                     int64_t *begin, int64_t *end)
{
    if (align < 1)
        align = 1;
    int64_t units = (n + align - 1) / align;
    int64_t per = (units + nth - 1) / nth;
    int64_t b = (int64_t)ith * per * align;
    int64_t e = b + per * align;
    *begin = b < n ? b : n;
    *end = e < n ? e : n;
}

#endif
