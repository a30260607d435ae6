#include "app/llm_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_models.h"

void llm_cli_options_init(llm_cli_options *o)
{
    memset(o, 0, sizeof *o);
    o->sampling = llm_sampling_default_params();
    /* llama.cpp's command-line defaults, so the same flags mean the same. */
    o->sampling.temperature = 0.8f;
    o->sampling.top_k = 40;
    o->sampling.top_p = 0.95f;
    o->sampling.min_p = 0.05f;
    o->sampling.seed = 42;
}

static int bad_value(const command *cmd, const char *opt, const char *v)
{
    cli_usage_error(cmd, "%s does not take '%s'", opt, v);
    return -EXIT_USAGE;
}

int llm_cli_parse_option(const command *cmd, int argc, char **argv, int *i, llm_cli_options *o)
{
    const char *a = argv[*i];
    if (strcmp(a, "--kv-f32") == 0) {
        o->kv_f32 = true;
        return 1;
    }
    static const char *const with_value[] = {"-m",    "--model", "--ctx",   "--temp",
                                             "--seed", "--top-k", "--top-p", "--min-p",
                                             "--repeat-penalty"};
    size_t k = 0, n = sizeof with_value / sizeof with_value[0];
    while (k < n && strcmp(a, with_value[k]) != 0)
        k++;
    if (k == n)
        return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "%s needs a value", a);
        return -EXIT_USAGE;
    }
    const char *v = argv[++*i];
    long l;
    double d;
    llm_sampling_params *s = &o->sampling;
    switch (k) {
    case 0:
    case 1: o->model = v; break;
    case 2:
        if (!cli_parse_int(v, 1, 1 << 20, &l))
            return bad_value(cmd, a, v);
        o->n_ctx = (int32_t)l;
        break;
    case 3:
        if (!cli_parse_double(v, 0, 100, &d))
            return bad_value(cmd, a, v);
        s->temperature = (float)d;
        break;
    case 4:
        if (!cli_parse_int(v, 0, 0x7fffffffffffffffL, &l))
            return bad_value(cmd, a, v);
        s->seed = (uint64_t)l;
        break;
    case 5:
        if (!cli_parse_int(v, 0, 1 << 24, &l))
            return bad_value(cmd, a, v);
        s->top_k = (int32_t)l;
        break;
    case 6:
    case 7:
        if (!cli_parse_double(v, 0, 1, &d))
            return bad_value(cmd, a, v);
        *(k == 6 ? &s->top_p : &s->min_p) = (float)d;
        break;
    default:
        if (!cli_parse_double(v, 0, 10, &d))
            return bad_value(cmd, a, v);
        s->repeat_penalty = (float)d;
        break;
    }
    return 1;
}

int llm_session_open(const app_context *app, const llm_cli_options *o, llm_session *s)
{
    memset(s, 0, sizeof *s);
    sl_error err = {0};
    char *path = NULL;
    app_find_model(MODEL_LLM, o->model, &path);
    if (!path) {
        fprintf(stderr, "sightline: no text model: give -m MODEL (a GGUF file), or install one "
                        "with scripts/get-models.sh llm-360m\n");
        return EXIT_MODEL;
    }
    int rc = app_open_gguf(path, &s->gguf);
    if (rc == EXIT_OK && tokenizer_from_gguf(s->gguf, &s->tok, &err) != SL_OK)
        rc = cli_fail(&err);
    if (rc == EXIT_OK && llm_model_load(path, NULL, &s->model, &err) != SL_OK)
        rc = cli_fail(&err);
    /* Some models pad the embedding past the vocabulary; the reverse would
     * let the tokenizer produce ids the model has no row for. */
    if (rc == EXIT_OK && tokenizer_vocab_size(s->tok) > llm_model_n_vocab(s->model)) {
        fprintf(stderr, "sightline: %s: the vocabulary has %d tokens but the model %d\n", path,
                tokenizer_vocab_size(s->tok), llm_model_n_vocab(s->model));
        rc = EXIT_MODEL;
    }
    int threads = app->threads > 0 ? app->threads : thread_pool_default_threads();
    if (rc == EXIT_OK && thread_pool_create(threads, &s->pool, &err) != SL_OK)
        rc = cli_fail(&err);
    int32_t n_ctx = o->n_ctx;
    if (rc == EXIT_OK && n_ctx <= 0) {
        n_ctx = llm_model_n_ctx_train(s->model);
        if (n_ctx <= 0 || n_ctx > 4096)
            n_ctx = 4096;
    }
    if (rc == EXIT_OK &&
        llm_context_create(s->model, n_ctx, o->kv_f32 ? TENSOR_F32 : TENSOR_F16, s->pool,
                           &s->ctx, &err) != SL_OK)
        rc = cli_fail(&err);
    if (rc == EXIT_OK) {
        llm_model_stats st;
        llm_model_get_stats(s->model, &st);
        cli_note(app, "loaded %s (%s, %d layers) in %.0f ms, context %d, %d threads", path,
                 llm_arch_name(llm_model_hparams(s->model)->arch),
                 llm_model_hparams(s->model)->n_layer, st.load_ms, n_ctx, threads);
    }
    free(path);
    if (rc != EXIT_OK)
        llm_session_close(s);
    return rc;
}

void llm_session_close(llm_session *s)
{
    llm_context_free(s->ctx);
    thread_pool_destroy(s->pool);
    llm_model_free(s->model);
    tokenizer_free(s->tok);
    gguf_close(s->gguf);
    memset(s, 0, sizeof *s);
}
