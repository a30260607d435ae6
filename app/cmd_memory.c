/* remember, memory: what the user asks the assistant to keep in mind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/commands.h"
#include "app/json.h"

/* The command line's words after argv[from], joined by spaces, so quoting
 * is optional: `sightline remember my dog is Max`. */
static char *join_args(int argc, char **argv, int from)
{
    size_t n = 1;
    for (int i = from; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = calloc(1, n);
    for (int i = from; s && i < argc; i++) {
        if (i > from)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static int run_remember(app_context *app, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_remember, "what should I remember?");
    char *text = join_args(argc, argv, 1);
    sl_db *db = NULL;
    int rc = text ? app_db_open(app, &db) : EXIT_FAILURE_OTHER;
    if (rc == EXIT_OK) {
        sl_error err = {0};
        int64_t id;
        if (memory_add(db, text, "user", &id, &err) != SL_OK)
            rc = cli_fail(&err);
        else
            printf("Remembered (number %lld).\n", (long long)id);
        db_close(db);
    }
    free(text);
    return rc;
}

const command cmd_remember = {
    .name = "remember",
    .summary = "keep a fact in mind: sightline remember my dog is called Max",
    .help = "usage: sightline remember TEXT...\n"
            "\n"
            "Stores TEXT in your personal memory, on this device only. Memories that\n"
            "share words with a later request (describe, ask, meeting summaries) are\n"
            "added to what the assistant knows when it answers.\n"
            "See 'sightline help memory' to list, search and forget them.\n"
            "\n"
            "Example:\n"
            "  sightline remember the blue mug on the left is mine\n",
    .run = run_remember,
};

static void print_items(const memory_items *m, bool json, bool scored)
{
    if (!json) {
        for (size_t i = 0; i < m->count; i++)
            printf("%lld\t%s\n", (long long)m->items[i].id, m->items[i].text);
        return;
    }
    json_writer w;
    json_init(&w, stdout, false);
    json_begin_array(&w);
    for (size_t i = 0; i < m->count; i++) {
        json_begin_object(&w);
        json_kv_int(&w, "id", m->items[i].id);
        json_kv_int(&w, "created_ms", m->items[i].created_ms);
        json_kv_string(&w, "source", m->items[i].source);
        json_kv_string(&w, "text", m->items[i].text);
        if (scored)
            json_kv_double(&w, "score", m->items[i].score);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_finish(&w);
}

static int run_memory(app_context *app, int argc, char **argv)
{
    bool json = false;
    /* --json may come anywhere; the rest are the action and its words. */
    char **words = calloc((size_t)argc + 1, sizeof *words);
    int n = 0;
    if (!words)
        return EXIT_FAILURE_OTHER;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            words[n++] = argv[i];
    }
    const char *action = n ? words[0] : "list";
    sl_db *db = NULL;
    int rc;
    if (strcmp(action, "list") && strcmp(action, "search") && strcmp(action, "forget")) {
        rc = cli_usage_error(&cmd_memory, "'%s' is not list, search or forget", action);
        free(words);
        return rc;
    }
    if ((strcmp(action, "search") == 0 || strcmp(action, "forget") == 0) && n < 2) {
        rc = cli_usage_error(&cmd_memory, "%s needs %s", action,
                             action[0] == 's' ? "some words" : "a memory number");
        free(words);
        return rc;
    }
    long id = 0;
    if (action[0] == 'f' && !cli_parse_int(words[1], 1, 0x7fffffffffffffffL, &id)) {
        rc = cli_usage_error(&cmd_memory, "forget wants a memory number, not '%s'", words[1]);
        free(words);
        return rc;
    }
    if ((rc = app_db_open(app, &db)) != EXIT_OK) {
        free(words);
        return rc;
    }
    sl_error err = {0};
    memory_items m = {0};
    sl_status st = SL_OK;
    if (action[0] == 'l') {
        st = memory_list(db, 0, &m, &err);
    } else if (action[0] == 's') {
        char *q = join_args(n, words, 1);
        st = q ? memory_search(db, q, 10, &m, &err) : sl_fail(&err, SL_ERR_NOMEM, "out of memory");
        free(q);
    } else {
        st = memory_forget(db, id, &err);
        if (st == SL_OK && !json)
            printf("Forgotten (number %ld).\n", id);
    }
    if (st == SL_OK && action[0] != 'f')
        print_items(&m, json, action[0] == 's');
    if (st != SL_OK)
        rc = cli_fail(&err);
    memory_items_free(&m);
    db_close(db);
    free(words);
    return rc;
}

const command cmd_memory = {
    .name = "memory",
    .summary = "list, search or forget what you asked it to remember",
    .help = "usage: sightline memory [list] [--json]\n"
            "       sightline memory search WORDS... [--json]\n"
            "       sightline memory forget NUMBER\n"
            "\n"
            "list     every memory, newest first: its number, a tab, its text\n"
            "search   the memories that match WORDS best (what a request would get)\n"
            "forget   erases one memory for good: the database overwrites it, so no\n"
            "         trace stays in the file\n"
            "\n"
            "Examples:\n"
            "  sightline memory search where is my mug\n"
            "  sightline memory forget 3\n",
    .run = run_memory,
};
