/* describe and ask: with the tiny SmolVLM-style fixture pair against
 * llama.cpp's mtmd outputs (prompt chunks, greedy tokens), the two-pass
 * description, personal context in the prompt, and without a model. */
#include "tests/app/cli_test.h"

#include <stdbool.h>

const char *cli_program;

typedef struct env {
    char *dir;
    char db[4200];
    char *text, *mmproj, *vdir;
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->dir = temp_dir_create();
    snprintf(e->db, sizeof e->db, "%s/u.db", e->dir);
    /* No user config or models folder can leak into these runs. */
    setenv("XDG_CONFIG_HOME", e->dir, 1);
    setenv("SIGHTLINE_MODELS", e->dir, 1);
    const char *t = shared_path("fixtures/vlm/tiny-vlm-text-q8_0.gguf");
    e->text = t ? strdup(t) : NULL;
    const char *m = shared_path("fixtures/vlm/tiny-vlm-mmproj-f16.gguf");
    e->mmproj = m ? strdup(m) : NULL;
    const char *d = shared_path("fixtures/vlm");
    e->vdir = d ? strdup(d) : NULL;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    temp_dir_remove(e->dir);
    free(e->text), free(e->mmproj), free(e->vdir);
    free(e);
    return 0;
}

static cli_result run(const env *e, const char *fmt, const char *a, const char *b)
{
    char tail[8192], args[12288];
    snprintf(tail, sizeof tail, fmt, a ? a : "", b ? b : "");
    snprintf(args, sizeof args, "--db '%s' -q %s", e->db, tail);
    return cli_run(args);
}

/* The prompt chunks and greedy tokens of `describe --prompt-template` equal
 * llama.cpp's for each fixture picture. */
static void check_golden(env *e, const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/vlm/%s/golden.json", name);
    REQUIRE_SHARED(gp, rel);
    size_t n;
    char *golden = (char *)read_file_bytes(gp, &n);
    golden = realloc(golden, n + 1);
    golden[n] = '\0';
    char pic[4200], args[8192];
    snprintf(pic, sizeof pic, "%s/%s.png", e->vdir, name);
    snprintf(args, sizeof args,
             "describe '%s' -m '%s' --mmproj '%s' -n 16 --json --prompt-template "
             "\"$(printf 'User:<__media__>Describe the image.<end_of_utterance>\\nAssistant:')\"",
             pic, e->text, e->mmproj);
    cli_result r = run(e, "%s", args, NULL);
    assert_int_equal(r.status, 0);

    /* Every text chunk's ids in order: compare the concatenation of all
     * "tokens" arrays of chunks (ours) with golden's chunks. */
    const char *ours = strstr(r.out, "\"chunks\"");
    const char *gold = strstr(golden, "\"chunks\"");
    assert_non_null(ours);
    assert_non_null(gold);
    int chunks = 0;
    for (;;) {
        const char *o = strstr(ours, "\"type\":");
        const char *g = strstr(gold, "\"type\":");
        const char *o_end = strstr(r.out, "\"n_tiles\"");
        if (!o || o > o_end)
            break;
        assert_non_null(g);
        bool o_img = strncmp(o + 7, "\"image\"", 7) == 0;
        bool g_img = strncmp(g + 7, " \"image\"", 8) == 0;
        assert_int_equal(o_img, g_img);
        if (o_img) {
            assert_int_equal(atoi(strstr(o, "\"n_tokens\":") + 11),
                             atoi(strstr(g, "\"n_tokens\":") + 11));
        } else {
            int no, ng;
            double *io = json_number_array(o, "tokens", &no);
            double *ig = json_number_array(g, "tokens", &ng);
            assert_int_equal(no, ng);
            for (int k = 0; k < no; k++)
                assert_true(io[k] == ig[k]);
            free(io), free(ig);
        }
        chunks++;
        ours = o + 1;
        gold = g + 1;
    }
    int n_gen, n_greedy, n_gap;
    const char *gen_at = strstr(r.out, "\"n_tiles\"");
    double *gen = json_number_array(gen_at, "tokens", &n_gen);
    double *greedy = json_number_array(golden, "greedy", &n_greedy);
    double *gap = json_number_array(golden, "greedy_top2_gap", &n_gap);
    int same = 0;
    for (int i = 0; i < n_greedy && i < n_gap && gap[i] > 0.1; i++, same++) {
        assert_true(i < n_gen);
        assert_true(gen[i] == greedy[i]);
    }
    print_message("%s: %d prompt chunks identical, greedy identical for %d steps\n", name, chunks,
                  same);
    assert_true(chunks >= 5);
    free(gen), free(greedy), free(gap);
    cli_result_free(&r);
    free(golden);
}

