/* meeting summarize: the extractive summary (app/meeting_summary.h), shown,
 * stored with the meeting, and spoken on request. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/app_speech.h"
#include "app/commands.h"
#include "app/json.h"
#include "app/meeting_cmd_internal.h"
#include "app/meeting_summary.h"

static void json_items(json_writer *w, const char *key, const summary_list *l, bool action)
{
    json_key(w, key);
    json_begin_array(w);
    for (size_t i = 0; i < l->count; i++) {
        const summary_item *it = &l->items[i];
        json_begin_object(w);
        json_kv_int(w, "t_ms", it->t_ms);
        json_kv_string(w, "speaker", it->speaker);
        json_kv_string(w, "text", it->text);
        if (action) {
            json_key(w, "owner");
            it->owner ? json_string(w, it->owner) : json_null(w);
            json_key(w, "due");
            it->due ? json_string(w, it->due) : json_null(w);
        }
        json_end_object(w);
    }
    json_end_array(w);
}

int meeting_cmd_summarize(app_context *app, int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--llm") == 0) {
            long lid;
            if (argc < 3 || !cli_parse_int(argv[2], 1, 0x7fffffffffffffffL, &lid))
                return cli_usage_error(&cmd_meeting, "summarize needs the meeting number first");
            return meeting_cmd_summarize_llm(app, argc, argv, lid);
        }
    bool json = false;
    const char *id_arg = NULL;
    speak_request sr;
    speak_request_init(&sr);
    for (int i = 2; i < argc; i++) {
        int used = speak_parse_option(&cmd_meeting, argc, argv, &i, &sr);
        if (used < 0)
            return EXIT_USAGE;
        if (used > 0)
            continue;
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&cmd_meeting, "summarize: unknown option '%s'", argv[i]);
        else
            id_arg = argv[i];
    }
    long id;
    if (!id_arg || !cli_parse_int(id_arg, 1, 0x7fffffffffffffffL, &id))
        return cli_usage_error(&cmd_meeting, "summarize needs a meeting number");
    int rc = speak_check_output(&sr);
    if (rc != EXIT_OK)
        return rc;
    sl_db *db = NULL;
    if ((rc = app_db_open(app, &db)) != EXIT_OK)
        return rc;
    sl_error err = {0};
    meeting_segments segs;
    meeting_summary sum;
    if (meeting_segments_get(db, id, &segs, &err) != SL_OK) {
        db_close(db);
        return cli_fail(&err);
    }
    if (meeting_summarize_extractive(&segs, 5, &sum, &err) != SL_OK) {
        meeting_segments_free(&segs);
        db_close(db);
        return cli_fail(&err);
    }
    char *md = meeting_summary_markdown(&sum);
    if (!md)
        rc = EXIT_FAILURE_OTHER;
    else if (meeting_summary_put(db, id, "extractive", md, &err) != SL_OK)
        rc = cli_fail(&err);
    if (rc == EXIT_OK && json) {
        json_writer w;
        json_init(&w, stdout, false);
        json_begin_object(&w);
        json_kv_int(&w, "meeting", id);
        json_kv_string(&w, "method", "extractive");
        json_items(&w, "summary", &sum.summary, false);
        json_items(&w, "decisions", &sum.decisions, false);
        json_items(&w, "action_items", &sum.actions, true);
        json_end_object(&w);
        json_finish(&w);
    } else if (rc == EXIT_OK) {
        fputs(md, stdout);
    }
    if (rc == EXIT_OK && (sr.speak || sr.wav)) {
        /* Spoken without the times and markup. */
        size_t n = 0;
        for (size_t i = 0; i < sum.summary.count; i++)
            n += strlen(sum.summary.items[i].text) + 1;
        for (size_t i = 0; i < sum.decisions.count; i++)
            n += strlen(sum.decisions.items[i].text) + 1;
        for (size_t i = 0; i < sum.actions.count; i++)
            n += strlen(sum.actions.items[i].text) + 1;
        char *say = calloc(1, n + 64);
        if (say) {
            for (size_t i = 0; i < sum.summary.count; i++)
                strcat(strcat(say, sum.summary.items[i].text), " ");
            if (sum.decisions.count)
                strcat(say, "Decisions. ");
            for (size_t i = 0; i < sum.decisions.count; i++)
                strcat(strcat(say, sum.decisions.items[i].text), " ");
            if (sum.actions.count)
                strcat(say, "Action items. ");
            for (size_t i = 0; i < sum.actions.count; i++)
                strcat(strcat(say, sum.actions.items[i].text), " ");
            rc = speak_text(app, &sr, say);
            free(say);
        }
    }
    free(md);
    meeting_summary_free(&sum);
    meeting_segments_free(&segs);
    db_close(db);
    return rc;
}
