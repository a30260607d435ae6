/* `sightline tokenize` reproduces llama.cpp's token ids for its own test
 * vectors, through the command line (quoting, newlines and all). */
#include "tests/app/cli_test.h"

const char *cli_program;

/* Single-quotes s for the shell. */
static char *shell_quote(const char *s)
{
    size_t n = strlen(s);
    char *q = malloc(n * 4 + 3), *p = q;
    *p++ = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *s;
        }
    }
    *p++ = '\'';
    *p = '\0';
    return q;
}

static void check_vectors(const char *vocab)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/vocab/%s", vocab);
    REQUIRE_SHARED(model, rel);
    char inp_rel[300], out_rel[300];
    snprintf(inp_rel, sizeof inp_rel, "%s.inp", rel);
    snprintf(out_rel, sizeof out_rel, "%s.out", rel);
    char *model_path = strdup(model);
    size_t ni, no;
    char *inp = (char *)read_file_bytes(shared_path(inp_rel), &ni);
    char *outs = (char *)read_file_bytes(shared_path(out_rel), &no);
    assert_non_null(inp);
    assert_non_null(outs);
    const char *sep = "\n__ggml_vocab_test__\n";
    char *case_start = inp, *out_line = outs;
    int checked = 0;
    while (case_start && *case_start && *out_line) {
        char *end = strstr(case_start, sep);
        if (end)
            *end = '\0';
        char *nl = strchr(out_line, '\n');
        if (nl)
            *nl = '\0';
        /* Empty texts cannot be given on a command line. */
        if (*case_start) {
            char *q = shell_quote(case_start);
            char *args = malloc(strlen(q) + strlen(model_path) + 64);
            sprintf(args, "tokenize --no-bos -m '%s' -- %s", model_path, q);
            cli_result r = cli_run(args);
            assert_int_equal(r.status, 0);
            char *got = r.out;
            got[strcspn(got, "\n")] = '\0';
            const char *want = out_line;
            while (*want == ' ')
                want++;
            if (strcmp(got, want) != 0)
                print_message("%s: text %d: got '%s' want '%s'\n", vocab, checked, got, want);
            assert_string_equal(got, want);
            checked++;
            cli_result_free(&r);
            free(args);
            free(q);
        }
        case_start = end ? end + strlen(sep) : NULL;
        out_line = nl ? nl + 1 : out_line + strlen(out_line);
    }
    print_message("%s: %d texts identical\n", vocab, checked);
    assert_true(checked >= 20);
    free(inp);
    free(outs);
    free(model_path);
}

static void test_gpt2_vectors(void **state)
{
    (void)state;
    check_vectors("ggml-vocab-gpt-2.gguf");
}

static void test_spm_vectors(void **state)
{
    (void)state;
    check_vectors("ggml-vocab-llama-spm.gguf");
}

static void test_not_a_model(void **state)
{
    (void)state;
    char args[600];
    snprintf(args, sizeof args, "tokenize -m '%s' hello", asset_path("samples/menu.png"));
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 6);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "menu.png"));
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    cli_program = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt2_vectors),
        cmocka_unit_test(test_spm_vectors),
        cmocka_unit_test(test_not_a_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
