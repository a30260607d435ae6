#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_models.h"
#include "app/commands.h"
#include "app/json.h"
#include "llm/llm.h"

static int run_tokenize(app_context *app, int argc, char **argv)
{
    (void)app;
    const char *model = NULL, *text = NULL;
    bool bos = true, json = false, special = true;
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp(a, "--") == 0) {
            options = false; /* the text may start with '-' */
            continue;
        }
        if (!options) {
            if (text)
                return cli_usage_error(&cmd_tokenize, "give the text as one argument (quote it)");
            text = a;
        } else if ((strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) && i + 1 < argc)
            model = argv[++i];
        else if (strcmp(a, "--no-bos") == 0)
            bos = false;
        else if (strcmp(a, "--no-special") == 0)
            special = false;
        else if (strcmp(a, "--json") == 0)
            json = true;
        else if (a[0] == '-' && a[1] != '\0')
            return cli_usage_error(&cmd_tokenize, "unknown option '%s'", a);
        else if (text)
            return cli_usage_error(&cmd_tokenize, "give the text as one argument (quote it)");
        else
            text = a;
    }
    if (!model || !text)
        return cli_usage_error(&cmd_tokenize, "needs -m MODEL and a TEXT");
    gguf_file *f = NULL;
    int rc = app_open_gguf(model, &f);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    tokenizer *t = NULL;
    int32_t *ids = NULL;
    size_t n = 0;
    if (tokenizer_from_gguf(f, &t, &err) != SL_OK ||
        tokenizer_encode(t, text, strlen(text), bos, special, &ids, &n, &err) != SL_OK) {
        rc = cli_fail(&err);
    } else if (json) {
        json_writer w;
        json_init(&w, stdout, false);
        json_begin_object(&w);
        json_key(&w, "tokens");
        json_begin_array(&w);
        for (size_t i = 0; i < n; i++)
            json_int(&w, ids[i]);
        json_end_array(&w);
        json_key(&w, "pieces");
        json_begin_array(&w);
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const char *p = tokenizer_token_text(t, ids[i], &len);
            json_string_n(&w, p ? p : "", p ? len : 0);
        }
        json_end_array(&w);
        json_end_object(&w);
        json_finish(&w);
    } else {
        for (size_t i = 0; i < n; i++)
            printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
    }
    free(ids);
    tokenizer_free(t);
    gguf_close(f);
    return rc;
}

const command cmd_tokenize = {
    .name = "tokenize",
    .summary = "show the token ids a model sees for a text",
    .help = "usage: sightline tokenize -m MODEL [--no-bos] [--no-special] [--json] [--] TEXT\n"
            "\n"
            "Prints the token ids of TEXT under MODEL's vocabulary, separated by spaces,\n"
            "as llama.cpp tokenizes a prompt: BOS added when the vocabulary says so,\n"
            "special tokens such as <|im_start|> recognised in the text. Works on\n"
            "vocabulary-only GGUF files too.\n"
            "\n"
            "Options:\n"
            "  --no-bos       do not add BOS (or EOS) even if the vocabulary asks for it\n"
            "  --no-special   read special-token texts as plain text\n"
            "  --json         {tokens: [ids], pieces: [vocabulary texts]}\n"
            "\n"
            "Example:\n"
            "  sightline tokenize -m SmolLM2-360M-Instruct-Q8_0.gguf \"Hello world\"\n",
    .run = run_tokenize,
};
