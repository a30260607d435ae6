/* Taught objects and people end to end: teach, list, describe (with and
 * without a VLM), forget, export/import, on the pictures of
 * scripts/make-object-samples.sh. No model is installed for these runs
 * (SIGHTLINE_MODELS and XDG_CONFIG_HOME point at an empty folder), so
 * describe takes its no-model path unless -m/--mmproj name the fixtures. */
#include <stdlib.h>

#include "tests/app/cli_test.h"

const char *cli_program;

static char *dir;

static cli_result run(const char *db, const char *args)
{
    char full[4096];
    snprintf(full, sizeof full, "--db '%s/%s' %s", dir, db, args);
    return cli_run(full);
}

static void expect(const char *db, const char *args, int status, const char *in_out,
                   const char *not_in_out)
{
    cli_result r = run(db, args);
    if (r.status != status || (in_out && !strstr(r.out, in_out)) ||
        (not_in_out && strstr(r.out, not_in_out)))
        fail_msg("'%s': exit %d, out '%s', err '%s'", args, r.status, r.out, r.err);
    cli_result_free(&r);
}

/* "PICTURE PICTURE..." of assets/objects, quoted for the shell. */
static const char *pictures(const char *a, const char *b, const char *c)
{
    static char buf[3][4096];
    static int which;
    char *out = buf[which++ % 3];
    const char *names[3] = {a, b, c};
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < 3 && names[i]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "objects/%s", names[i]);
        len += (size_t)snprintf(out + len, 4096 - len, " '%s'", asset_path(rel));
    }
    return out;
}

static void teach_mug_and_book(const char *db)
{
    char args[8192];
    snprintf(args, sizeof args, "teach object mug%s",
             pictures("mug-teach1.jpg", "mug-teach2.jpg", "mug-teach3.jpg"));
    expect(db, args, 0, "taught object 'mug': 3 new pictures (classic-v1), 3 in all", NULL);
    snprintf(args, sizeof args, "teach object 'blue book'%s",
             pictures("book-teach1.jpg", "book-teach2.jpg", NULL));
    expect(db, args, 0, "taught object 'blue book': 2 new pictures", NULL);
    snprintf(args, sizeof args, "teach person Max%s",
             pictures("bottle-teach1.jpg", "bottle-teach3.jpg", NULL));
    expect(db, args, 0, "taught person 'Max'", NULL);
}

static void test_teach_describe_forget(void **state)
{
    (void)state;
    teach_mug_and_book("a.db");
    expect("a.db", "teach list", 0, "\tobject\tmug\tclassic-v1", NULL);
    expect("a.db", "teach list", 0, "\tperson\tMax\tclassic-v1", NULL);
    char args[8192];
    snprintf(args, sizeof args, "describe%s", pictures("mug-right.jpg", NULL, NULL));
    expect("a.db", args, 0, "Your mug is in view, right.\n", "book");
    snprintf(args, sizeof args, "describe%s", pictures("mug-left.jpg", NULL, NULL));
    expect("a.db", args, 0, "Your mug is in view, left.\n", "Max");
    snprintf(args, sizeof args, "describe%s", pictures("bottle-right.jpg", NULL, NULL));
    expect("a.db", args, 0, "Max is in view, right.\n", "mug");
    snprintf(args, sizeof args, "describe%s", pictures("book-left-crop.jpg", NULL, NULL));
    expect("a.db", args, 0, "Your blue book is in view, left.\n", "mug");
    /* Other things: nothing taught is claimed. */
    const char *others[] = {"other-apple-1.jpg", "other-phone-1.jpg", "other-cup-2.jpg",
                            "empty-wood.jpg"};
    for (int i = 0; i < 4; i++) {
        snprintf(args, sizeof args, "describe%s", pictures(others[i], NULL, NULL));
        expect("a.db", args, 0, "scene", "in view,");
    }
    snprintf(args, sizeof args, "describe --json%s", pictures("mug-left.jpg", NULL, NULL));
    expect("a.db", args, 0,
           "\"in_view\":[{\"name\":\"mug\",\"kind\":\"object\",\"position\":\"left\"", NULL);
    /* Spoken and remembered with the description. */
    expect("a.db", "history", 0, "Your mug is in view, left.", NULL);

    expect("a.db", "teach forget object mug", 0, "forgot object 'mug' (3 descriptors)", NULL);
    expect("a.db", "teach forget object mug", 2, NULL, NULL);
    snprintf(args, sizeof args, "describe%s", pictures("mug-right.jpg", NULL, NULL));
    expect("a.db", args, 0, "scene", "mug");
    /* forget NAME of any kind */
    expect("a.db", "teach forget Max", 0, "forgot object or person 'Max'", NULL);
    expect("a.db", "teach list", 0, "blue book", "Max");
}

