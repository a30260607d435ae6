/* Decoder benchmark on random-weight models with SmolLM2-135M's and 360M's
 * shapes (tests/tools/model_gen.h; GPT-2-sized vocabulary of 50257, tied
 * embeddings), written at bench time into a temporary folder as Q8_0
 * and as Q4_0 (token embedding Q8_0, as in the reference files of
 * ../shared/anchors.md). The same runs as llama-bench -p 512 -n 128 -r 3:
 *
 *   llm_SHAPE_TYPE_file               size of the written file
 *   llm_SHAPE_TYPE_load               llm_model_load with every page touched
 *   llm_SHAPE_TYPE_pp512_t{1,2}       prompt of 512 tokens in one call, from an
 *                                    empty context: tokens per second
 *   llm_SHAPE_TYPE_tg128_t{1,2}       128 tokens decoded one at a time from an
 *                                    empty context: tokens per second
 *   llm_SHAPE_TYPE_tg128_t{1,2}_quiet  the same from the shortest time each
 *                                    of the 128 positions took over the runs:
 *                                    on a shared machine, the rate of the
 *                                    moments no other process interfered
 *                                    (an upper estimate, not llama-bench's)
 *   llm_SHAPE_TYPE_tg64_after_pp512_t{1,2}  64 tokens decoded after the
 *                                    512-token prompt (attention over
 *                                    512-576 positions): tokens per second
 *   llm_SHAPE_TYPE_{pp512,tg128}_t1_cpu  the same per second of process CPU
 *                                    time: on a shared machine, the 1-thread
 *                                    rate without the time other processes
 *                                    took the core (not their bandwidth use)
 *   llm_SHAPE_TYPE_tg128_bw_pct       weight bytes read per decoded token times
 *                                    the best decode rate, as a % of the
 *                                    read bandwidth measured in this run
 *   bandwidth_t{1,2}                 STREAM-like read of 512 MiB (best of 5)
 *   llm_peak_rss                     peak resident memory of the process that
 *                                    loads and runs the models (mapped
 *                                    weights, KV cache, scratch; the model
 *                                    generator and the bandwidth buffer run in
 *                                    child processes)
 * Rates are the mean of 3 runs (like llama-bench), after one warm-up.
 * SIGHTLINE_BENCH_QUICK=1: one run, prompt 128. SIGHTLINE_BENCH_TYPES=q8_0
 * (or q4_0) and SIGHTLINE_BENCH_SHAPES=135m (or 360m) limit the models.
 * SIGHTLINE_BENCH_KEEP=1 keeps the model files
 * (their folder is printed) for profiling. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llm/llm.h"
#include "tests/tools/model_gen.h"

enum { N_VOCAB = 50257, N_TG = 128 };
#define BANDWIDTH_BYTES (512u << 20)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the whole process: with one thread, the rate it gives is
 * what the run would reach on a quiet machine (other processes still
 * share the memory bandwidth and caches). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void die(const char *what, const sl_error *err)
{
    fprintf(stderr, "llm bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

/* ---- the model file ---- */

/* ---- bandwidth ---- */

typedef struct read_job {
    const uint64_t *buf;
    size_t words;
    uint64_t sums[256];
} read_job;

static void read_part(void *ctx, int ith, int nth)
{
    read_job *j = ctx;
    int64_t b, e;
    thread_pool_split((int64_t)j->words, 64, ith, nth, &b, &e);
    uint64_t s[8] = {0};
    for (int64_t i = b; i + 8 <= e; i += 8)
        for (int k = 0; k < 8; k++)
            s[k] += j->buf[i + k];
    j->sums[ith] = s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

static double bandwidth(thread_pool *pool)
{
    uint64_t *buf = malloc(BANDWIDTH_BYTES);
    if (!buf)
        die("out of memory", NULL);
    for (size_t i = 0; i < BANDWIDTH_BYTES / 8; i++)
        buf[i] = i * 0x9E3779B97F4A7C15ULL;
    read_job j = {.buf = buf, .words = BANDWIDTH_BYTES / 8};
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = now_s();
        thread_pool_run(pool, read_part, &j);
        double gbs = (double)BANDWIDTH_BYTES / (now_s() - t0) * 1e-9;
        best = gbs > best ? gbs : best;
    }
    free(buf);
    return best;
}

