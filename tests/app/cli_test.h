/* Running the sightline program from a test: the path of the executable
 * under test comes as the test's first argument. */
#ifndef SIGHTLINE_TESTS_APP_CLI_TEST_H
#define SIGHTLINE_TESTS_APP_CLI_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support.h"

typedef struct cli_result {
    int status;
    char *out;
    char *err;
} cli_result;

/* Set from main(): the program to run. */
extern const char *cli_program;

/* main()'s start for tests of a program that decodes audio: takes the
 * program from argv[1] (false, after a usage line, when it is missing) and
 * gives LeakSanitizer the project's suppressions for GStreamer's
 * process-wide caches when the sanitize setup has not already. */
static inline bool cli_test_start(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SIGHTLINE_PROGRAM\n", argv[0]);
        return false;
    }
    cli_program = argv[1];
    char supp[4200];
    snprintf(supp, sizeof supp, "suppressions=%s:print_suppressions=0",
             source_path("tests/lsan.supp"));
    setenv("LSAN_OPTIONS", supp, 0);
    return true;
}

/* Runs `PROGRAM ARGS` through the shell (ARGS is shell syntax). */
static inline cli_result cli_run(const char *args)
{
    cli_result r = {0};
    size_t n = strlen(cli_program) + strlen(args) + 8;
    char *cmd = malloc(n);
    snprintf(cmd, n, "'%s' %s", cli_program, args);
    r.status = run_command(cmd, &r.out, &r.err);
    free(cmd);
    if (!r.out)
        r.out = strdup("");
    if (!r.err)
        r.err = strdup("");
    return r;
}

static inline void cli_result_free(cli_result *r)
{
    free(r->out);
    free(r->err);
}

static inline int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

#endif
