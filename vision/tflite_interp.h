/* A small interpreter for float TFLite models (the MediaPipe hand models and
 * others built from the same operators).
 *
 * tflite_interp_create checks every operator of the model's first subgraph
 * (an operator we do not implement is an error naming it), infers each
 * tensor's shape and compares it with the file's, folds operators whose
 * inputs are all constant (the DEQUANTIZE of float16 weights), repacks
 * convolution weights and plans one arena for the activations, reusing memory
 * between tensors whose lifetimes do not overlap. tflite_interp_invoke then
 * runs the graph on the thread pool; it allocates nothing.
 *
 * Layout is NHWC, float32 activations; constant weights may be float32 or
 * float16 (or int8/uint8 behind DEQUANTIZE). */
#ifndef SIGHTLINE_VISION_TFLITE_INTERP_H
#define SIGHTLINE_VISION_TFLITE_INTERP_H

#include "llm/error.h"
#include "llm/threadpool.h"
#include "vision/tflite.h"

typedef struct tflite_interp tflite_interp;

/* The shape and data of an input or output tensor (float32). */
typedef struct tflite_io {
    const char *name;
    int rank;
    const int32_t *shape;
    int64_t count;
    float *data; /* valid while the interpreter lives; outputs change on every invoke */
} tflite_io;

/* The model must outlive the interpreter. pool may be NULL (one thread); it
 * is borrowed, not owned, and must not run other jobs during an invoke. */
sl_status tflite_interp_create(const tflite_model *model, thread_pool *pool, tflite_interp **out,
                               sl_error *err);
void tflite_interp_free(tflite_interp *it);

int tflite_interp_input_count(const tflite_interp *it);
int tflite_interp_output_count(const tflite_interp *it);
tflite_io tflite_interp_input(const tflite_interp *it, int i);
tflite_io tflite_interp_output(const tflite_interp *it, int i);

/* Runs the graph on the current input data. */
sl_status tflite_interp_invoke(tflite_interp *it, sl_error *err);

/* Bytes of the activation arena and of the folded constants (for reports). */
size_t tflite_interp_arena_bytes(const tflite_interp *it);
size_t tflite_interp_const_bytes(const tflite_interp *it);

#endif