/* ---- runs ---- */

/* Tokens per second of wall time; *cpu_rate gets tokens per second of
 * process CPU time. */
static double run_prompt(llm_context *ctx, const int32_t *tokens, int n, float *logits,
                         double *cpu_rate)
{
    sl_error err;
    llm_context_reset(ctx);
    double t0 = now_s(), c0 = cpu_s();
    if (llm_decode(ctx, tokens, n, logits, &err))
        die("prompt", &err);
    *cpu_rate = (double)n / (cpu_s() - c0);
    return (double)n / (now_s() - t0);
}

/* tok_min (may be NULL): per position, the shortest time any run took for
 * that token so far. */
static double run_decode(llm_context *ctx, const int32_t *tokens, int n, float *logits,
                         double *cpu_rate, double *tok_min)
{
    sl_error err;
    llm_context_reset(ctx);
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++) {
        double t1 = now_s();
        if (llm_decode(ctx, &tokens[i], 1, logits, &err))
            die("decode", &err);
        double dt = now_s() - t1;
        if (tok_min && dt < tok_min[i])
            tok_min[i] = dt;
    }
    *cpu_rate = (double)n / (cpu_s() - c0);
    return (double)n / (now_s() - t0);
}

static void bench_model(const char *dir, const char *shape, const char *label, tensor_type wtype,
                        tensor_type etype, thread_pool *pools[2], const double bw[2], bool quick)
{
    char path[512], preset[32];
    snprintf(path, sizeof path, "%s/%s-%s.gguf", dir, shape, label);
    snprintf(preset, sizeof preset, "smollm2-%s", shape);
    /* Written by a child process so that the generator's buffers do not
     * count in this process's peak RSS. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        model_gen_spec spec;
        model_gen_preset(preset, &spec);
        spec.n_vocab = N_VOCAB;
        spec.wtype = wtype;
        spec.etype = etype;
        spec.distinct_rows = 16; /* the values do not change the speed */
        sl_error gerr;
        if (model_gen_write(&spec, path, &gerr) != SL_OK) {
            fprintf(stderr, "llm bench: %s\n", gerr.msg);
            _exit(1);
        }
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        die("writing the model", NULL);
    sl_error err;
    llm_model *m = NULL;
    llm_load_options opts = {.preload = true};
    if (llm_model_load(path, &opts, &m, &err))
        die("load", &err);
    llm_model_stats st;
    llm_model_get_stats(m, &st);
    printf("llm_%s_%s_file: %.1f MiB\n", shape, label, (double)st.file_bytes / (1 << 20));
    printf("llm_%s_%s_load: %.1f ms\n", shape, label, st.load_ms);

    const int n_pp = quick ? 128 : 512, n_tg = N_TG, reps = quick ? 1 : 3;
    int32_t *tokens = malloc((size_t)n_pp * sizeof(int32_t));
    for (int i = 0; i < n_pp; i++)
        tokens[i] = (int32_t)(rng() % N_VOCAB);
    float *logits = malloc(N_VOCAB * sizeof(float));
    /* weights read per decoded token: every layer matrix plus the output
     * (the tied embedding); the token's own embedding row is negligible */
    double bytes_per_token = (double)st.weight_bytes;
    double best_tg = 0;
    int best_t = 1;
    for (int t = 0; t < 2; t++) {
        llm_context *ctx = NULL;
        if (llm_context_create(m, n_pp + n_tg, LLM_KV_TYPE_DEFAULT, pools[t], &ctx, &err))
            die("context", &err);
        double cpu;
        run_decode(ctx, tokens, 16, logits, &cpu, NULL); /* warm-up */
        double pp = 0, tg = 0, pp_cpu = 0, tg_cpu = 0;
        for (int r = 0; r < reps; r++) {
            pp += run_prompt(ctx, tokens, n_pp, logits, &cpu) / reps;
            pp_cpu += cpu / reps;
        }
        double tok_min[N_TG];
        for (int i = 0; i < n_tg; i++)
            tok_min[i] = 1e30;
        for (int r = 0; r < reps; r++) {
            tg += run_decode(ctx, tokens, n_tg, logits, &cpu, tok_min) / reps;
            tg_cpu += cpu / reps;
        }
        double tg_quiet = 0;
        for (int i = 0; i < n_tg; i++)
            tg_quiet += tok_min[i];
        tg_quiet = n_tg / tg_quiet;
        /* decode deep in a context: after the prompt, 64 more tokens */
        run_prompt(ctx, tokens, n_pp, logits, &cpu);
        double t0 = now_s();
        for (int i = 0; i < 64; i++)
            if (llm_decode(ctx, &tokens[i], 1, logits, &err))
                die("decode after the prompt", &err);
        double tg_deep = 64.0 / (now_s() - t0);
        printf("llm_%s_%s_pp%d_t%d: %.1f tok/s\n", shape, label, n_pp, t + 1, pp);
        printf("llm_%s_%s_tg%d_t%d: %.1f tok/s\n", shape, label, n_tg, t + 1, tg);
        printf("llm_%s_%s_tg%d_t%d_quiet: %.1f tok/s\n", shape, label, n_tg, t + 1, tg_quiet);
        printf("llm_%s_%s_tg64_after_pp%d_t%d: %.1f tok/s\n", shape, label, n_pp, t + 1, tg_deep);
        if (t == 0) {
            printf("llm_%s_%s_pp%d_t1_cpu: %.1f tok/s\n", shape, label, n_pp, pp_cpu);
            printf("llm_%s_%s_tg%d_t1_cpu: %.1f tok/s\n", shape, label, n_tg, tg_cpu);
        }
        if (tg > best_tg) {
            best_tg = tg;
            best_t = t;
        }
        llm_context_free(ctx);
    }
    printf("llm_%s_%s_tg128_bw_pct: %.0f %% (t%d, %.1f of %.1f GB/s)\n", shape, label,
           100.0 * bytes_per_token * best_tg * 1e-9 / bw[best_t], best_t + 1,
           bytes_per_token * best_tg * 1e-9, bw[best_t]);
    free(tokens);
    free(logits);
    llm_model_free(m);
    if (!getenv("SIGHTLINE_BENCH_KEEP"))
        unlink(path);
}

