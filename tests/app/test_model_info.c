/* `sightline model info`: what it prints for a model file, and its errors
 * and exit codes for missing, corrupt and wrong files. */
#include "tests/app/cli_test.h"

#include <inttypes.h>
#include <sys/stat.h>

#include "llm/llm.h"

const char *cli_program;

/* A small model written by our writer, with a chat template. */
static char *write_model(const char *dir, uint64_t *params)
{
    char *path = malloc(strlen(dir) + 32);
    assert_non_null(path);
    sprintf(path, "%s/m.gguf", dir);
    gguf_writer *w = NULL;
    sl_error err = {0};
    assert_int_equal(gguf_writer_create(&w, &err), SL_OK);
    gguf_writer_set_str(w, "general.architecture", "llama", &err);
    gguf_writer_set_str(w, "general.name", "made \"here\"", &err);
    gguf_writer_set_u32(w, "llama.context_length", 4096, &err);
    gguf_writer_set_u32(w, "llama.block_count", 1, &err);
    gguf_writer_set_u32(w, "llama.embedding_length", 64, &err);
    gguf_writer_set_str(w, "tokenizer.ggml.model", "llama", &err);
    const char *const toks[] = {"<unk>", "<s>", "</s>", "a"};
    gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, 4, &err);
    gguf_writer_set_str(w, "tokenizer.chat_template", "{{ messages }}", &err);
    const int64_t emb[2] = {64, 4}, q[2] = {64, 64}, norm[1] = {64};
    assert_int_equal(gguf_writer_add_tensor(w, "token_embd.weight", TENSOR_Q8_0, 2, emb, NULL, &err), SL_OK);
    assert_int_equal(gguf_writer_add_tensor(w, "blk.0.attn_q.weight", TENSOR_Q4_0, 2, q, NULL, &err), SL_OK);
    assert_int_equal(gguf_writer_add_tensor(w, "blk.0.attn_k.weight", TENSOR_Q4_0, 2, q, NULL, &err), SL_OK);
    assert_int_equal(gguf_writer_add_tensor(w, "output_norm.weight", TENSOR_F32, 1, norm, NULL, &err), SL_OK);
    if (gguf_writer_write(w, path, &err) != SL_OK)
        fail_msg("%s", err.msg);
    gguf_writer_free(w);
    *params = 64 * 4 + 2 * 64 * 64 + 64;
    return path;
}

static void test_info_text(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    uint64_t params;
    char *path = write_model(dir, &params);
    char args[600];
    snprintf(args, sizeof args, "model info '%s'", path);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    char line[256];
    snprintf(line, sizeof line, "parameters:      8.51K (%" PRIu64 ")\n", params);
    assert_int_equal(params, 8512);
    assert_non_null(strstr(r.out, line));
    assert_non_null(strstr(r.out, "architecture:    llama\n"));
    assert_non_null(strstr(r.out, "types:           F32 x1, Q4_0 x2, Q8_0 x1\n"));
    assert_non_null(strstr(r.out, "context length:  4096\n"));
    assert_non_null(strstr(r.out, "vocab size:      4\n"));
    assert_non_null(strstr(r.out, "chat template:   yes (14 bytes)\n"));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    snprintf(line, sizeof line, "size:            %lld bytes\n", (long long)sb.st_size);
    assert_non_null(strstr(r.out, line));
    cli_result_free(&r);

    /* --json, anywhere after the action. */
    snprintf(args, sizeof args, "model info --json '%s'", path);
    r = cli_run(args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"architecture\": \"llama\""));
    assert_non_null(strstr(r.out, "\"name\": \"made \\\"here\\\"\""));
    assert_non_null(strstr(r.out, "\"parameters\": 8512"));
    assert_non_null(strstr(r.out, "\"context_length\": 4096"));
    assert_non_null(strstr(r.out, "\"vocab_size\": 4"));
    assert_non_null(strstr(r.out, "\"chat_template\": true"));
    assert_non_null(strstr(r.out, "\"type\": \"Q4_0\""));
    snprintf(line, sizeof line, "\"size_bytes\": %lld", (long long)sb.st_size);
    assert_non_null(strstr(r.out, line));
    assert_true(r.out[0] == '{' && r.out[strlen(r.out) - 2] == '}');
    cli_result_free(&r);
    free(path);
    temp_dir_remove(dir);
}

