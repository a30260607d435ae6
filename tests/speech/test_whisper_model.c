/* whisper_model_load: the fixture models, whisper.cpp's vocabulary-only
 * test files in both layouts, and hostile files (wrong magic, GGUF,
 * truncation anywhere, corrupt fields). */
#include "tests/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "speech/whisper_model.h"

static void test_load_tiny_f16(void **state)
{
    (void)state;
    REQUIRE_SHARED(path, "fixtures/whisper/tiny_whisper_test_f16.bin");
    whisper_model *m = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_model_load(path, &m, &err), SL_OK);
    assert_true(m->has_weights);
    assert_int_equal(m->hp.n_vocab, 51864);
    assert_int_equal(m->hp.n_audio_state, 64);
    assert_int_equal(m->hp.n_audio_head, 2);
    assert_int_equal(m->hp.n_audio_layer, 2);
    assert_int_equal(m->hp.n_text_layer, 2);
    assert_int_equal(m->hp.n_mels, 80);
    assert_int_equal(m->d_te.type, TENSOR_F16);
    assert_int_equal(m->d_te.rows, 51864);
    assert_int_equal(m->d_te.cols, 64);
    assert_int_equal(m->e_conv1.cols, 240);
    assert_int_equal(m->e_conv2.cols, 192);
    assert_int_equal(m->tok.eot, 50256);
    assert_int_equal(m->tok.sot, 50257);
    assert_int_equal(m->tok.no_timestamps, 50362);
    assert_int_equal(m->tok.beg, 50363);
    assert_false(m->tok.multilingual);
    assert_int_equal(m->tok.blank, 220);
    assert_int_equal(m->n_vocab_file, 50257);
    uint32_t len;
    const uint8_t *b = whisper_token_bytes(m, 300, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(b, " w300", 5);
    assert_null(whisper_token_bytes(m, 50300, &len));
    /* the sinusoidal positions: row 0 is sin(0)=0 then cos(0)=1 */
    assert_float_equal(m->e_pe[0], 0.0f, 1e-7);
    assert_float_equal(m->e_pe[32], 1.0f, 1e-7);
    whisper_model_free(m);
}

static void test_vocab_only_layouts(void **state)
{
    (void)state;
    REQUIRE_SHARED(multi, "fixtures/whisper/for-tests-ggml-tiny.bin");
    whisper_model *m = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_model_load(multi, &m, &err), SL_OK);
    assert_false(m->has_weights);
    assert_true(m->tok.multilingual);
    assert_int_equal(m->hp.n_vocab, 51865);
    assert_int_equal(m->tok.eot, 50257);
    assert_int_equal(m->tok.sot, 50258);
    assert_int_equal(m->tok.n_languages, 99);
    assert_int_equal(m->tok.translate, 50358);
    assert_int_equal(m->tok.transcribe, 50359);
    assert_int_equal(m->tok.no_timestamps, 50363);
    assert_int_equal(m->tok.beg, 50364);
    /* the multilingual file names no specials: its 50257 tokens end with
     * an empty one at 50256, and eot moves up to 50257 */
    uint32_t len;
    assert_int_equal(m->n_vocab_file, 50257);
    assert_non_null(whisper_token_bytes(m, 50256, &len));
    assert_int_equal(len, 0);
    assert_null(whisper_token_bytes(m, m->tok.eot, &len));
    assert_int_equal(m->tok.blank, 220);
    const uint8_t *b;
    whisper_model *none = NULL;
    assert_int_equal(whisper_model_load(multi, &none, &err), SL_OK);
    whisper_model_free(none);
    whisper_model_free(m);

    REQUIRE_SHARED(en, "fixtures/whisper/for-tests-ggml-tiny.en.bin");
    assert_int_equal(whisper_model_load(en, &m, &err), SL_OK);
    assert_false(m->tok.multilingual);
    assert_int_equal(m->tok.sot, 50257);
    b = whisper_token_bytes(m, m->tok.eot, &len);
    assert_non_null(b);
    assert_memory_equal(b, "<|endoftext|>", len);
    assert_int_equal(m->tok.blank, 220);
    whisper_model_free(m);
    assert_int_equal(whisper_lang_id("en"), 0);
    assert_int_equal(whisper_lang_id("yue"), 99);
    assert_int_equal(whisper_lang_id("xx"), -1);
    assert_string_equal(whisper_lang_code(2), "de");
}

typedef struct bad_case {
    const char *what;
    sl_status code;
    const char *needle; /* in the message */
} bad_case;

static void expect_fail(const char *path, sl_status code, const char *needle)
{
    whisper_model *m = NULL;
    sl_error err = {0};
    sl_status s = whisper_model_load(path, &m, &err);
    if (s == SL_OK)
        fail_msg("%s loaded, expected failure with '%s'", path, needle);
    assert_null(m);
    assert_int_equal(s, code);
    assert_non_null(strstr(err.msg, path));
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_null(strchr(err.msg, '\n'));
}

static void put_i32(unsigned char *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (unsigned char)u;
    p[1] = (unsigned char)(u >> 8);
    p[2] = (unsigned char)(u >> 16);
    p[3] = (unsigned char)(u >> 24);
}