int main(void)
{
    bool quick = getenv("SIGHTLINE_BENCH_QUICK") != NULL;
    const char *types = getenv("SIGHTLINE_BENCH_TYPES");
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/sightline-bench-llm-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("llm bench: mkdtemp");
        return 1;
    }
    /* The bandwidth buffer lives in a child process too (peak RSS). */
    double bw[2];
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe", NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int t = 0; t < 2; t++) {
            thread_pool *pool = NULL;
            if (thread_pool_create(t + 1, &pool, NULL))
                _exit(1);
            bw[t] = bandwidth(pool);
            thread_pool_destroy(pool);
        }
        _exit(write(fds[1], bw, sizeof bw) == (ssize_t)sizeof bw ? 0 : 1);
    }
    if (pid < 0 || read(fds[0], bw, sizeof bw) != (ssize_t)sizeof bw)
        die("bandwidth", NULL);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    for (int t = 0; t < 2; t++)
        printf("bandwidth_t%d: %.1f GB/s\n", t + 1, bw[t]);
    /* Pools after the fork: a child would not inherit their threads. */
    thread_pool *pools[2];
    sl_error err;
    for (int t = 0; t < 2; t++)
        if (thread_pool_create(t + 1, &pools[t], &err))
            die("thread pool", &err);

    const char *shapes = getenv("SIGHTLINE_BENCH_SHAPES");
    static const char *const all_shapes[] = {"135m", "360m"};
    for (int k = 0; k < 2; k++) {
        if (shapes && !strstr(shapes, all_shapes[k]))
            continue;
        if (!types || strstr(types, "q8_0"))
            bench_model(dir, all_shapes[k], "q8_0", TENSOR_Q8_0, TENSOR_Q8_0, pools, bw, quick);
        if (!types || strstr(types, "q4_0"))
            bench_model(dir, all_shapes[k], "q4_0", TENSOR_Q4_0, TENSOR_Q8_0, pools, bw, quick);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("llm_peak_rss: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    for (int t = 0; t < 2; t++)
        thread_pool_destroy(pools[t]);
    if (getenv("SIGHTLINE_BENCH_KEEP"))
        printf("# models kept in %s\n", dir);
    else
        rmdir(dir);
    return 0;
}
