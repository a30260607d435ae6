/* The personal-data commands end to end: remember, memory, profile,
 * feedback, export, import and forget. */
#include "tests/app/cli_test.h"

const char *cli_program;

static char *dir;

static cli_result run(const char *db, const char *args)
{
    char full[4096];
    snprintf(full, sizeof full, "--db '%s/%s' %s", dir, db, args);
    return cli_run(full);
}

static void expect(const char *db, const char *args, int status, const char *in_out)
{
    cli_result r = run(db, args);
    if (r.status != status || (in_out && !strstr(r.out, in_out)))
        fail_msg("'%s': exit %d, out '%s', err '%s'", args, r.status, r.out, r.err);
    cli_result_free(&r);
}

static void test_memory_profile_feedback(void **state)
{
    (void)state;
    expect("a.db", "remember my guide dog is called Juno", 0, "Remembered (number 1)");
    expect("a.db", "remember the green door is the kitchen", 0, "number 2");
    expect("a.db", "memory search where is the kitchen", 0, "2\tthe green door is the kitchen");
    expect("a.db", "memory list --json", 0, "\"text\":\"my guide dog is called Juno\"");
    expect("a.db", "memory forget 1", 0, "Forgotten");
    expect("a.db", "memory forget 1", 2, NULL);
    expect("a.db", "memory list", 0, "kitchen");
    expect("a.db", "profile set verbosity brief", 0, NULL);
    expect("a.db", "profile get verbosity", 0, "brief");
    expect("a.db", "profile set verbosity chatty", 2, NULL);
    expect("a.db", "profile list --json", 0, "\"verbosity\":\"brief\"");
    expect("a.db", "feedback shorter", 0, "rate is now 195");
    expect("a.db", "feedback meh", 2, NULL);
}

static void test_export_import_forget(void **state)
{
    (void)state;
    expect("b.db", "remember the spare key is under the blue flowerpot", 0, NULL);
    expect("b.db", "profile set rate 210", 0, NULL);
    char args[4200];
    snprintf(args, sizeof args, "export '%s/moved.db'", dir);
    expect("b.db", args, 0, NULL);
    expect("b.db", args, 3, NULL); /* never overwrites */
    snprintf(args, sizeof args, "import '%s/moved.db'", dir);
    expect("c.db", args, 0, "1 memories, 1 settings");
    expect("c.db", "memory search spare key", 0, "flowerpot");
    expect("c.db", "profile get rate", 0, "210");
    snprintf(args, sizeof args, "import '%s/nothing.db'", dir);
    expect("c.db", args, 3, NULL);

    expect("c.db", "forget --all < /dev/null", 2, NULL); /* no --yes, no terminal: nothing */
    expect("c.db", "memory list", 0, "flowerpot");
    expect("c.db", "forget --all --yes", 0, "erased");
    expect("c.db", "memory list", 0, NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/c.db", dir);
    size_t n;
    unsigned char *bytes = read_file_bytes(path, &n);
    assert_non_null(bytes);
    for (size_t i = 0; i + 9 <= n; i++)
        assert_false(memcmp(bytes + i, "flowerpot", 9) == 0);
    free(bytes);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    cli_program = argv[1];
    dir = temp_dir_create();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_profile_feedback),
        cmocka_unit_test(test_export_import_forget),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    temp_dir_remove(dir);
    return rc;
}