static void test_hostile_files(void **state)
{
    (void)state;
    REQUIRE_SHARED(path, "fixtures/whisper/tiny_whisper_test_f16.bin");
    size_t size;
    unsigned char *orig = read_file_bytes(path, &size);
    assert_non_null(orig);
    unsigned char *buf = malloc(size);
    assert_non_null(buf);
    char *dir = temp_dir_create();
    char f[4096];
    snprintf(f, sizeof f, "%s/m.bin", dir);

    /* missing, empty, GGUF, wrong magic */
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/none.bin", dir);
    expect_fail(missing, SL_ERR_IO, "No such file");
    assert_int_equal(write_file_bytes(f, "", 0), 0);
    expect_fail(f, SL_ERR_FORMAT, "too short");
    memcpy(buf, orig, size);
    memcpy(buf, "GGUF", 4);
    assert_int_equal(write_file_bytes(f, buf, 4096), 0);
    expect_fail(f, SL_ERR_FORMAT, "GGUF");
    buf[0] = 'X';
    assert_int_equal(write_file_bytes(f, buf, 4096), 0);
    expect_fail(f, SL_ERR_FORMAT, "bad magic");

    /* header fields out of range */
    struct {
        size_t off;
        int32_t v;
        const char *needle;
    } fields[] = {
        {4, 7, "n_vocab"},
        {4, 1 << 30, "n_vocab"},
        {8, -1, "n_audio_ctx"},
        {12, 0, "n_audio_state"},
        {16, 3, "multiple of the heads"},
        {24, 1 << 20, "n_text_ctx"},
        {28, 128, "differs"},
        {40, 1000, "n_mels"},
        {44, -5, "ftype"},
        {48, 81, "mel filters"},
        {52, 200, "mel filters"},
        {56 + 80 * 201 * 4, 1 << 30, "token count"},
        {60 + 80 * 201 * 4, -1, "token 0"},
        {60 + 80 * 201 * 4, 1 << 20, "token 0"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        memcpy(buf, orig, size);
        put_i32(buf + fields[i].off, fields[i].v);
        assert_int_equal(write_file_bytes(f, buf, size), 0);
        expect_fail(f, SL_ERR_FORMAT, fields[i].needle);
    }

    /* find the first tensor record: after the vocabulary */
    size_t off = 56 + 80 * 201 * 4;
    int32_t n_tok = (int32_t)(orig[off] | orig[off + 1] << 8 | orig[off + 2] << 16);
    off += 4;
    for (int32_t i = 0; i < n_tok; i++) {
        uint32_t len = (uint32_t)(orig[off] | orig[off + 1] << 8);
        off += 4 + len;
    }
    size_t rec = off;
    struct {
        size_t delta;
        int32_t v;
        sl_status code;
        const char *needle;
    } tens[] = {
        {0, 7, SL_ERR_FORMAT, "n_dims"},
        {0, 0, SL_ERR_FORMAT, "n_dims"},
        {4, 100000, SL_ERR_FORMAT, "name length"},
        {4, 0, SL_ERR_FORMAT, "name length"},
        {8, 77, SL_ERR_FORMAT, "unknown type"},
        {8, 14, SL_ERR_FORMAT, "whole"},      /* Q6_K rows of 64 */
        {12, -64, SL_ERR_FORMAT, "dimension"},
        {12, 65, SL_ERR_FORMAT, "shape"},
        {16, 1 << 30, SL_ERR_FORMAT, "shape"},
    };
    for (size_t i = 0; i < sizeof tens / sizeof tens[0]; i++) {
        memcpy(buf, orig, size);
        put_i32(buf + rec + tens[i].delta, tens[i].v);
        assert_int_equal(write_file_bytes(f, buf, size), 0);
        expect_fail(f, tens[i].code, tens[i].needle);
    }
    /* an unknown tensor name */
    memcpy(buf, orig, size);
    buf[rec + 20] = 'X';
    assert_int_equal(write_file_bytes(f, buf, size), 0);
    expect_fail(f, SL_ERR_FORMAT, "unknown tensor");

    /* truncated anywhere: inside the header, filters, vocabulary, a record,
     * tensor data; and one tensor short */
    size_t cuts[] = {3,      5,       30,      47,       50,       1000,     off - 9,
                     off - 1, rec + 2, rec + 9, rec + 17, rec + 40, size / 2, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        assert_int_equal(write_file_bytes(f, orig, cuts[i]), 0);
        whisper_model *m = NULL;
        sl_error err = {0};
        sl_status s = whisper_model_load(f, &m, &err);
        assert_int_equal(s, SL_ERR_FORMAT);
        assert_null(m);
        assert_non_null(strstr(err.msg, f));
    }
    /* vocabulary only (cut right after it) is a valid vocabulary-only model */
    assert_int_equal(write_file_bytes(f, orig, rec), 0);
    whisper_model *m = NULL;
    sl_error err = {0};
    assert_int_equal(whisper_model_load(f, &m, &err), SL_OK);
    assert_false(m->has_weights);
    whisper_model_free(m);

    /* random byte damage never crashes: each load either works or fails
     * with a message */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int trial = 0; trial < 40; trial++) {
        memcpy(buf, orig, size);
        for (int k = 0; k < 4; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t at = (trial % 2) ? (size_t)(x % (rec + 2000)) : (size_t)(x % size);
            buf[at] = (unsigned char)(x >> 32);
        }
        assert_int_equal(write_file_bytes(f, buf, size), 0);
        m = NULL;
        err.msg[0] = 0;
        sl_status s = whisper_model_load(f, &m, &err);
        if (s == SL_OK)
            whisper_model_free(m);
        else
            assert_true(strlen(err.msg) > 0);
    }
    temp_dir_remove(dir);
    free(buf);
    free(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_tiny_f16),
        cmocka_unit_test(test_vocab_only_layouts),
        cmocka_unit_test(test_hostile_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
