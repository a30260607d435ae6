/* What generate and chat share: a text model loaded with its tokenizer,
 * a thread pool and a context, and the sampling options of the CLI. */
#ifndef SIGHTLINE_APP_LLM_SESSION_H
#define SIGHTLINE_APP_LLM_SESSION_H

#include "app/cli.h"
#include "llm/llm.h"

typedef struct llm_session {
    gguf_file *gguf;
    tokenizer *tok;
    llm_model *model;
    thread_pool *pool;
    llm_context *ctx;
} llm_session;

typedef struct llm_cli_options {
    const char *model;
    int32_t n_ctx;  /* --ctx, 0 = min(4096, the model's) */
    bool kv_f32;    /* --kv-f32 */
    llm_sampling_params sampling;
} llm_cli_options;

void llm_cli_options_init(llm_cli_options *o);

/* If argv[*i] is one of -m, --ctx, --kv-f32, --temp, --seed, --top-k,
 * --top-p, --min-p, --repeat-penalty: consumes it and returns 1; 0 for other
 * arguments; -EXIT_USAGE after printing a usage error. */
int llm_cli_parse_option(const command *cmd, int argc, char **argv, int *i, llm_cli_options *o);

#define LLM_CLI_OPTIONS_HELP                                                                 \
    "  -m, --model F  the GGUF text model (see 'sightline model info F')\n"                   \
    "  --ctx N        context length in tokens (default: the model's, at most 4096)\n"       \
    "  --kv-f32       keep the KV cache in F32 instead of F16\n"                             \
    "  --temp T       sampling temperature (default 0.8; 0 = greedy)\n"                       \
    "  --seed S       random seed (default 42), for repeatable output\n"                      \
    "  --top-k K      keep the K most likely tokens (default 40; 0 = off)\n"                  \
    "  --top-p P      nucleus sampling (default 0.95; 1 = off)\n"                             \
    "  --min-p P      drop tokens below P x the best one's probability (default 0.05)\n"      \
    "  --repeat-penalty R  discourage repeating the last 64 tokens (default 1 = off)\n"

/* Loads everything; on failure prints the error and returns the exit code. */
int llm_session_open(const app_context *app, const llm_cli_options *o, llm_session *s);
void llm_session_close(llm_session *s);

#endif
