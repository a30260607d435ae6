/* The reader over a corpus of deterministically mutated files: bit flips,
 * interesting bytes and counts spliced into header fields, fields copied
 * over other fields, truncations. Seeds: a file from our writer holding
 * every value type and llama.cpp's fixtures. Every mutant must be either
 * refused with a one-line format error naming the file or accepted and then
 * fully readable (tests/llm/test_gguf_walk.h touches every byte the API
 * hands out); the san build turns any out-of-bounds read into a failure.
 * This is the fuzzing that runs in CI without clang (tests/fuzz has the
 * libFuzzer target).
 *
 * SIGHTLINE_GGUF_CORPUS_DIR=DIR also writes the writer seed there (to seed
 * the fuzzer). */
#include "tests/llm/test_gguf_util.h"
#include "tests/llm/test_gguf_walk.h"

#include <stdint.h>

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(rng *r, uint64_t n)
{
    return n ? next(r) % n : 0;
}

typedef struct tally {
    long accepted, refused;
} tally;

static void try_bytes(const unsigned char *bytes, size_t size, tally *t)
{
    gguf_file *f = NULL;
    sl_error err = {0};
    sl_status st = gguf_open_memory(bytes, size, "mutant.gguf", &f, &err);
    if (st == SL_OK) {
        (void)gguf_walk(f);
        gguf_close(f);
        t->accepted++;
        return;
    }
    assert_null(f);
    if (st != SL_ERR_FORMAT || strncmp(err.msg, "mutant.gguf: ", 13) != 0 || strchr(err.msg, '\n'))
        fail_msg("mutant refused with %s '%s'", sl_status_name(st), err.msg);
    t->refused++;
}

static const uint64_t interesting[] = {
    0, 1, 2, 3, 4, 7, 8, 31, 32, 33, 63, 64, 255, 256, 4095, 4096, 65535, 65536,
    0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull, 1ull << 40,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffffff0ull, 0xffffffffffffffffull,
};
#define N_INTERESTING (sizeof interesting / sizeof interesting[0])

/* Mutates bytes[0..size) in place within [0, hot) (the header), tries it,
 * restores it. Truncations use exact-size copies when the seed is small so
 * that ASan sees reads past the end. */
static void mutate_and_try(unsigned char *bytes, size_t size, size_t hot, rng *r, tally *t)
{
    unsigned char saved[16];
    size_t at = (size_t)below(r, hot);
    size_t n = 0;
    switch (below(r, 6)) {
    case 0: /* 1-4 bit flips near each other */
        n = 8 < hot - at ? 8 : hot - at;
        memcpy(saved, bytes + at, n);
        for (uint64_t k = 1 + below(r, 4); k > 0; k--)
            bytes[at + below(r, n)] ^= (unsigned char)(1u << below(r, 8));
        break;
    case 1: /* an interesting byte */
        n = 1;
        saved[0] = bytes[at];
        bytes[at] = (unsigned char)interesting[below(r, N_INTERESTING)];
        break;
    case 2: /* an interesting u32 / u64 (counts, lengths, types, dims) */
    case 3: {
        size_t w = below(r, 2) ? 8 : 4;
        if (at + w > size)
            at = size - w;
        n = w;
        memcpy(saved, bytes + at, n);
        uint64_t v = interesting[below(r, N_INTERESTING)];
        if (below(r, 4) == 0)
            v += below(r, 3) - 1; /* off by one */
        for (size_t k = 0; k < w; k++)
            bytes[at + k] = (unsigned char)(v >> (8 * k));
        break;
    }
    case 4: { /* splice: copy 8 bytes of one field over another */
        size_t from = (size_t)below(r, hot);
        if (at + 8 > size)
            at = size - 8;
        if (from + 8 > size)
            from = size - 8;
        n = 8;
        memcpy(saved, bytes + at, n);
        memmove(bytes + at, bytes + from, 8);
        break;
    }
    default: { /* truncation */
        size_t len = (size_t)below(r, size);
        if (size <= (1u << 16)) {
            unsigned char *copy = malloc(len ? len : 1);
            assert_non_null(copy);
            memcpy(copy, bytes, len);
            try_bytes(copy, len, t);
            free(copy);
        } else {
            try_bytes(bytes, len, t);
        }
        return;
    }
    }
    try_bytes(bytes, size, t);
    memcpy(bytes + at, saved, n);
}

