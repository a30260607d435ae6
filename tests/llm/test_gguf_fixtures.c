/* Files written by llama.cpp: the quant zoo dequantizes to its reference,
 * the tiny models and vocab files open with the shapes fixtures/README.md
 * lists. */
#include "llm/llm.h"
#include "tests/llm/test_gguf_walk.h"
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gguf_file *open_or_fail(const char *path)
{
    gguf_file *f = NULL;
    sl_error err = {0};
    if (gguf_open(path, &f, &err) != SL_OK)
        fail_msg("%s", err.msg);
    return f;
}

static void test_quant_zoo_dequantizes_to_reference(void **state)
{
    (void)state;
    REQUIRE_SHARED(path, "fixtures/quant/quant-zoo.gguf");
    gguf_file *f = open_or_fail(path);
    static const tensor_type expected[] = {
        TENSOR_F16, TENSOR_BF16, TENSOR_Q4_0, TENSOR_Q4_1, TENSOR_Q5_0, TENSOR_Q5_1,
        TENSOR_Q8_0, TENSOR_Q2_K, TENSOR_Q3_K, TENSOR_Q4_K, TENSOR_Q5_K, TENSOR_Q6_K,
    };
    bool seen[TENSOR_TYPE_COUNT] = {false};
    int checked = 0;
    for (int64_t i = 0; i < gguf_tensor_count(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        size_t len = strlen(t->name);
        if (len > 4 && strcmp(t->name + len - 4, ".ref") == 0)
            continue;
        /* The name starts with the type's name. */
        const char *dot = strchr(t->name, '.');
        assert_non_null(dot);
        char type_name[16];
        snprintf(type_name, sizeof type_name, "%.*s", (int)(dot - t->name), t->name);
        assert_int_equal(tensor_type_from_name(type_name), (int)t->type);
        char ref_name[GGUF_MAX_NAME + 8];
        snprintf(ref_name, sizeof ref_name, "%s.ref", t->name);
        const gguf_tensor *ref = gguf_find_tensor(f, ref_name);
        assert_non_null(ref);
        assert_int_equal(ref->type, TENSOR_F32);
        for (int d = 0; d < 4; d++)
            assert_int_equal(ref->ne[d], t->ne[d]);
        int64_t n = gguf_tensor_elems(t), rows = n / t->ne[0];
        float *want = malloc((size_t)n * sizeof *want);
        float *got = malloc((size_t)n * sizeof *got);
        assert_true(want && got);
        memcpy(want, ref->data, (size_t)n * sizeof *want);
        size_t row_bytes = 0;
        assert_true(tensor_type_row_bytes(t->type, t->ne[0], &row_bytes));
        assert_int_equal(row_bytes * (size_t)rows, t->size);
        for (int64_t r = 0; r < rows; r++) {
            sl_error err = {0};
            if (dequantize_row(t->type, (const char *)t->data + r * row_bytes, got + r * t->ne[0],
                               t->ne[0], &err) != SL_OK)
                fail_msg("%s: %s", t->name, err.msg);
        }
        double max_ref = 0, max_diff = 0;
        for (int64_t k = 0; k < n; k++) {
            max_ref = fmax(max_ref, fabs(want[k]));
            max_diff = fmax(max_diff, fabs((double)got[k] - want[k]));
        }
        if (!(max_ref > 0) || !(max_diff <= 1e-6 * max_ref))
            fail_msg("%s: max |diff| %g, max |ref| %g", t->name, max_diff, max_ref);
        free(want);
        free(got);
        seen[t->type] = true;
        checked++;
    }
    for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++)
        if (!seen[expected[k]])
            fail_msg("no %s tensor in the zoo", tensor_type_name(expected[k]));
    assert_int_equal(checked, 12);
    gguf_close(f);
}

/* The shapes of fixtures/README.md: dim 256, 2 layers, 4 heads, 2 KV heads,
 * FFN 512, tied output. */
typedef struct shape_row {
    const char *suffix;
    int n_dims;
    int64_t ne0, ne1;
    bool matrix;
} shape_row;

static const shape_row layer_shapes[] = {
    {"attn_norm.weight", 1, 256, 1, false},  {"ffn_norm.weight", 1, 256, 1, false},
    {"attn_q.weight", 2, 256, 256, true},    {"attn_k.weight", 2, 256, 128, true},
    {"attn_v.weight", 2, 256, 128, true},    {"attn_output.weight", 2, 256, 256, true},
    {"ffn_gate.weight", 2, 256, 512, true},  {"ffn_up.weight", 2, 256, 512, true},
    {"ffn_down.weight", 2, 512, 256, true},
};

