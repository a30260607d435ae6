/* Tokenizer benchmark on the shared fixture vocabularies.
 *
 * Prints one line per figure, `name: value unit`:
 *   tokenizer_load_VOCAB      ms to read tokenizer.ggml.* from the GGUF file
 *                             and build the tables (best of 5)
 *   tokenizer_encode_VOCAB    MB/s of text encoded: corpus.txt repeated to
 *                             about 135 kB, one call (best of 5)
 *   tokenizer_decode_VOCAB    MB/s of text streamed back through the
 *                             detokenizer, one token at a time (best of 5)
 * VOCAB is gpt2 (byte-level BPE, 50257 tokens) or spm (SentencePiece, 32000).
 * Skips (exit 77) without ../shared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm/llm.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *shared_file(const char *rel, size_t *len)
{
    const char *root = getenv("SIGHTLINE_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root ? root : "../shared", rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(s);
        return NULL;
    }
    fclose(f);
    s[n] = '\0';
    *len = (size_t)n;
    return s;
}

static int run(const char *name, const char *rel, const char *text, size_t len)
{
    const char *root = getenv("SIGHTLINE_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root ? root : "../shared", rel);
    double best_load = 1e9, best_enc = 1e9, best_dec = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        sl_error err;
        gguf_file *f = NULL;
        tokenizer *t = NULL;
        double t0 = now_s();
        if (gguf_open(path, &f, &err) != SL_OK || tokenizer_from_gguf(f, &t, &err) != SL_OK) {
            fprintf(stderr, "%s\n", err.msg);
            gguf_close(f);
            return 1;
        }
        double t1 = now_s();
        gguf_close(f);
        int32_t *ids = NULL;
        size_t n = 0;
        double t2 = now_s();
        if (tokenizer_encode(t, text, len, true, false, &ids, &n, &err) != SL_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double t3 = now_s();
        size_t cap = 3 * (tokenizer_max_piece(t) + 4), out = 0;
        char *buf = malloc(cap);
        detokenizer d;
        detokenizer_init(&d, t);
        for (size_t i = 0; i < n; i++)
            out += (size_t)detokenizer_push(&d, ids[i], false, buf, cap);
        out += (size_t)detokenizer_flush(&d, buf, cap);
        double t4 = now_s();
        if (out != len)
            fprintf(stderr, "%s: decoded %zu bytes of %zu\n", name, out, len);
        best_load = t1 - t0 < best_load ? t1 - t0 : best_load;
        best_enc = t3 - t2 < best_enc ? t3 - t2 : best_enc;
        best_dec = t4 - t3 < best_dec ? t4 - t3 : best_dec;
        free(buf);
        free(ids);
        tokenizer_free(t);
    }
    printf("tokenizer_load_%s: %.1f ms\n", name, best_load * 1e3);
    printf("tokenizer_encode_%s: %.2f MB/s\n", name, (double)len / best_enc / 1e6);
    printf("tokenizer_decode_%s: %.2f MB/s\n", name, (double)len / best_dec / 1e6);
    return 0;
}

int main(void)
{
    size_t clen;
    char *corpus = shared_file("fixtures/vocab/corpus.txt", &clen);
    if (!corpus) {
        fprintf(stderr, "skipped: fixtures/vocab/corpus.txt not found under SIGHTLINE_SHARED\n");
        return 77;
    }
    size_t reps = 200, len = clen * reps;
    char *text = malloc(len + 1);
    for (size_t i = 0; i < reps; i++)
        memcpy(text + i * clen, corpus, clen);
    text[len] = '\0';
    int rc = run("gpt2", "fixtures/vocab/ggml-vocab-gpt-2.gguf", text, len);
    if (rc == 0)
        rc = run("spm", "fixtures/vocab/ggml-vocab-llama-spm.gguf", text, len);
    free(text);
    free(corpus);
    return rc;
}
