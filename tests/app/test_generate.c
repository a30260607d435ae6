/* `sightline generate` end to end against llama.cpp's outputs on the tiny
 * fixture models: prompt ids, logits after the prompt (--logits-out) within
 * the fixtures README's tolerances, and the greedy continuation up to the
 * first near-tie. */
#include "tests/app/cli_test.h"

#include <math.h>

const char *cli_program;

typedef struct fixture {
    const char *name;
    double logit_tol;
} fixture;

static const fixture fixtures[] = {
    {"tiny-spm-f16", 0.05},    {"tiny-spm-q8_0", 0.15},   {"tiny-spm-q4_0", 0.25},
    {"tiny-spm-q4_k_m", 0.25}, {"tiny-bpe-q8_0", 0.15},
};

/* The "prompt" string of the golden file (no escapes in these fixtures). */
static char *golden_prompt(const char *text)
{
    const char *p = strstr(text, "\"prompt\"");
    assert_non_null(p);
    p = strchr(p + 8, '"');
    assert_non_null(p);
    const char *e = strchr(p + 1, '"');
    return strndup(p + 1, (size_t)(e - p - 1));
}

static void check_fixture(const fixture *fx, const char *dir)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/llm/%s.golden.json", fx->name);
    REQUIRE_SHARED(gpath, rel);
    size_t n;
    char *golden = (char *)read_file_bytes(gpath, &n);
    golden = realloc(golden, n + 1);
    golden[n] = '\0';
    char *prompt = golden_prompt(golden);
    snprintf(rel, sizeof rel, "fixtures/llm/%s.gguf", fx->name);
    char *model = strdup(shared_path(rel));
    char logits_path[4200], args[9000];
    snprintf(logits_path, sizeof logits_path, "%s/%s.logits", dir, fx->name);
    snprintf(args, sizeof args,
             "-q --threads 1 generate -m '%s' -p '%s' -n 16 --temp 0 --json --logits-out '%s'",
             model, prompt, logits_path);
    cli_result r = cli_run(args);
    assert_int_equal(r.status, 0);

    int n_want, n_got, n_ref, n_greedy, n_gap, n_gen;
    double *want = json_number_array(golden, "prompt_tokens", &n_want);
    double *got = json_number_array(r.out, "prompt_tokens", &n_got);
    assert_int_equal(n_got, n_want);
    for (int i = 0; i < n_want; i++)
        assert_true(got[i] == want[i]);

    double *ref = json_number_array(golden, "logits_after_prompt", &n_ref);
    size_t nb;
    float *logits = (float *)read_file_bytes(logits_path, &nb);
    assert_int_equal(nb, (size_t)n_ref * sizeof(float));
    double max_diff = 0;
    for (int i = 0; i < n_ref; i++)
        max_diff = fmax(max_diff, fabs(logits[i] - ref[i]));

    double *greedy = json_number_array(golden, "greedy", &n_greedy);
    double *gap = json_number_array(golden, "greedy_top2_gap", &n_gap);
    double *gen = json_number_array(r.out, "tokens", &n_gen);
    int same = 0;
    for (int i = 0; i < n_greedy && i < n_gap; i++) {
        if (gap[i] <= 0.1)
            break; /* a near-tie: paths may part from here */
        assert_true(i < n_gen);
        assert_true(gen[i] == greedy[i]);
        same++;
    }
    print_message("%s: logits max |d| %.4f (limit %.2f), greedy identical for %d steps\n",
                  fx->name, max_diff, fx->logit_tol, same);
    assert_true(max_diff <= fx->logit_tol);
    free(want), free(got), free(ref), free(logits), free(greedy), free(gap), free(gen);
    cli_result_free(&r);
    free(prompt);
    free(model);
    free(golden);
}

static void test_fixtures(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        check_fixture(&fixtures[i], dir);
    temp_dir_remove(dir);
}

static void test_errors(void **state)
{
    (void)state;
    cli_result r = cli_run("generate -m /nonexistent/model.gguf -p hi");
    assert_int_equal(r.status, 3);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "/nonexistent/model.gguf"));
    cli_result_free(&r);

    char args[600];
    snprintf(args, sizeof args, "generate -m '%s' -p hi", asset_path("samples/menu.png"));
    r = cli_run(args);
    assert_int_equal(r.status, 6);
    assert_int_equal(count_lines(r.err), 1);
    cli_result_free(&r);

    r = cli_run("generate -p hi --temp warm");
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
}

