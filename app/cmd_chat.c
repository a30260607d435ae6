#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/commands.h"
#include "app/llm_session.h"

#define CHAT_MAX_TURNS 256

typedef struct chat_state {
    chat_message msgs[2 * CHAT_MAX_TURNS + 1];
    size_t n;
    chat_template_kind kind;
    int32_t *cached; /* the tokens now in the context */
    size_t n_cached;
} chat_state;

static int print_piece(void *user, int32_t token, const char *text, size_t len)
{
    (void)user;
    (void)token;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

/* Evaluates only what changed since the last turn: the conversation's
 * tokens share a prefix with what the context already holds. */
static sl_status reply(llm_session *s, llm_sampler *sampler, chat_state *c, int32_t n_predict,
                       char **answer, sl_error *err)
{
    char *text = NULL;
    int32_t *ids = NULL;
    size_t n = 0;
    sl_status st = chat_format(c->kind, c->msgs, c->n, true, &text, err);
    if (st == SL_OK)
        st = tokenizer_encode(s->tok, text, strlen(text), true, true, &ids, &n, err);
    free(text);
    if (st != SL_OK)
        return st;
    size_t keep = 0;
    while (keep < c->n_cached && keep + 1 < n && c->cached[keep] == ids[keep])
        keep++;
    if ((st = llm_context_truncate(s->ctx, (int32_t)keep, err)) != SL_OK) {
        free(ids);
        return st;
    }
    llm_sampler_reset(sampler);
    for (size_t i = 0; i < keep; i++)
        llm_sampler_accept(sampler, ids[i]);
    llm_generate_params gp = {.n_predict = n_predict};
    llm_generate_result r;
    st = llm_generate(s->ctx, s->tok, sampler, ids + keep, n - keep, &gp, print_piece, NULL, &r,
                      err);
    if (st == SL_OK) {
        /* The context holds a prefix of the prompt and the reply: the
         * last sampled token is evaluated only when generation went on
         * past it, so the context's position says how much. */
        int32_t *all = realloc(ids, (n + r.n_tokens) * sizeof *all);
        if (all) {
            memcpy(all + n, r.tokens, r.n_tokens * sizeof *all);
            ids = all;
            n = (size_t)llm_context_pos(s->ctx);
        } else {
            n = 0;
            llm_context_reset(s->ctx);
        }
        *answer = r.text;
        r.text = NULL;
        llm_generate_result_free(&r);
    }
    free(c->cached);
    c->cached = ids;
    c->n_cached = st == SL_OK ? n : 0;
    if (st != SL_OK) {
        llm_context_reset(s->ctx);
        c->n_cached = 0;
    }
    return st;
}

static int run_chat(app_context *app, int argc, char **argv)
{
    llm_cli_options o;
    llm_cli_options_init(&o);
    const char *system = NULL, *tmpl = NULL;
    long n_predict = 512;
    for (int i = 1; i < argc; i++) {
        int used = llm_cli_parse_option(&cmd_chat, argc, argv, &i, &o);
        if (used < 0)
            return -used;
        if (used)
            continue;
        if (i + 1 < argc && strcmp(argv[i], "--system") == 0)
            system = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--chat-template") == 0)
            tmpl = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-n") == 0) {
            if (!cli_parse_int(argv[++i], 1, 1 << 20, &n_predict))
                return cli_usage_error(&cmd_chat, "-n wants a number of tokens");
        } else
            return cli_usage_error(&cmd_chat, "unknown argument '%s'", argv[i]);
    }
    llm_session s;
    int rc = llm_session_open(app, &o, &s);
    if (rc != EXIT_OK)
        return rc;
    chat_state *c = calloc(1, sizeof *c);
    llm_sampler *sampler = NULL;
    sl_error err = {0};
    sl_status st = c ? SL_OK : sl_fail(&err, SL_ERR_NOMEM, "out of memory");
    if (st == SL_OK)
        st = tmpl ? chat_template_from_name(tmpl, &c->kind, &err)
                  : chat_template_detect(gguf_get_str(s.gguf, "tokenizer.chat_template", NULL),
                                         gguf_path(s.gguf), &c->kind, &err);
    if (st == SL_OK)
        st = llm_sampler_create(&o.sampling, llm_model_n_vocab(s.model), &sampler, &err);
    if (st != SL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (system)
        c->msgs[c->n++] = (chat_message){"system", strdup(system)};
    bool tty = isatty(STDIN_FILENO);
    if (tty && !app->quiet)
        fprintf(stderr, "Chatting with %s. Type a message; an empty line or /bye ends.\n",
                gguf_path(s.gguf));
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        if (tty)
            fputs("> ", stderr);
        ssize_t len = getline(&line, &cap, stdin);
        if (len <= 0)
            break;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || strcmp(line, "/bye") == 0)
            break;
        if (c->n + 2 > sizeof c->msgs / sizeof c->msgs[0]) {
            fputs("sightline: the conversation is too long; start a new chat\n", stderr);
            rc = EXIT_LIMIT;
            break;
        }
        c->msgs[c->n++] = (chat_message){"user", strdup(line)};
        char *answer = NULL;
        if (reply(&s, sampler, c, (int32_t)n_predict, &answer, &err) != SL_OK) {
            rc = cli_fail(&err);
            break;
        }
        putchar('\n');
        fflush(stdout);
        c->msgs[c->n++] = (chat_message){"assistant", answer};
    }
    free(line);
done:
    if (c) {
        for (size_t i = 0; i < c->n; i++)
            free((char *)c->msgs[i].content);
        free(c->cached);
        free(c);
    }
    llm_sampler_free(sampler);
    llm_session_close(&s);
    return rc;
}

const command cmd_chat = {
    .name = "chat",
    .summary = "talk with a language model, with history: sightline chat -m MODEL",
    .help = "usage: sightline chat -m MODEL [--system S] [--chat-template NAME] [-n N]\n"
            "\n"
            "Reads your messages line by line from stdin and answers each with the\n"
            "model, remembering the conversation. An empty line, /bye or end of\n"
            "input ends it. Only what changed since the last turn is evaluated.\n"
            "\n"
            "Options:\n"
            "  --system S     a system message first\n"
            "  --chat-template NAME  chatml, smolvlm or llama3 instead of the model's own\n"
            "  -n N           at most N tokens per answer (default 512)\n" LLM_CLI_OPTIONS_HELP
            "\n"
            "Example:\n"
            "  sightline chat -m smollm2-360m-instruct-q8_0.gguf --temp 0.3\n",
    .run = run_chat,
};
