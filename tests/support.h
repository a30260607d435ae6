/* Helpers shared by the cmocka tests. */
#ifndef SIGHTLINE_TESTS_SUPPORT_H
#define SIGHTLINE_TESTS_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

/* Path of a file under ../shared (SIGHTLINE_SHARED), or NULL with a message
 * on stderr naming it when it is absent: the caller then calls skip(). The
 * string is static storage, valid until the next call. */
const char *shared_path(const char *relative);

/* Same for the project's assets/ folder (SIGHTLINE_ASSETS). */
const char *asset_path(const char *relative);

/* Same for the project's source and build roots. */
const char *source_path(const char *relative);
const char *build_path(const char *relative);

/* Skip the current test when the shared file is missing. */
#define REQUIRE_SHARED(var, rel)                                                        \
    const char *var = shared_path(rel);                                                 \
    if (!var) {                                                                         \
        skip();                                                                         \
        return;                                                                         \
    }

/* A new empty temporary folder, removed with everything in it by
 * temp_dir_remove. Returns a malloc'ed path. */
char *temp_dir_create(void);
void temp_dir_remove(char *dir);

/* Read a whole file; NULL if it cannot. *size gets its length. */
unsigned char *read_file_bytes(const char *path, size_t *size);
int write_file_bytes(const char *path, const void *data, size_t size);

/* Run a shell command, capturing stdout and stderr (malloc'ed, may be NULL
 * pointers to skip capture); returns the exit status, or -1. */
int run_command(const char *cmd, char **out, char **err);

/* The numbers of the JSON array that follows "key": in text (malloc'ed,
 * *count of them); NULL when the key or its array is missing. Enough for
 * the fixtures' golden files, not a general JSON parser. */
double *json_number_array(const char *text, const char *key, int *count);

#endif
