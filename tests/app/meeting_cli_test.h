/* What the meeting CLI tests share: a temporary folder with the database,
 * a random-weight Whisper model and renderings of the test meeting. */
#ifndef SIGHTLINE_TESTS_APP_MEETING_CLI_TEST_H
#define SIGHTLINE_TESTS_APP_MEETING_CLI_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/app/cli_test.h"

static char *g_dir;

static inline cli_result run_db(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "--db '%s/m.db' %s", g_dir, args);
    return cli_run(cmd);
}

static inline int setup(void **state)
{
    (void)state;
    g_dir = temp_dir_create();
    return 0;
}

static inline int teardown(void **state)
{
    (void)state;
    temp_dir_remove(g_dir);
    g_dir = NULL;
    return 0;
}

/* A random-weight Whisper model and a rendering of the first `lines` lines
 * of the script into g_dir; false (the test skips) when the tools are
 * missing. */
static inline bool make_model_and_audio(int lines, char *model, char *wav, size_t n)
{
    const char *gen = "/work/shared/tools/gen_tiny_whisper.py";
    const char *shared = getenv("SIGHTLINE_SHARED");
    char gen_path[4200];
    snprintf(gen_path, sizeof gen_path, "%s/tools/gen_tiny_whisper.py", shared ? shared : "");
    if (shared && access(gen_path, R_OK) == 0)
        gen = gen_path;
    if (access("/usr/bin/python3", X_OK) != 0 || access(gen, R_OK) != 0 ||
        system("command -v espeak-ng >/dev/null && command -v sox >/dev/null") != 0)
        return false;
    snprintf(model, n, "%s/whisper-test.bin", g_dir);
    snprintf(wav, n, "%s/meeting.wav", g_dir);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --preset test '%s' >/dev/null", gen, model);
    if (system(cmd) != 0)
        return false;
    snprintf(cmd, sizeof cmd, "'%s' '%s' %d", source_path("scripts/make-meeting-audio.sh"), wav,
             lines);
    assert_int_equal(system(cmd), 0);
    return true;
}

static inline int64_t json_int_after(const char *s, const char *key, const char **next)
{
    const char *p = strstr(s, key);
    if (!p)
        return -1;
    p += strlen(key);
    *next = p;
    return strtoll(p, NULL, 10);
}

#endif