static void check_tensor(const gguf_file *f, const char *name, int n_dims, int64_t ne0,
                         int64_t ne1, const tensor_type *allowed, int n_allowed)
{
    const gguf_tensor *t = gguf_find_tensor(f, name);
    if (!t)
        fail_msg("%s: tensor %s missing", gguf_path(f), name);
    assert_int_equal(t->n_dims, n_dims);
    assert_int_equal(t->ne[0], ne0);
    assert_int_equal(t->ne[1], ne1);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->ne[3], 1);
    bool ok = false;
    for (int k = 0; k < n_allowed; k++)
        ok = ok || t->type == allowed[k];
    if (!ok)
        fail_msg("%s: %s has type %s", gguf_path(f), name, tensor_type_name(t->type));
    /* Every row decodes to finite numbers. */
    size_t row_bytes = 0;
    assert_true(tensor_type_row_bytes(t->type, t->ne[0], &row_bytes));
    float *row = malloc((size_t)ne0 * sizeof *row);
    assert_non_null(row);
    for (int64_t r = 0; r < ne1; r++) {
        assert_int_equal(dequantize_row(t->type, (const char *)t->data + r * row_bytes, row, ne0,
                                        NULL),
                         SL_OK);
        for (int64_t k = 0; k < ne0; k++)
            if (!isfinite(row[k]))
                fail_msg("%s: %s row %lld is not finite", gguf_path(f), name, (long long)r);
    }
    free(row);
}

static void check_model(const char *rel, uint32_t vocab, const tensor_type *mats, int n_mats)
{
    const char *path = shared_path(rel);
    if (!path) {
        skip();
        return;
    }
    gguf_file *f = open_or_fail(path);
    assert_string_equal(gguf_get_str(f, "general.architecture", ""), "llama");
    assert_int_equal(gguf_get_u32(f, "llama.embedding_length", 0), 256);
    assert_int_equal(gguf_get_u32(f, "llama.block_count", 0), 2);
    assert_int_equal(gguf_get_u32(f, "llama.attention.head_count", 0), 4);
    assert_int_equal(gguf_get_u32(f, "llama.attention.head_count_kv", 0), 2);
    assert_int_equal(gguf_get_u32(f, "llama.feed_forward_length", 0), 512);
    assert_true(gguf_get_f32(f, "llama.rope.freq_base", 0) == 10000.0f);
    assert_true(fabsf(gguf_get_f32(f, "llama.attention.layer_norm_rms_epsilon", 0) - 1e-5f) < 1e-9f);
    gguf_type et;
    uint64_t n;
    assert_true(gguf_get_array_info(f, "tokenizer.ggml.tokens", &et, &n));
    assert_int_equal(et, GGUF_TYPE_STRING);
    assert_int_equal(n, vocab);
    assert_int_equal(gguf_tensor_count(f), 2 + 2 * 9);
    assert_null(gguf_find_tensor(f, "output.weight")); /* tied */
    const tensor_type f32[] = {TENSOR_F32};
    /* llama-quantize picks the embedding's type by its own rules. */
    const tensor_type any[] = {TENSOR_F16, TENSOR_Q4_0, TENSOR_Q4_1, TENSOR_Q5_0, TENSOR_Q5_1,
                               TENSOR_Q8_0, TENSOR_Q4_K, TENSOR_Q5_K, TENSOR_Q6_K};
    check_tensor(f, "output_norm.weight", 1, 256, 1, f32, 1);
    check_tensor(f, "token_embd.weight", 2, 256, vocab, any, 9);
    for (int layer = 0; layer < 2; layer++) {
        for (size_t k = 0; k < sizeof layer_shapes / sizeof layer_shapes[0]; k++) {
            const shape_row *s = &layer_shapes[k];
            char name[GGUF_MAX_NAME];
            snprintf(name, sizeof name, "blk.%d.%s", layer, s->suffix);
            if (s->matrix)
                check_tensor(f, name, s->n_dims, s->ne0, s->ne1, mats, n_mats);
            else
                check_tensor(f, name, s->n_dims, s->ne0, s->ne1, f32, 1);
        }
    }
    (void)gguf_walk(f);
    gguf_close(f);
}

static void test_model_f16(void **state)
{
    (void)state;
    const tensor_type t[] = {TENSOR_F16};
    check_model("fixtures/llm/tiny-spm-f16.gguf", 32000, t, 1);
}

static void test_model_q8_0(void **state)
{
    (void)state;
    const tensor_type t[] = {TENSOR_Q8_0};
    check_model("fixtures/llm/tiny-spm-q8_0.gguf", 32000, t, 1);
}

static void test_model_q4_0(void **state)
{
    (void)state;
    const tensor_type t[] = {TENSOR_Q4_0, TENSOR_Q4_1, TENSOR_Q8_0, TENSOR_Q6_K};
    check_model("fixtures/llm/tiny-spm-q4_0.gguf", 32000, t, 4);
}

