#include "app/personal_context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"

#define PERSONAL_MEMORIES_MAX 8

static int count_tokens(const tokenizer *tok, const char *text)
{
    int32_t *ids = NULL;
    size_t n = 0;
    if (tokenizer_encode(tok, text, strlen(text), false, false, &ids, &n, NULL) != SL_OK)
        return 1 << 30;
    free(ids);
    return (int)n;
}

static bool append(char **s, size_t *len, const char *add)
{
    size_t n = strlen(add);
    char *grown = realloc(*s, *len + n + 1);
    if (!grown)
        return false;
    memcpy(grown + *len, add, n + 1);
    *s = grown;
    *len += n;
    return true;
}

char *personal_context_build(const app_context *app, const char *request, const tokenizer *tok,
                             int max_tokens)
{
    sl_db *db = NULL;
    sl_error err = {0};
    char *path = NULL;
    if (!app->db_path && db_default_path(&path, &err) != SL_OK)
        return NULL;
    sl_status st = db_open(app->db_path ? app->db_path : path, &db, &err);
    free(path);
    if (st != SL_OK)
        return NULL;
    char *verbosity = NULL;
    memory_items found = {0};
    profile_get(db, "verbosity", &verbosity, NULL);
    memory_search(db, request, PERSONAL_MEMORIES_MAX, &found, NULL);
    db_close(db);

    char *out = NULL;
    size_t len = 0;
    int used = 0;
    const char *style = verbosity && strcmp(verbosity, "brief") == 0
                            ? "The user is blind and wants short answers.\n"
                        : verbosity && strcmp(verbosity, "detailed") == 0
                            ? "The user is blind and wants detailed answers.\n"
                            : "The user is blind.\n";
    bool ok = append(&out, &len, style);
    used += count_tokens(tok, style);
    const char *head = "What the user told you to remember:\n";
    int head_tokens = count_tokens(tok, head);
    bool headed = false;
    for (size_t i = 0; ok && i < found.count; i++) {
        char line[MEMORY_TEXT_MAX + 8];
        snprintf(line, sizeof line, "- %s\n", found.items[i].text);
        int cost = count_tokens(tok, line) + (headed ? 0 : head_tokens);
        if (used + cost > max_tokens)
            continue; /* a shorter one further down may still fit */
        if (!headed)
            ok = append(&out, &len, head);
        headed = true;
        ok = ok && append(&out, &len, line);
        used += cost;
    }
    memory_items_free(&found);
    free(verbosity);
    if (!ok || used > max_tokens) {
        free(out);
        return NULL;
    }
    /* The template adds its own separator after a system text. */
    while (len && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}