static void run_corpus(unsigned char *bytes, size_t size, size_t hot, uint64_t seed, int trials,
                       const char *label)
{
    /* An exact-size heap copy so that ASan bounds every read. */
    unsigned char *b = malloc(size);
    assert_non_null(b);
    memcpy(b, bytes, size);
    tally t = {0, 0};
    try_bytes(b, size, &t);
    assert_int_equal(t.accepted, 1); /* the seed itself is valid */
    rng r = {seed};
    for (int i = 0; i < trials; i++)
        mutate_and_try(b, size, hot, &r, &t);
    assert_memory_equal(b, bytes, size); /* every mutation was undone */
    print_message("%s: %d mutants, %ld accepted, %ld refused\n", label, trials, t.accepted - 1,
                  t.refused);
    /* Both outcomes must occur, or the mutations test nothing. */
    assert_true(t.refused > trials / 10);
    assert_true(t.accepted > 1);
    free(b);
}

static void test_mutated_writer_file(void **state)
{
    (void)state;
    gguf_writer *w = NULL;
    sl_error err = {0};
    assert_int_equal(gguf_writer_create(&w, &err), SL_OK);
    gguf_writer_set_str(w, "general.architecture", "llama", &err);
    gguf_writer_set_u32(w, "general.alignment", 16, &err);
    gguf_writer_set_u8(w, "v.u8", 1, &err);
    gguf_writer_set_i16(w, "v.i16", -2, &err);
    gguf_writer_set_u64(w, "v.u64", 3, &err);
    gguf_writer_set_f64(w, "v.f64", 0.5, &err);
    gguf_writer_set_f32(w, "v.f32", 0.25f, &err);
    gguf_writer_set_bool(w, "v.bool", true, &err);
    const char *const toks[] = {"<s>", "</s>", "a", "", "bc"};
    gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, 5, &err);
    const int32_t types[5] = {3, 3, 1, 1, 1};
    gguf_writer_set_arr_num(w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, 5, &err);
    const unsigned char nested[] = {
        GGUF_TYPE_ARRAY, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, /* one element: */
        GGUF_TYPE_UINT8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5, 6,
    };
    gguf_writer_set_raw(w, "a.nested", GGUF_TYPE_ARRAY, nested, sizeof nested, &err);
    static uint8_t data[4096];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    const int64_t ne_a[2] = {4, 3}, ne_b[1] = {32}, ne_c[2] = {256, 1};
    assert_int_equal(gguf_writer_add_tensor(w, "a", TENSOR_F32, 2, ne_a, data, &err), SL_OK);
    assert_int_equal(gguf_writer_add_tensor(w, "b", TENSOR_Q8_0, 1, ne_b, data, &err), SL_OK);
    assert_int_equal(gguf_writer_add_tensor(w, "c", TENSOR_Q4_K, 2, ne_c, data, &err), SL_OK);
    size_t size;
    unsigned char *bytes = gguf_test_bytes(w, &size);
    gguf_writer_free(w);
    const char *dir = getenv("SIGHTLINE_GGUF_CORPUS_DIR");
    if (dir && *dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s/writer-seed.gguf", dir);
        assert_int_equal(write_file_bytes(path, bytes, size), 0);
    }
    gguf_file *f = NULL;
    assert_int_equal(gguf_open_memory(bytes, size, "seed", &f, &err), SL_OK);
    size_t hot = (size_t)gguf_data_offset(f);
    gguf_close(f);
    run_corpus(bytes, size, hot, 1, 20000, "writer seed");
    free(bytes);
}

static void run_fixture(const char *rel, uint64_t seed, int trials)
{
    const char *p = shared_path(rel);
    if (!p) {
        skip();
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", p);
    size_t size;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    gguf_file *f = NULL;
    sl_error err = {0};
    assert_int_equal(gguf_open_memory(bytes, size, "seed", &f, &err), SL_OK);
    size_t hot = (size_t)gguf_data_offset(f);
    if (hot > size)
        hot = size;
    gguf_close(f);
    run_corpus(bytes, size, hot, seed, trials, rel);
    free(bytes);
}

static void test_mutated_quant_zoo(void **state)
{
    (void)state;
    run_fixture("fixtures/quant/quant-zoo.gguf", 2, 5000);
}

static void test_mutated_vocab(void **state)
{
    (void)state;
    run_fixture("fixtures/vocab/ggml-vocab-gpt-2.gguf", 3, 150);
}

static void test_mutated_model(void **state)
{
    (void)state;
    run_fixture("fixtures/llm/tiny-spm-q4_k_m.gguf", 4, 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutated_writer_file),
        cmocka_unit_test(test_mutated_quant_zoo),
        cmocka_unit_test(test_mutated_vocab),
        cmocka_unit_test(test_mutated_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
