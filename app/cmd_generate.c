#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_speech.h"
#include "app/commands.h"
#include "app/json.h"
#include "app/llm_session.h"

#define MAX_STOPS 8

typedef struct generate_request {
    llm_cli_options llm;
    const char *prompt;
    const char *chat_template; /* --chat: wrap the prompt as a user turn */
    const char *system;
    bool chat;
    bool json;
    bool no_bos;
    const char *logits_out;
    int32_t n_predict;
    const char *stops[MAX_STOPS];
    size_t n_stops;
} generate_request;

static int parse_generate(int argc, char **argv, generate_request *q)
{
    memset(q, 0, sizeof *q);
    llm_cli_options_init(&q->llm);
    q->n_predict = 128;
    for (int i = 1; i < argc; i++) {
        int used = llm_cli_parse_option(&cmd_generate, argc, argv, &i, &q->llm);
        if (used < 0)
            return -used;
        if (used)
            continue;
        const char *a = argv[i];
        long n;
        if (strcmp(a, "--json") == 0) {
            q->json = true;
        } else if (strcmp(a, "--chat") == 0) {
            q->chat = true;
        } else if (strcmp(a, "--no-bos") == 0) {
            q->no_bos = true;
        } else if (i + 1 < argc && (strcmp(a, "-p") == 0 || strcmp(a, "--prompt") == 0)) {
            q->prompt = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--logits-out") == 0) {
            q->logits_out = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--system") == 0) {
            q->system = argv[++i];
            q->chat = true;
        } else if (i + 1 < argc && strcmp(a, "--chat-template") == 0) {
            q->chat_template = argv[++i];
            q->chat = true;
        } else if (i + 1 < argc && strcmp(a, "--stop") == 0) {
            if (q->n_stops == MAX_STOPS)
                return cli_usage_error(&cmd_generate, "at most %d stop strings", MAX_STOPS);
            q->stops[q->n_stops++] = argv[++i];
        } else if (i + 1 < argc && (strcmp(a, "-n") == 0 || strcmp(a, "--n-predict") == 0)) {
            if (!cli_parse_int(argv[++i], 0, 1 << 20, &n))
                return cli_usage_error(&cmd_generate, "-n wants a number of tokens");
            q->n_predict = (int32_t)n;
        } else {
            return cli_usage_error(&cmd_generate, "unknown argument '%s'", a);
        }
    }
    if (!q->prompt)
        return cli_usage_error(&cmd_generate, "give a prompt with -p TEXT");
    return EXIT_OK;
}

