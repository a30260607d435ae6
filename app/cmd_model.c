/* `sightline model info FILE`: what a GGUF model file holds, read from its
 * header only (the reader validates it all before we look). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "app/commands.h"
#include "app/json.h"
#include "llm/llm.h"

typedef struct type_count {
    int64_t tensors;
    uint64_t bytes;
} type_count;

typedef struct model_summary {
    const char *arch;
    const char *name;
    uint64_t params;
    uint64_t tensor_bytes;
    type_count types[TENSOR_TYPE_COUNT];
    int64_t context_length; /* -1 when absent */
    int64_t vocab_size;     /* -1 when absent */
    int64_t layers;         /* -1 when absent */
    int64_t embedding_length;
    const char *tokenizer;
    uint64_t chat_template_bytes;
    bool has_chat_template;
} model_summary;

/* An ARCH.SUFFIX integer, or -1. */
static int64_t arch_int(const gguf_file *f, const char *arch, const char *suffix)
{
    if (!arch)
        return -1;
    char key[256];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return gguf_get_int(f, key, -1);
}

static void summarize(const gguf_file *f, model_summary *s)
{
    memset(s, 0, sizeof *s);
    s->arch = gguf_get_str(f, "general.architecture", NULL);
    s->name = gguf_get_str(f, "general.name", NULL);
    for (int64_t i = 0; i < gguf_tensor_count(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        /* Elements and sizes are bounded by the file size: no overflow. */
        s->params += (uint64_t)gguf_tensor_elems(t);
        s->tensor_bytes += t->size;
        s->types[t->type].tensors++;
        s->types[t->type].bytes += t->size;
    }
    s->context_length = arch_int(f, s->arch, "context_length");
    s->layers = arch_int(f, s->arch, "block_count");
    s->embedding_length = arch_int(f, s->arch, "embedding_length");
    gguf_type et;
    uint64_t n;
    if (gguf_get_array_info(f, "tokenizer.ggml.tokens", &et, &n))
        s->vocab_size = (int64_t)n;
    else
        s->vocab_size = arch_int(f, s->arch, "vocab_size");
    s->tokenizer = gguf_get_str(f, "tokenizer.ggml.model", NULL);
    const char *tmpl = gguf_get_str(f, "tokenizer.chat_template", NULL);
    s->has_chat_template = tmpl != NULL;
    s->chat_template_bytes = tmpl ? strlen(tmpl) : 0;
}

/* 8123456 -> "8.12M". */
static void human_count(uint64_t n, char *out, size_t size)
{
    static const char *const units[] = {"", "K", "M", "B", "T"};
    double v = (double)n;
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(out, size, "%" PRIu64, n);
    else
        snprintf(out, size, "%.*f%s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
}

static void print_optional(const char *label, int64_t v)
{
    if (v >= 0)
        printf("%-16s %" PRId64 "\n", label, v);
    else
        printf("%-16s unknown\n", label);
}

static void print_text(const gguf_file *f, const model_summary *s)
{
    char human[32];
    printf("%-16s %s\n", "file:", gguf_path(f));
    printf("%-16s %" PRIu64 " bytes\n", "size:", gguf_file_size(f));
    printf("%-16s %" PRIu32 "\n", "gguf version:", gguf_version(f));
    printf("%-16s %s\n", "architecture:", s->arch ? s->arch : "unknown");
    if (s->name)
        printf("%-16s %s\n", "name:", s->name);
    human_count(s->params, human, sizeof human);
    printf("%-16s %s (%" PRIu64 ")\n", "parameters:", human, s->params);
    printf("%-16s %" PRId64 " (%" PRIu64 " bytes)\n", "tensors:", gguf_tensor_count(f),
           s->tensor_bytes);
    printf("%-16s", "types:");
    bool first = true;
    for (int t = 0; t < TENSOR_TYPE_COUNT; t++) {
        if (!s->types[t].tensors)
            continue;
        printf("%s %s x%" PRId64, first ? "" : ",", tensor_type_name((tensor_type)t),
               s->types[t].tensors);
        first = false;
    }
    printf("%s\n", first ? " none" : "");
    print_optional("context length:", s->context_length);
    print_optional("vocab size:", s->vocab_size);
    print_optional("layers:", s->layers);
    print_optional("embedding:", s->embedding_length);
    printf("%-16s %s\n", "tokenizer:", s->tokenizer ? s->tokenizer : "none");
    if (s->has_chat_template)
        printf("%-16s yes (%" PRIu64 " bytes)\n", "chat template:", s->chat_template_bytes);
    else
        printf("%-16s no\n", "chat template:");
}

static void kv_optional(json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    if (v >= 0)
        json_int(w, v);
    else
        json_null(w);
}

static void kv_optional_str(json_writer *w, const char *key, const char *v)
{
    json_key(w, key);
    if (v)
        json_string(w, v);
    else
        json_null(w);
}

static void print_json(const gguf_file *f, const model_summary *s)
{
    json_writer w;
    json_init(&w, stdout, true);
    json_begin_object(&w);
    json_kv_string(&w, "file", gguf_path(f));
    json_kv_int(&w, "size_bytes", (int64_t)gguf_file_size(f));
    json_kv_int(&w, "gguf_version", gguf_version(f));
    kv_optional_str(&w, "architecture", s->arch);
    kv_optional_str(&w, "name", s->name);
    json_kv_int(&w, "parameters", (int64_t)s->params);
    json_kv_int(&w, "tensors", gguf_tensor_count(f));
    json_kv_int(&w, "tensor_bytes", (int64_t)s->tensor_bytes);
    json_key(&w, "types");
    json_begin_array(&w);
    for (int t = 0; t < TENSOR_TYPE_COUNT; t++) {
        if (!s->types[t].tensors)
            continue;
        json_begin_object(&w);
        json_kv_string(&w, "type", tensor_type_name((tensor_type)t));
        json_kv_int(&w, "tensors", s->types[t].tensors);
        json_kv_int(&w, "bytes", (int64_t)s->types[t].bytes);
        json_end_object(&w);
    }
    json_end_array(&w);
    kv_optional(&w, "context_length", s->context_length);
    kv_optional(&w, "vocab_size", s->vocab_size);
    kv_optional(&w, "layers", s->layers);
    kv_optional(&w, "embedding_length", s->embedding_length);
    kv_optional_str(&w, "tokenizer", s->tokenizer);
    json_kv_bool(&w, "chat_template", s->has_chat_template);
    json_end_object(&w);
    json_finish(&w);
}

static int run_info(const command *cmd, int argc, char **argv)
{
    const char *path = NULL;
    bool as_json = false;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0)
            options_done = true;
        else if (!options_done && strcmp(argv[i], "--json") == 0)
            as_json = true;
        else if (!options_done && argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error(cmd, "one FILE only ('%s' is extra)", argv[i]);
    }
    if (!path)
        return cli_usage_error(cmd, "model info needs a FILE");
    gguf_file *f = NULL;
    sl_error err = {0};
    sl_status st = gguf_open(path, &f, &err);
    if (st != SL_OK) {
        /* A file that cannot be read is an input error; one that is not a
         * valid model is a model error. */
        if (st == SL_ERR_FORMAT || st == SL_ERR_UNSUPPORTED)
            err.code = SL_ERR_MODEL;
        return cli_fail(&err);
    }
    model_summary s;
    summarize(f, &s);
    if (as_json)
        print_json(f, &s);
    else
        print_text(f, &s);
    gguf_close(f);
    return EXIT_OK;
}

static int run_model(app_context *app, int argc, char **argv)
{
    (void)app;
    if (argc < 2)
        return cli_usage_error(&cmd_model, "which action? (info)");
    if (strcmp(argv[1], "info") == 0)
        return run_info(&cmd_model, argc - 1, argv + 1);
    return cli_usage_error(&cmd_model, "no action named '%s'", argv[1]);
}

const command cmd_model = {
    .name = "model",
    .summary = "inspect a model file: sightline model info model.gguf",
    .help = "usage: sightline model info FILE [--json]\n"
            "\n"
            "Reads the header of a GGUF model file (checking all of it) and prints its\n"
            "architecture, parameter count, tensor types with how many tensors use each,\n"
            "context length, vocabulary size, whether it carries a chat template, and\n"
            "the file size. --json prints the same as one JSON object.\n"
            "\n"
            "Exit codes: 3 when FILE is missing or unreadable, 6 when it is not a valid\n"
            "GGUF model (the message names the field and byte at fault).\n"
            "\n"
            "Examples:\n"
            "  sightline model info models/tiny-spm-q4_k_m.gguf\n"
            "  sightline model info models/tiny-spm-q4_k_m.gguf --json\n",
    .run = run_model,
};
