/* search: full-text search over every stored meeting transcript. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/commands.h"
#include "app/json.h"
#include "app/meeting_cmd_internal.h"

static int run_search(app_context *app, int argc, char **argv)
{
    bool json = false;
    size_t len = 1;
    for (int i = 1; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *words = calloc(1, len);
    if (!words)
        return EXIT_FAILURE_OTHER;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
            continue;
        }
        if (words[0])
            strcat(words, " ");
        strcat(words, argv[i]);
    }
    if (!words[0]) {
        free(words);
        return cli_usage_error(&cmd_search, "what should I search for?");
    }
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    meeting_segments hits = {0};
    sl_error err = {0};
    if (rc == EXIT_OK && meeting_search(db, words, 0, &hits, &err) != SL_OK)
        rc = cli_fail(&err);
    if (rc == EXIT_OK && json) {
        json_writer w;
        json_init(&w, stdout, false);
        json_begin_array(&w);
        for (size_t i = 0; i < hits.count; i++) {
            const meeting_segment *g = &hits.items[i];
            json_begin_object(&w);
            json_kv_int(&w, "meeting", g->meeting_id);
            json_kv_string(&w, "title", g->meeting_title);
            json_kv_int(&w, "t0_ms", g->t0_ms);
            json_kv_int(&w, "t1_ms", g->t1_ms);
            json_kv_string(&w, "speaker", meeting_who(g));
            json_kv_string(&w, "text", g->text);
            json_end_object(&w);
        }
        json_end_array(&w);
        json_finish(&w);
    } else if (rc == EXIT_OK) {
        if (hits.count == 0)
            printf("No meeting mentions that.\n");
        for (size_t i = 0; i < hits.count; i++) {
            const meeting_segment *g = &hits.items[i];
            char t[32];
            meeting_format_time(g->t0_ms, t, sizeof t);
            const char *who = meeting_who(g);
            printf("meeting %" PRId64 " (%s) [%s] %s%s%s\n", g->meeting_id, g->meeting_title, t,
                   who, who[0] ? ": " : "", g->text);
        }
    }
    meeting_segments_free(&hits);
    db_close(db);
    free(words);
    return rc;
}

const command cmd_search = {
    .name = "search",
    .summary = "find words in every meeting transcript: sightline search budget",
    .help = "usage: sightline search WORDS... [--json]\n"
            "\n"
            "Prints each transcript line containing all the WORDS (any word form:\n"
            "'budgets' finds 'budget'), best match first, with its meeting and time.\n",
    .run = run_search,
};