static int print_piece(void *user, int32_t token, const char *text, size_t len)
{
    (void)user;
    (void)token;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

/* The prompt text, wrapped in the model's chat template with --chat. */
static int prompt_text(const generate_request *q, const llm_session *s, char **out)
{
    sl_error err = {0};
    *out = NULL;
    if (!q->chat) {
        *out = strdup(q->prompt);
        return *out ? EXIT_OK : EXIT_FAILURE_OTHER;
    }
    chat_template_kind kind;
    sl_status st = q->chat_template
                       ? chat_template_from_name(q->chat_template, &kind, &err)
                       : chat_template_detect(gguf_get_str(s->gguf, "tokenizer.chat_template", NULL),
                                              gguf_path(s->gguf), &kind, &err);
    chat_message msgs[2] = {{"system", q->system}, {"user", q->prompt}};
    if (st == SL_OK)
        st = chat_format(kind, q->system ? msgs : msgs + 1, q->system ? 2 : 1, true, out, &err);
    return st == SL_OK ? EXIT_OK : cli_fail(&err);
}

static int write_logits(const char *path, const float *logits, int32_t n)
{
    FILE *f = fopen(path, "wb");
    /* The file format is little-endian float32; this machine's floats are. */
    if (!f || fwrite(logits, sizeof *logits, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "sightline: %s: cannot write the logits\n", path);
        if (f)
            fclose(f);
        return EXIT_INPUT;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "sightline: %s: cannot write the logits\n", path);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static void print_json(const int32_t *prompt, size_t n_prompt, const llm_generate_result *r)
{
    json_writer w;
    json_init(&w, stdout, false);
    json_begin_object(&w);
    json_key(&w, "prompt_tokens");
    json_begin_array(&w);
    for (size_t i = 0; i < n_prompt; i++)
        json_int(&w, prompt[i]);
    json_end_array(&w);
    json_key(&w, "tokens");
    json_begin_array(&w);
    for (size_t i = 0; i < r->n_tokens; i++)
        json_int(&w, r->tokens[i]);
    json_end_array(&w);
    json_key(&w, "text");
    json_string_n(&w, r->text, r->text_len);
    json_kv_string(&w, "stop_reason", llm_stop_reason_name(r->stop_reason));
    json_kv_double(&w, "prompt_ms", r->prompt_ms);
    json_kv_double(&w, "decode_ms", r->decode_ms);
    json_kv_double(&w, "prompt_tokens_per_s",
                   r->prompt_ms > 0 ? 1000.0 * (double)n_prompt / r->prompt_ms : 0);
    /* The first generated token comes from the prompt's logits: decode
     * evaluates the others. */
    json_kv_double(&w, "decode_tokens_per_s",
                   r->decode_ms > 0 && r->n_tokens > 1
                       ? 1000.0 * (double)(r->n_tokens - 1) / r->decode_ms
                       : 0);
    json_end_object(&w);
    json_finish(&w);
}

static int run_generate(app_context *app, int argc, char **argv)
{
    generate_request q;
    int rc = parse_generate(argc, argv, &q);
    if (rc != EXIT_OK)
        return rc;
    llm_session s;
    if ((rc = llm_session_open(app, &q.llm, &s)) != EXIT_OK)
        return rc;
    sl_error err = {0};
    char *text = NULL;
    int32_t *prompt = NULL;
    size_t n_prompt = 0;
    llm_sampler *sampler = NULL;
    float *logits = NULL;
    llm_generate_result r = {0};
    int32_t n_vocab = llm_model_n_vocab(s.model);
    if ((rc = prompt_text(&q, &s, &text)) != EXIT_OK)
        goto done;
    if (tokenizer_encode(s.tok, text, strlen(text), !q.no_bos, true, &prompt, &n_prompt, &err) !=
            SL_OK ||
        llm_sampler_create(&q.llm.sampling, n_vocab, &sampler, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (q.logits_out && !(logits = malloc((size_t)n_vocab * sizeof *logits))) {
        rc = EXIT_FAILURE_OTHER;
        goto done;
    }
    llm_generate_params gp = {
        .n_predict = q.n_predict,
        .stop = q.stops,
        .n_stop = q.n_stops,
        .logits_after_prompt = logits,
    };
    if (llm_generate(s.ctx, s.tok, sampler, prompt, n_prompt, &gp, q.json ? NULL : print_piece,
                     NULL, &r, &err) != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (q.json)
        print_json(prompt, n_prompt, &r);
    else
        putchar('\n');
    cli_note(app, "%zu prompt tokens in %.0f ms, %zu generated in %.0f ms (%s)", n_prompt,
             r.prompt_ms, r.n_tokens, r.decode_ms, llm_stop_reason_name(r.stop_reason));
    if (logits)
        rc = write_logits(q.logits_out, logits, n_vocab);
done:
    llm_generate_result_free(&r);
    free(logits);
    llm_sampler_free(sampler);
    free(prompt);
    free(text);
    llm_session_close(&s);
    return rc;
}

const command cmd_generate = {
    .name = "generate",
    .summary = "continue a text with a language model: sightline generate -m M -p TEXT",
    .help = "usage: sightline generate -m MODEL -p TEXT [-n N] [--temp T] [--seed S]\n"
            "                          [--chat [--system S]] [--stop S]... [--json]\n"
            "                          [--logits-out FILE]\n"
            "\n"
            "Streams the model's continuation of TEXT to stdout. The prompt is\n"
            "tokenized as llama.cpp does by default: BOS when the vocabulary says so,\n"
            "special tokens such as <|im_start|> recognised in the text.\n"
            "\n"
            "Options:\n"
            "  -p, --prompt T the text to continue\n"
            "  -n N           at most N new tokens (default 128; 0 = until the context ends)\n"
            "  --chat         wrap TEXT as a user turn in the model's chat template\n"
            "  --system S     a system message (implies --chat)\n"
            "  --chat-template NAME  chatml, smolvlm or llama3 instead of the model's own\n"
            "  --stop S       stop when S appears (not printed); up to 8\n"
            "  --no-bos       do not add BOS\n"
            "  --json         print {prompt_tokens, tokens, text, stop_reason, prompt_ms,\n"
            "                 decode_ms, prompt_tokens_per_s, decode_tokens_per_s} at the end\n"
            "  --logits-out F write the logits after the prompt: float32 little-endian,\n"
            "                 one per vocabulary entry\n" LLM_CLI_OPTIONS_HELP
            "\n"
            "Examples:\n"
            "  sightline generate -m smollm2-360m-instruct-q8_0.gguf --chat -p \"Say hi\"\n"
            "  sightline generate -m model.gguf -p \"Once upon a time\" --temp 0 -n 32 --json\n",
    .run = run_generate,
};
