/* libFuzzer target for the GGUF reader: any bytes must be refused with a
 * one-line format error or accepted and then readable in full.
 * Build: CC=clang meson setup build-fuzz -Dfuzz=true; run:
 * ./build-fuzz/tests/fuzz/fuzz_gguf -max_total_time=600 corpus/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/gguf.h"
#include "tests/llm/test_gguf_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gguf_file *f = NULL;
    sl_error err = {0};
    sl_status st = gguf_open_memory(data, size, "fuzz.gguf", &f, &err);
    if (st == SL_OK) {
        volatile uint64_t sink = gguf_walk(f);
        (void)sink;
        gguf_close(f);
        return 0;
    }
    /* Refusals are format errors, one line, naming the input. */
    if (f || st != SL_ERR_FORMAT || strncmp(err.msg, "fuzz.gguf: ", 11) != 0 ||
        strchr(err.msg, '\n'))
        abort();
    return 0;
}
