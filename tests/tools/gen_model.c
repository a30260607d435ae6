/* sightline-gen-model: writes a random-weight LLaMA-family GGUF model
 * (see model_gen.h). The same file can be given to llama.cpp's tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tools/model_gen.h"

static void usage(void)
{
    fputs("usage: sightline-gen-model [--preset smollm2-135m|smollm2-360m|tiny]\n"
          "         [--arch llama|qwen2] [--dim N] [--layers N] [--heads N] [--kv-heads N]\n"
          "         [--ff N] [--ctx N] [--vocab N | --vocab-from VOCAB.gguf]\n"
          "         [--type q8_0|q4_0|q4_k|q6_k|f16|...] [--embd-type T] [--untied]\n"
          "         [--seed S] [--distinct-rows N] OUT.gguf\n",
          stderr);
}

static tensor_type type_arg(const char *s)
{
    int t = tensor_type_from_name(s);
    if (t < 0) {
        fprintf(stderr, "sightline-gen-model: unknown tensor type '%s'\n", s);
        exit(2);
    }
    return (tensor_type)t;
}

int main(int argc, char **argv)
{
    model_gen_spec spec;
    model_gen_preset("tiny", &spec);
    const char *out = NULL;
    bool etype_given = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            out = a;
            continue;
        }
        if (strcmp(a, "--untied") == 0) {
            spec.tied = false;
            continue;
        }
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--preset") == 0) {
            if (!model_gen_preset(v, &spec)) {
                fprintf(stderr, "sightline-gen-model: unknown preset '%s'\n", v);
                return 2;
            }
        } else if (strcmp(a, "--arch") == 0) spec.arch = v;
        else if (strcmp(a, "--dim") == 0) spec.n_embd = atoi(v);
        else if (strcmp(a, "--layers") == 0) spec.n_layer = atoi(v);
        else if (strcmp(a, "--heads") == 0) spec.n_head = atoi(v);
        else if (strcmp(a, "--kv-heads") == 0) spec.n_head_kv = atoi(v);
        else if (strcmp(a, "--ff") == 0) spec.n_ff = atoi(v);
        else if (strcmp(a, "--ctx") == 0) spec.n_ctx = atoi(v);
        else if (strcmp(a, "--vocab") == 0) spec.n_vocab = atoi(v);
        else if (strcmp(a, "--vocab-from") == 0) spec.vocab_from = v;
        else if (strcmp(a, "--type") == 0) {
            spec.wtype = type_arg(v);
            if (!etype_given)
                spec.etype = spec.wtype;
        } else if (strcmp(a, "--embd-type") == 0) {
            spec.etype = type_arg(v);
            etype_given = true;
        } else if (strcmp(a, "--seed") == 0) spec.seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--distinct-rows") == 0) spec.distinct_rows = atoi(v);
        else {
            usage();
            return 2;
        }
    }
    if (!out) {
        usage();
        return 2;
    }
    sl_error err = {0};
    if (model_gen_write(&spec, out, &err) != SL_OK) {
        fprintf(stderr, "sightline-gen-model: %s\n", err.msg);
        return 1;
    }
    return 0;
}