static void test_model_q4_k_m(void **state)
{
    (void)state;
    const tensor_type t[] = {TENSOR_Q4_K, TENSOR_Q6_K};
    check_model("fixtures/llm/tiny-spm-q4_k_m.gguf", 32000, t, 2);
}

static void test_model_bpe_q8_0(void **state)
{
    (void)state;
    const tensor_type t[] = {TENSOR_Q8_0};
    check_model("fixtures/llm/tiny-bpe-q8_0.gguf", 50257, t, 1);
}

static void check_vocab(const char *rel, const char *model, uint64_t n_tokens, uint64_t n_merges,
                        const char *token0)
{
    const char *path = shared_path(rel);
    if (!path) {
        skip();
        return;
    }
    gguf_file *f = open_or_fail(path);
    assert_int_equal(gguf_tensor_count(f), 0);
    assert_string_equal(gguf_get_str(f, "tokenizer.ggml.model", ""), model);
    gguf_type et;
    uint64_t n = 0;
    assert_true(gguf_get_array_info(f, "tokenizer.ggml.tokens", &et, &n));
    assert_int_equal(n, n_tokens);
    gguf_str t0 = gguf_get_array_str(f, "tokenizer.ggml.tokens", 0);
    assert_int_equal(t0.len, strlen(token0));
    assert_memory_equal(t0.data, token0, t0.len);
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        gguf_str s = gguf_get_array_str(f, "tokenizer.ggml.tokens", i);
        assert_non_null(s.data);
        total += s.len;
    }
    assert_true(total > n && total < gguf_file_size(f));
    const void *types;
    assert_int_equal(gguf_get_array(f, "tokenizer.ggml.token_type", &et, &n, &types, NULL), SL_OK);
    assert_int_equal(et, GGUF_TYPE_INT32);
    assert_int_equal(n, n_tokens);
    if (n_merges) {
        assert_true(gguf_get_array_info(f, "tokenizer.ggml.merges", &et, &n));
        assert_int_equal(et, GGUF_TYPE_STRING);
        assert_int_equal(n, n_merges);
        gguf_str m = gguf_get_array_str(f, "tokenizer.ggml.merges", 0);
        assert_non_null(memchr(m.data, ' ', m.len)); /* "a b" pairs */
    } else {
        const void *scores;
        assert_int_equal(gguf_get_array(f, "tokenizer.ggml.scores", &et, &n, &scores, NULL), SL_OK);
        assert_int_equal(et, GGUF_TYPE_FLOAT32);
        assert_int_equal(n, n_tokens);
    }
    (void)gguf_walk(f);
    gguf_close(f);
}

static void test_vocab_gpt2(void **state)
{
    (void)state;
    check_vocab("fixtures/vocab/ggml-vocab-gpt-2.gguf", "gpt2", 50257, 50000, "!");
}

static void test_vocab_spm(void **state)
{
    (void)state;
    check_vocab("fixtures/vocab/ggml-vocab-llama-spm.gguf", "llama", 32000, 0, "<unk>");
}

/* The vision-language fixtures (a CLIP mmproj and its text model) open and
 * every tensor's rows decode: not a shape check, that is the VLM's job. */
static void test_vlm_files_open(void **state)
{
    (void)state;
    const char *rels[] = {"fixtures/vlm/tiny-vlm-mmproj-f16.gguf",
                          "fixtures/vlm/tiny-vlm-text-q8_0.gguf"};
    const char *archs[] = {"clip", "llama"};
    for (int k = 0; k < 2; k++) {
        REQUIRE_SHARED(path, rels[k]);
        gguf_file *f = open_or_fail(path);
        assert_string_equal(gguf_get_str(f, "general.architecture", ""), archs[k]);
        assert_true(gguf_tensor_count(f) > 0);
        for (int64_t i = 0; i < gguf_tensor_count(f); i++) {
            const gguf_tensor *t = gguf_tensor_at(f, i);
            if (!quant_weight_type_supported(t->type))
                fail_msg("%s: %s has type %s", path, t->name, tensor_type_name(t->type));
            float *row = malloc((size_t)t->ne[0] * sizeof *row);
            assert_non_null(row);
            assert_int_equal(dequantize_row(t->type, t->data, row, t->ne[0], NULL), SL_OK);
            for (int64_t e = 0; e < t->ne[0]; e++)
                assert_true(isfinite(row[e]));
            free(row);
        }
        (void)gguf_walk(f);
        gguf_close(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quant_zoo_dequantizes_to_reference),
        cmocka_unit_test(test_model_f16),
        cmocka_unit_test(test_model_q8_0),
        cmocka_unit_test(test_model_q4_0),
        cmocka_unit_test(test_model_q4_k_m),
        cmocka_unit_test(test_model_bpe_q8_0),
        cmocka_unit_test(test_vocab_gpt2),
        cmocka_unit_test(test_vocab_spm),
        cmocka_unit_test(test_vlm_files_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
