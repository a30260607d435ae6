/* Helpers for the GGUF tests: files built by the writer into memory, and
 * patches of single fields in them. */
#ifndef SIGHTLINE_TESTS_LLM_TEST_GGUF_UTIL_H
#define SIGHTLINE_TESTS_LLM_TEST_GGUF_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"
#include "tests/support.h"

/* Writes w to a temporary file and returns its bytes (malloc'ed). */
static inline unsigned char *gguf_test_bytes(gguf_writer *w, size_t *size)
{
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/t.gguf", dir);
    sl_error err = {0};
    if (gguf_writer_write(w, path, &err) != SL_OK)
        fail_msg("write: %s", err.msg);
    unsigned char *bytes = read_file_bytes(path, size);
    assert_non_null(bytes);
    temp_dir_remove(dir);
    return bytes;
}

/* Position of the first occurrence of needle (as bytes) in buf; fails the
 * test when absent. */
static inline size_t gguf_test_find(const unsigned char *buf, size_t size, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return i;
    fail_msg("'%s' not found in the file", needle);
    return 0;
}

static inline void gguf_test_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void gguf_test_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Opens a copy of bytes[0..size) held in a buffer of exactly that size (so
 * that ASan catches any read past it) and checks that it is refused with
 * SL_ERR_FORMAT and a one-line message naming the file and holding
 * `expect`. */
static inline void gguf_test_refused(const unsigned char *bytes, size_t size, const char *expect)
{
    unsigned char *copy = malloc(size ? size : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, size);
    gguf_file *f = NULL;
    sl_error err = {0};
    sl_status st = gguf_open_memory(copy, size, "t.gguf", &f, &err);
    gguf_close(f);
    free(copy);
    if (st == SL_OK)
        fail_msg("accepted; expected an error holding '%s'", expect);
    else if (st != SL_ERR_FORMAT || strncmp(err.msg, "t.gguf: ", 8) != 0 ||
             strchr(err.msg, '\n') || !strstr(err.msg, expect))
        fail_msg("got %s '%s'; expected a format error holding '%s'", sl_status_name(st), err.msg,
                 expect);
}

#endif