static void test_info_fixture(void **state)
{
    (void)state;
    REQUIRE_SHARED(model, "fixtures/llm/tiny-spm-q4_k_m.gguf");
    char path[4096];
    snprintf(path, sizeof path, "%s", model);
    /* What the output must say, from the reader (tested against the
     * fixtures in tests/llm/test_gguf_fixtures.c). */
    gguf_file *f = NULL;
    assert_int_equal(gguf_open(path, &f, NULL), SL_OK);
    uint64_t params = 0;
    int64_t q4k = 0, q6k = 0, f32 = 0;
    for (int64_t i = 0; i < gguf_tensor_count(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        params += (uint64_t)gguf_tensor_elems(t);
        q4k += t->type == TENSOR_Q4_K;
        q6k += t->type == TENSOR_Q6_K;
        f32 += t->type == TENSOR_F32;
    }
    gguf_close(f);
    assert_int_equal(q4k + q6k + f32, 20);
    char args[4200], want[256];
    snprintf(args, sizeof args, "model info '%s'", path);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 0);
    snprintf(want, sizeof want, "(%" PRIu64 ")\n", params);
    assert_non_null(strstr(r.out, want));
    snprintf(want, sizeof want, "F32 x%" PRId64 ", Q4_K x%" PRId64 ", Q6_K x%" PRId64 "\n", f32,
             q4k, q6k);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "vocab size:      32000\n")); /* fixtures/README.md */
    assert_non_null(strstr(r.out, "layers:          2\n"));
    assert_non_null(strstr(r.out, "embedding:       256\n"));
    assert_non_null(strstr(r.out, "chat template:   no\n"));
    cli_result_free(&r);
}

static void test_missing_file_is_input_error(void **state)
{
    (void)state;
    cli_result r = cli_run("model info /nonexistent/dir/m.gguf");
    assert_int_equal(r.status, 3);
    assert_string_equal(r.out, "");
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "sightline: /nonexistent/dir/m.gguf: No such file"));
    cli_result_free(&r);
}

static void test_bad_files_are_model_errors(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    uint64_t params;
    char *path = write_model(dir, &params);
    size_t size;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    assert_int_equal(write_file_bytes(path, bytes, size - 1), 0);
    char args[600];
    snprintf(args, sizeof args, "model info '%s'", path);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 6);
    assert_string_equal(r.out, "");
    assert_int_equal(count_lines(r.err), 1);
    char want[600];
    snprintf(want, sizeof want, "sightline: %s: tensor 'output_norm.weight' data [", path);
    assert_non_null(strstr(r.err, want));
    assert_non_null(strstr(r.err, "runs past the end of the file"));
    cli_result_free(&r);

    assert_int_equal(write_file_bytes(path, "hello, world\n", 13), 0);
    r = cli_run(args);
    assert_int_equal(r.status, 6);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "not a GGUF file"));
    cli_result_free(&r);

    snprintf(args, sizeof args, "model info --json '%s'", dir); /* a folder */
    r = cli_run(args);
    assert_int_equal(r.status, 3);
    assert_string_equal(r.out, "");
    assert_int_equal(count_lines(r.err), 1);
    cli_result_free(&r);
    free(bytes);
    free(path);
    temp_dir_remove(dir);
}

static void test_usage_errors(void **state)
{
    (void)state;
    const char *cases[] = {"model", "model info", "model info a b", "model info --bogus a",
                           "model fly a"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r = cli_run(cases[i]);
        assert_int_equal(r.status, 2);
        assert_int_equal(count_lines(r.err), 1);
        assert_non_null(strstr(r.err, "sightline model: "));
        cli_result_free(&r);
    }
    cli_result r = cli_run("help model");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: sightline model info FILE [--json]"));
    cli_result_free(&r);
    r = cli_run("--help");
    assert_non_null(strstr(r.out, "  model "));
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-SIGHTLINE\n", argv[0]);
        return 2;
    }
    cli_program = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_text),
        cmocka_unit_test(test_info_fixture),
        cmocka_unit_test(test_missing_file_is_input_error),
        cmocka_unit_test(test_bad_files_are_model_errors),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