static void test_matches_mtmd(void **state)
{
    env *e = *state;
    if (!e->text || !e->mmproj)
        skip();
    check_golden(e, "test");
    check_golden(e, "street");
    check_golden(e, "portrait");
}

static void test_two_passes_history_and_personal_context(void **state)
{
    env *e = *state;
    if (!e->text || !e->mmproj)
        skip();
    cli_result r = run(e, "remember the blue mug on the left is mine", NULL, NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);

    char args[8192];
    snprintf(args, sizeof args, "describe '%s/street.png' -m '%s' --mmproj '%s' -n 8 --json",
             e->vdir, e->text, e->mmproj);
    r = run(e, "%s", args, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"pass\":\"brief\""));
    assert_non_null(strstr(r.out, "\"pass\":\"details\""));
    /* The brief pass uses one tile and the overview, the details more. */
    assert_non_null(strstr(r.out, "\"n_tiles\":2"));
    cli_result_free(&r);

    snprintf(args, sizeof args,
             "ask '%s/street.png' 'where is my mug?' -m '%s' --mmproj '%s' -n 4 --show-prompt",
             e->vdir, e->text, e->mmproj);
    r = run(e, "%s", args, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "the blue mug on the left is mine"));
    assert_non_null(strstr(r.err, "where is my mug?"));
    cli_result_free(&r);
    /* An unrelated question does not carry the memory. */
    snprintf(args, sizeof args,
             "ask '%s/street.png' 'what is the weather?' -m '%s' --mmproj '%s' -n 4 --show-prompt",
             e->vdir, e->text, e->mmproj);
    r = run(e, "%s", args, NULL);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.err, "blue mug"));
    cli_result_free(&r);

    r = run(e, "history --json -n 3", NULL, NULL);
    assert_non_null(strstr(r.out, "\"mode\":\"ask\""));
    assert_non_null(strstr(r.out, "\"mode\":\"describe\""));
    cli_result_free(&r);
}

static void test_bad_pairs(void **state)
{
    env *e = *state;
    if (!e->text || !e->mmproj)
        skip();
    char args[8192];
    snprintf(args, sizeof args, "describe '%s/test.png' -m '%s' --mmproj '%s'", e->vdir,
             e->mmproj, e->text);
    cli_result r = run(e, "%s", args, NULL);
    assert_int_equal(r.status, 6);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "mmproj"));
    cli_result_free(&r);

    /* A text model of another width (128) than the projector's output (256),
     * written by the project's generator. */
    REQUIRE_SHARED(vocab_path, "fixtures/vocab/ggml-vocab-gpt-2.gguf");
    char *vocab = strdup(vocab_path); /* the path helpers share one buffer */
    char narrow[4200], gen[8600];
    snprintf(narrow, sizeof narrow, "%s/narrow.gguf", e->dir);
    snprintf(gen, sizeof gen, "'%s' --preset tiny --dim 128 --ff 256 --vocab-from '%s' '%s'",
             build_path("tests/sightline-gen-model"), vocab, narrow);
    free(vocab);
    assert_int_equal(run_command(gen, NULL, NULL), 0);
    snprintf(args, sizeof args, "describe '%s/test.png' -m '%s' --mmproj '%s'", e->vdir, narrow,
             e->mmproj);
    r = run(e, "%s", args, NULL);
    assert_int_equal(r.status, 6);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "not a pair"));
    cli_result_free(&r);

    snprintf(args, sizeof args, "describe '%s' -m '%s' --mmproj '%s'",
             asset_path("samples/MANIFEST"), e->text, e->mmproj);
    r = run(e, "%s", args, NULL);
    assert_int_equal(r.status, 3);
    assert_int_equal(count_lines(r.err), 1);
    cli_result_free(&r);
}

static void test_without_a_model(void **state)
{
    env *e = *state;
    cli_result r = run(e, "describe '%s'", asset_path("samples/street-sign.png"), NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "It has text, beginning \"MAIN STREET\""));
    assert_non_null(strstr(r.out, "Airport"));
    cli_result_free(&r);
    r = cli_run("describe --help");
    assert_non_null(strstr(r.out, "get-models.sh vlm-256m"));
    cli_result_free(&r);
    r = run(e, "ask '%s' 'what is this?'", asset_path("samples/street-sign.png"), NULL);
    assert_int_equal(r.status, 6);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "get-models.sh"));
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    cli_program = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_matches_mtmd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_passes_history_and_personal_context, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_pairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_a_model, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
