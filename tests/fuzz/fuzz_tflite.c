/* libFuzzer target for the TFLite reader and interpreter: any input must be
 * either refused with a message or loaded, prepared and run without reading
 * out of bounds. Build: CC=clang meson setup build-fuzz -Dfuzz=true
 * -Dsanitize_tests=false -Db_sanitize=address,undefined
 * -Dc_args=-fsanitize=fuzzer-no-link (so the vision library it links is
 * instrumented for coverage too); seed it with the real models
 * (build-fuzz/tests/fuzz/fuzz_tflite models/mediapipe/). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vision/tflite.h"
#include "vision/tflite_interp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_error err;
    tflite_model *m = NULL;
    if (tflite_model_parse(data, size, "fuzz", &m, &err) != SL_OK) {
        if (err.msg[0] == 0)
            __builtin_trap(); /* every refusal must say why */
        return 0;
    }
    tflite_interp *it = NULL;
    if (tflite_interp_create(m, NULL, &it, &err) == SL_OK) {
        /* Running is bounded by the arena; skip the rare huge ones to keep
         * the fuzzer fast. */
        if (tflite_interp_arena_bytes(it) <= (64u << 20)) {
            for (int i = 0; i < tflite_interp_input_count(it); i++) {
                tflite_io in = tflite_interp_input(it, i);
                memset(in.data, 0, (size_t)in.count * sizeof(float));
            }
            tflite_interp_invoke(it, &err);
        }
        tflite_interp_free(it);
    } else if (err.msg[0] == 0) {
        __builtin_trap();
    }
    tflite_model_free(m);
    return 0;
}
