/* The program's shape: help, usage errors and exit codes. */
#include "tests/app/cli_test.h"

const char *cli_program;

static void test_help_lists_commands_and_exit_codes(void **state)
{
    (void)state;
    cli_result r = cli_run("--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: sightline"));
    assert_non_null(strstr(r.out, "Exit codes:"));
    assert_non_null(strstr(r.out, "  help "));
    assert_string_equal(r.err, "");
    cli_result_free(&r);
}

static void test_no_command_is_a_usage_error(void **state)
{
    (void)state;
    cli_result r = cli_run("");
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "usage: sightline"));
    cli_result_free(&r);
}

static void test_unknown_command_is_one_line(void **state)
{
    (void)state;
    cli_result r = cli_run("fly-to-the-moon");
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "'fly-to-the-moon' is not a sightline command"));
    cli_result_free(&r);
}

static void test_help_command_explains_itself(void **state)
{
    (void)state;
    cli_result r = cli_run("help help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: sightline help"));
    cli_result_free(&r);

    r = cli_run("help no-such-thing");
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.err), 1);
    cli_result_free(&r);
}

static void test_global_option_needs_value(void **state)
{
    (void)state;
    cli_result r = cli_run("help --db");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--db needs a value"));
    cli_result_free(&r);

    r = cli_run("--threads many help");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "'many'"));
    cli_result_free(&r);
}

static void test_version(void **state)
{
    (void)state;
    cli_result r = cli_run("--version");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "sightline ", 10) == 0);
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
        cmocka_unit_test(test_help_lists_commands_and_exit_codes),
        cmocka_unit_test(test_no_command_is_a_usage_error),
        cmocka_unit_test(test_unknown_command_is_one_line),
        cmocka_unit_test(test_help_command_explains_itself),
        cmocka_unit_test(test_global_option_needs_value),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