static void test_usage_and_all_or_nothing(void **state)
{
    (void)state;
    char args[8192];
    expect("b.db", "teach object", 2, NULL, NULL);
    expect("b.db", "teach object mug", 2, NULL, NULL);
    snprintf(args, sizeof args, "teach object ' mug'%s", pictures("mug-teach1.jpg", NULL, NULL));
    expect("b.db", args, 2, NULL, NULL);
    snprintf(args, sizeof args, "teach person Max --camera%s",
             pictures("mug-teach1.jpg", NULL, NULL));
    expect("b.db", args, 2, NULL, NULL);
    snprintf(args, sizeof args, "teach object mug --bogus%s",
             pictures("mug-teach1.jpg", NULL, NULL));
    expect("b.db", args, 2, NULL, NULL);
    /* One picture missing: nothing is stored. */
    snprintf(args, sizeof args, "teach object mug%s '%s/missing.jpg'",
             pictures("mug-teach1.jpg", NULL, NULL), dir);
    cli_result r = run("b.db", args);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "missing.jpg"));
    cli_result_free(&r);
    /* A picture of nothing but background teaches nothing. */
    snprintf(args, sizeof args, "teach object table%s", pictures("empty-wood.jpg", NULL, NULL));
    r = run("b.db", args);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "nothing stands out"));
    cli_result_free(&r);
    expect("b.db", "teach list", 0, NULL, "mug");
    /* The camera path, with GStreamer's test source standing in; no camera
     * there: exit 4, nothing stored. */
    expect("b.db", "-q teach person Max --device test:ball", 0,
           "taught person 'Max': 1 new picture", NULL);
    r = run("b.db", "-q teach object x --device /dev/video99");
    assert_int_equal(r.status, 4);
    cli_result_free(&r);
    expect("b.db", "teach list", 0, "\tperson\tMax\t", "\tx\t");
}

static void test_export_import(void **state)
{
    (void)state;
    teach_mug_and_book("c.db");
    char args[8192];
    snprintf(args, sizeof args, "export '%s/c-export.db'", dir);
    expect("c.db", args, 0, NULL, NULL);
    snprintf(args, sizeof args, "import '%s/c-export.db'", dir);
    expect("d.db", args, 0, NULL, NULL);
    snprintf(args, sizeof args, "describe%s", pictures("mug-left.jpg", NULL, NULL));
    expect("d.db", args, 0, "Your mug is in view, left.", NULL);
    expect("d.db", "forget --all --yes", 0, NULL, NULL);
    expect("d.db", "teach list", 0, NULL, "mug");
}

/* With the tiny random-weight VLM fixtures: teach stores the projector's
 * embedding too and describe runs the VLM matching path (plumbing only: the
 * fixture's random embeddings are alike for every picture, so e.db would
 * "see" the mug anywhere); the prompt checks (--show-prompt) use f.db,
 * taught without the projector, where the classic descriptor decides. */
static void test_vlm_prompt(void **state)
{
    (void)state;
    REQUIRE_SHARED(mmproj_path, "fixtures/vlm/tiny-vlm-mmproj-f16.gguf");
    char *mmproj = strdup(mmproj_path);
    REQUIRE_SHARED(text_path, "fixtures/vlm/tiny-vlm-text-q8_0.gguf");
    char *text = strdup(text_path);
    char args[8192];
    snprintf(args, sizeof args, "teach object mug --mmproj '%s'%s", mmproj,
             pictures("mug-teach1.jpg", "mug-teach2.jpg", NULL));
    expect("e.db", args, 0, "(classic-v1 and clip:idefics3:", NULL);
    expect("e.db", "teach list", 0, "\tobject\tmug\tclip:idefics3:", NULL);
    snprintf(args, sizeof args, "describe -m '%s' --mmproj '%s' -n 2 --show-prompt%s", text,
             mmproj, pictures("mug-left.jpg", NULL, NULL));
    cli_result r = run("e.db", args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "The user's mug is in view"));
    cli_result_free(&r);

    snprintf(args, sizeof args, "teach object mug%s",
             pictures("mug-teach1.jpg", "mug-teach2.jpg", NULL));
    expect("f.db", args, 0, "(classic-v1)", NULL);
    snprintf(args, sizeof args, "describe -m '%s' --mmproj '%s' -n 2 --show-prompt%s", text,
             mmproj, pictures("mug-left.jpg", NULL, NULL));
    r = run("f.db", args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "The user is blind.\nThe user's mug is in view, on the left."));
    cli_result_free(&r);
    snprintf(args, sizeof args, "ask -m '%s' --mmproj '%s' -n 2 --show-prompt%s 'where is my "
             "mug?'", text, mmproj, pictures("mug-right.jpg", NULL, NULL));
    r = run("f.db", args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "The user's mug is in view, on the right."));
    cli_result_free(&r);
    /* Nothing taught in view: no such line. */
    snprintf(args, sizeof args, "describe -m '%s' --mmproj '%s' -n 2 --show-prompt%s", text,
             mmproj, pictures("other-apple-1.jpg", NULL, NULL));
    r = run("f.db", args);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.err, "in view"));
    cli_result_free(&r);
    free(text);
    free(mmproj);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    cli_program = argv[1];
    dir = temp_dir_create();
    /* No installed model, no config: the classic path. */
    setenv("XDG_CONFIG_HOME", dir, 1);
    setenv("SIGHTLINE_MODELS", dir, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_teach_describe_forget),
        cmocka_unit_test(test_usage_and_all_or_nothing),
        cmocka_unit_test(test_export_import),
        cmocka_unit_test(test_vlm_prompt),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    temp_dir_remove(dir);
    return rc;
}
