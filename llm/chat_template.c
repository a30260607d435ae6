#include "llm/chat_template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"chatml", "smolvlm", "llama3"};

const char *chat_template_name(chat_template_kind kind)
{
    return (unsigned)kind < 3 ? names[kind] : "?";
}

sl_status chat_template_from_name(const char *name, chat_template_kind *out, sl_error *err)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (chat_template_kind)i;
            return SL_OK;
        }
    return sl_fail(err, SL_ERR_UNSUPPORTED,
                   "chat template '%.40s' is not one of chatml, smolvlm, llama3", name ? name : "");
}

sl_status chat_template_detect(const char *tmpl, const char *source, chat_template_kind *out,
                               sl_error *err)
{
    if (!tmpl || !*tmpl)
        return sl_fail(err, SL_ERR_MODEL,
                       "%s: no chat template (tokenizer.chat_template); give one with "
                       "--chat-template chatml|smolvlm|llama3",
                       source);
    if (strstr(tmpl, "<|im_start|>") && !strstr(tmpl, "<|im_sep|>")) {
        *out = strstr(tmpl, "<end_of_utterance>") ? CHAT_TEMPLATE_SMOLVLM : CHAT_TEMPLATE_CHATML;
        return SL_OK;
    }
    if (strstr(tmpl, "<|start_header_id|>") && strstr(tmpl, "<|end_header_id|>")) {
        *out = CHAT_TEMPLATE_LLAMA3;
        return SL_OK;
    }
    /* Show the start of the unknown template on one line. */
    char head[61];
    size_t n = 0;
    for (const char *p = tmpl; *p && n < sizeof head - 1; p++)
        head[n++] = isspace((unsigned char)*p) ? ' ' : *p;
    head[n] = '\0';
    return sl_fail(err, SL_ERR_UNSUPPORTED,
                   "%s: unknown chat template \"%s...\" (known: chatml, smolvlm, llama3)", source,
                   head);
}

typedef struct text_buf {
    char *s;
    size_t len, cap;
    bool failed;
} text_buf;

static void put_n(text_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap + n + 1) * 2;
        char *grown = realloc(b->s, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void put(text_buf *b, const char *s)
{
    put_n(b, s, strlen(s));
}

/* Llama 3 trims each message. */
static void put_trimmed(text_buf *b, const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    put_n(b, s, n);
}

sl_status chat_format(chat_template_kind kind, const chat_message *msgs, size_t n,
                      bool add_assistant, char **out, sl_error *err)
{
    *out = NULL;
    text_buf b = {0};
    put(&b, "");
    if (kind == CHAT_TEMPLATE_SMOLVLM)
        put(&b, "<|im_start|>");
    for (size_t i = 0; i < n; i++) {
        const char *role = msgs[i].role, *c = msgs[i].content ? msgs[i].content : "";
        if (!role)
            role = "user";
        switch (kind) {
        case CHAT_TEMPLATE_CHATML:
            put(&b, "<|im_start|>");
            put(&b, role);
            put(&b, "\n");
            put(&b, c);
            put(&b, "<|im_end|>\n");
            break;
        case CHAT_TEMPLATE_SMOLVLM:
            if (strcmp(role, "system") == 0) {
                put(&b, c);
                put(&b, "\n\n");
            } else {
                put(&b, strcmp(role, "user") == 0 ? "User: " : "Assistant: ");
                put(&b, c);
                put(&b, "<end_of_utterance>\n");
            }
            break;
        case CHAT_TEMPLATE_LLAMA3:
            put(&b, "<|start_header_id|>");
            put(&b, role);
            put(&b, "<|end_header_id|>\n\n");
            put_trimmed(&b, c);
            put(&b, "<|eot_id|>");
            break;
        }
    }
    if (add_assistant)
        put(&b, kind == CHAT_TEMPLATE_CHATML    ? "<|im_start|>assistant\n"
                : kind == CHAT_TEMPLATE_SMOLVLM ? "Assistant:"
                                                : "<|start_header_id|>assistant<|end_header_id|>\n\n");
    if (b.failed) {
        free(b.s);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory formatting a chat");
    }
    *out = b.s;
    return SL_OK;
}