/* The first turn of a chat is `generate --chat`; the second builds on the
 * cached first (same answers as a fresh run would give, greedy). */
static void test_chat_turns(void **state)
{
    (void)state;
    REQUIRE_SHARED(model_path, "fixtures/llm/tiny-bpe-q8_0.gguf");
    char *model = strdup(model_path);
    char args[4600];
    snprintf(args, sizeof args,
             "-q generate -m '%s' --chat-template chatml -p 'Hello' -n 8 --temp 0", model);
    cli_result one = cli_run(args);
    assert_int_equal(one.status, 0);
    snprintf(args, sizeof args,
             "-q chat -m '%s' --chat-template chatml -n 8 --temp 0 < /dev/null", model);
    cli_result none = cli_run(args);
    assert_int_equal(none.status, 0);
    assert_string_equal(none.out, "");
    cli_result_free(&none);

    char *dir = temp_dir_create();
    char input[4200];
    snprintf(input, sizeof input, "%s/in.txt", dir);
    const char *lines = "Hello\nAnd then?\n";
    assert_int_equal(write_file_bytes(input, lines, strlen(lines)), 0);
    snprintf(args, sizeof args,
             "-q chat -m '%s' --chat-template chatml -n 8 --temp 0 < '%s'", model, input);
    cli_result two = cli_run(args);
    assert_int_equal(two.status, 0);
    assert_int_equal(count_lines(two.out), 2);
    /* The first answer line equals generate's output. */
    size_t first = strcspn(two.out, "\n");
    assert_int_equal(first, strcspn(one.out, "\n"));
    assert_memory_equal(two.out, one.out, first);
    /* Twice the same conversation: the same answers. */
    cli_result again = cli_run(args);
    assert_string_equal(again.out, two.out);
    cli_result_free(&again);
    cli_result_free(&two);
    cli_result_free(&one);
    temp_dir_remove(dir);
    free(model);
}

/* On a model the fixtures do not have: qwen2 (biases, half-split RoPE),
 * Q4_K weights and a Q6_K embedding, GPT-2 vocabulary, written by the
 * project's generator. Greedy output is the same at 1 and 2 threads and
 * with the F32 cache, and every token is inside the vocabulary. */
static void test_generated_model(void **state)
{
    (void)state;
    REQUIRE_SHARED(vocab_path, "fixtures/vocab/ggml-vocab-gpt-2.gguf");
    char *vocab = strdup(vocab_path); /* the path helpers share one buffer */
    char *dir = temp_dir_create();
    char cmd[8192], model[4200];
    snprintf(model, sizeof model, "%s/q.gguf", dir);
    snprintf(cmd, sizeof cmd,
             "'%s' --preset tiny --arch qwen2 "
             "--type q4_k --embd-type q6_k --untied --seed 7 --vocab-from '%s' '%s'",
             build_path("tests/sightline-gen-model"), vocab, model);
    assert_int_equal(run_command(cmd, NULL, NULL), 0);
    /* threads before the command, cache type after it */
    const char *runs[][2] = {{"1", ""}, {"2", ""}, {"2", "--kv-f32"}};
    char *first = NULL;
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd,
                 "-q --threads %s generate -m '%s' -p 'The blue door is' -n 12 --temp 0 --json %s",
                 runs[i][0], model, runs[i][1]);
        cli_result r = cli_run(cmd);
        assert_int_equal(r.status, 0);
        int n;
        double *gen = json_number_array(r.out, "tokens", &n);
        assert_int_equal(n, 12);
        for (int k = 0; k < n; k++)
            assert_true(gen[k] >= 0 && gen[k] < 50257);
        char *ids = strstr(r.out, "\"tokens\"");
        ids = strndup(ids, (size_t)(strchr(ids, ']') - ids));
        if (!first)
            first = ids;
        else {
            assert_string_equal(ids, first);
            free(ids);
        }
        free(gen);
        cli_result_free(&r);
    }
    free(first);
    snprintf(cmd, sizeof cmd, "model info '%s'", model);
    cli_result r = cli_run(cmd);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "qwen2"));
    cli_result_free(&r);
    temp_dir_remove(dir);
    free(vocab);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    cli_program = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_chat_turns),
        cmocka_unit_test(test_generated_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
