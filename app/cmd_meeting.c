/* meeting: transcripts of meetings, imported or captured, stored in the
 * database; search is `sightline search` (cmd_search.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/commands.h"
#include "app/json.h"
#include "app/meeting_cmd_internal.h"
#include "app/meeting_import.h"

void meeting_format_time(int64_t ms, char *buf, size_t n)
{
    int64_t s = ms / 1000;
    snprintf(buf, n, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600, s / 60 % 60, s % 60);
}

static void sub_time(int64_t ms, char sep, char *buf, size_t n)
{
    int64_t s = ms / 1000;
    snprintf(buf, n, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 "%c%03" PRId64, s / 3600,
             s / 60 % 60, s % 60, sep, ms % 1000);
}

const char *meeting_who(const meeting_segment *g)
{
    return g->name ? g->name : g->speaker;
}

static bool parse_id(const char *s, int64_t *id)
{
    long v;
    if (!cli_parse_int(s, 1, 0x7fffffffffffffffL, &v))
        return false;
    *id = v;
    return true;
}

static int do_import(app_context *app, int argc, char **argv)
{
    const char *file = NULL, *title = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--title") == 0 && i + 1 < argc)
            title = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(&cmd_meeting, "import: unknown option '%s'", argv[i]);
        else if (!file)
            file = argv[i];
        else
            return cli_usage_error(&cmd_meeting, "import takes one file");
    }
    if (!file)
        return cli_usage_error(&cmd_meeting, "import needs a transcript file");
    sl_error err = {0};
    transcript t;
    if (transcript_read_file(file, &t, &err) != SL_OK)
        return cli_fail(&err);
    if (!title) {
        const char *slash = strrchr(file, '/');
        title = slash ? slash + 1 : file;
    }
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    int64_t id = 0;
    if (rc == EXIT_OK && meeting_create(db, title, 0, &id, &err) != SL_OK)
        rc = cli_fail(&err);
    for (size_t i = 0; rc == EXIT_OK && i < t.count; i++) {
        const transcript_line *l = &t.items[i];
        if (meeting_add_segment(db, id, l->t0_ms, l->t1_ms, l->speaker, l->text, NULL, &err) !=
            SL_OK) {
            sl_error e2;
            sl_fail(&e2, err.code, "%s:%d: %s", file, l->line, err.msg);
            rc = cli_fail(&e2);
        }
    }
    if (rc == EXIT_OK && t.count) {
        meeting_info info;
        if (meeting_get(db, id, &info, &err) == SL_OK) {
            meeting_end(db, id, info.started_ms + t.items[t.count - 1].t1_ms, &err);
            meeting_info_free(&info);
        }
        printf("Imported meeting %" PRId64 " (%zu segments).\n", id, t.count);
    } else if (rc != EXIT_OK && id) {
        meeting_delete(db, id, NULL);
    }
    db_close(db);
    transcript_free(&t);
    return rc;
}

static int do_list(app_context *app, bool json)
{
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    meeting_infos list;
    sl_error err = {0};
    if (meeting_list(db, &list, &err) != SL_OK) {
        db_close(db);
        return cli_fail(&err);
    }
    if (json) {
        json_writer w;
        json_init(&w, stdout, false);
        json_begin_array(&w);
        for (size_t i = 0; i < list.count; i++) {
            json_begin_object(&w);
            json_kv_int(&w, "id", list.items[i].id);
            json_kv_string(&w, "title", list.items[i].title);
            json_kv_int(&w, "started_ms", list.items[i].started_ms);
            json_kv_int(&w, "ended_ms", list.items[i].ended_ms);
            json_kv_int(&w, "segments", list.items[i].segments);
            json_end_object(&w);
        }
        json_end_array(&w);
        json_finish(&w);
    } else {
        for (size_t i = 0; i < list.count; i++)
            printf("%" PRId64 "\t%s\t%" PRId64 " segments%s\n", list.items[i].id,
                   list.items[i].title, list.items[i].segments,
                   list.items[i].ended_ms ? "" : "\t(running)");
    }
    meeting_infos_free(&list);
    db_close(db);
    return EXIT_OK;
}

static void write_segments_json(json_writer *w, const meeting_segments *s)
{
    json_begin_array(w);
    for (size_t i = 0; i < s->count; i++) {
        const meeting_segment *g = &s->items[i];
        json_begin_object(w);
        json_kv_int(w, "t0_ms", g->t0_ms);
        json_kv_int(w, "t1_ms", g->t1_ms);
        json_kv_string(w, "speaker", g->speaker);
        if (g->name)
            json_kv_string(w, "name", g->name);
        json_kv_string(w, "text", g->text);
        json_end_object(w);
    }
    json_end_array(w);
}

/* show and export share this: the meeting and its segments. */
static int load(app_context *app, const char *id_arg, sl_db **db, meeting_info *info,
                meeting_segments *segs)
{
    int64_t id;
    if (!id_arg || !parse_id(id_arg, &id))
        return cli_usage_error(&cmd_meeting, "a meeting number is needed, not '%s'",
                               id_arg ? id_arg : "nothing");
    int rc = app_db_open(app, db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    if (meeting_get(*db, id, info, &err) != SL_OK ||
        meeting_segments_get(*db, id, segs, &err) != SL_OK) {
        meeting_info_free(info);
        db_close(*db);
        *db = NULL;
        return cli_fail(&err);
    }
    return EXIT_OK;
}

static int do_show(app_context *app, int argc, char **argv, const char *format)
{
    (void)argc;
    sl_db *db = NULL;
    meeting_info info;
    meeting_segments segs;
    int rc = load(app, argc > 2 ? argv[2] : NULL, &db, &info, &segs);
    if (rc != EXIT_OK)
        return rc;
    char a[32], b[32];
    if (strcmp(format, "json") == 0) {
        json_writer w;
        json_init(&w, stdout, false);
        json_begin_object(&w);
        json_kv_int(&w, "id", info.id);
        json_kv_string(&w, "title", info.title);
        json_kv_int(&w, "started_ms", info.started_ms);
        json_kv_int(&w, "ended_ms", info.ended_ms);
        json_key(&w, "segments");
        write_segments_json(&w, &segs);
        json_end_object(&w);
        json_finish(&w);
    } else if (strcmp(format, "srt") == 0 || strcmp(format, "vtt") == 0) {
        bool vtt = format[0] == 'v';
        if (vtt)
            printf("WEBVTT\n\n");
        for (size_t i = 0; i < segs.count; i++) {
            const meeting_segment *g = &segs.items[i];
            sub_time(g->t0_ms, vtt ? '.' : ',', a, sizeof a);
            sub_time(g->t1_ms, vtt ? '.' : ',', b, sizeof b);
            if (!vtt)
                printf("%zu\n", i + 1);
            const char *who = meeting_who(g);
            if (vtt && who[0])
                printf("%s --> %s\n<v %s>%s\n\n", a, b, who, g->text);
            else
                printf("%s --> %s\n%s%s%s\n\n", a, b, who, who[0] ? ": " : "", g->text);
        }
    } else if (strcmp(format, "md") == 0) {
        printf("# %s\n\n", info.title);
        for (size_t i = 0; i < segs.count; i++) {
            const meeting_segment *g = &segs.items[i];
            meeting_format_time(g->t0_ms, a, sizeof a);
            const char *who = meeting_who(g);
            printf("- **[%s]** %s%s%s\n", a, who[0] ? "**" : "", who, who[0] ? ":** " : "");
            printf("  %s\n", g->text);
        }
        char *sum = NULL;
        if (meeting_summary_get(db, info.id, "extractive", &sum, NULL) == SL_OK && sum)
            printf("\n## Summary\n\n%s", sum);
        free(sum);
        sum = NULL;
        if (meeting_summary_get(db, info.id, "llm", &sum, NULL) == SL_OK && sum)
            printf("\n## Summary (language model)\n\n%s", sum);
        free(sum);
    } else {
        printf("Meeting %" PRId64 ": %s\n", info.id, info.title);
        for (size_t i = 0; i < segs.count; i++) {
            const meeting_segment *g = &segs.items[i];
            meeting_format_time(g->t0_ms, a, sizeof a);
            const char *who = meeting_who(g);
            printf("[%s] %s%s%s\n", a, who, who[0] ? ": " : "", g->text);
        }
    }
    meeting_segments_free(&segs);
    meeting_info_free(&info);
    db_close(db);
    return EXIT_OK;
}

static int do_speaker(app_context *app, int argc, char **argv)
{
    int64_t id;
    if (argc != 5 || !parse_id(argv[2], &id))
        return cli_usage_error(&cmd_meeting, "usage: meeting speaker ID LABEL NAME");
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    if (meeting_set_speaker(db, id, argv[3], argv[4], &err) != SL_OK)
        rc = cli_fail(&err);
    else
        printf("Speaker %s of meeting %" PRId64 " is now %s.\n", argv[3], id, argv[4]);
    db_close(db);
    return rc;
}

static int run_meeting(app_context *app, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_meeting, "which action? (import, list, show, speaker, "
                                             "export, summarize, start, stop)");
    const char *a = argv[1];
    bool json = false;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            json = true;
    if (strcmp(a, "import") == 0)
        return do_import(app, argc, argv);
    if (strcmp(a, "list") == 0)
        return do_list(app, json);
    if (strcmp(a, "show") == 0)
        return do_show(app, argc, argv, json ? "json" : "text");
    if (strcmp(a, "speaker") == 0)
        return do_speaker(app, argc, argv);
    if (strcmp(a, "export") == 0) {
        const char *fmt = NULL;
        for (int i = 3; i < argc; i++) {
            if (strcmp(argv[i], "--md") == 0)
                fmt = "md";
            else if (strcmp(argv[i], "--json") == 0)
                fmt = "json";
            else if (strcmp(argv[i], "--srt") == 0)
                fmt = "srt";
            else if (strcmp(argv[i], "--vtt") == 0)
                fmt = "vtt";
        }
        if (!fmt)
            return cli_usage_error(&cmd_meeting, "export needs --md, --json, --srt or --vtt");
        return do_show(app, argc, argv, fmt);
    }
    if (strcmp(a, "summarize") == 0)
        return meeting_cmd_summarize(app, argc, argv);
    if (strcmp(a, "ask") == 0)
        return meeting_cmd_ask(app, argc, argv);
    if (strcmp(a, "start") == 0 || strcmp(a, "resume") == 0)
        return meeting_cmd_start(app, argc, argv);
    if (strcmp(a, "stop") == 0)
        return meeting_cmd_stop(app, argc, argv);
    return cli_usage_error(&cmd_meeting, "'%s' is not a meeting action", a);
}

const command cmd_meeting = {
    .name = "meeting",
    .summary = "meeting transcripts: import, list, show, export, summarize, start, stop",
    .help = "usage: sightline meeting ACTION ...\n"
            "\n"
            "  import FILE [--title T]     store a transcript (SRT, WebVTT, or plain\n"
            "                              '[hh:mm:ss] Speaker: text' lines)\n"
            "  list [--json]               the stored meetings, newest first\n"
            "  show ID [--json]            a meeting's transcript\n"
            "  speaker ID LABEL NAME       give a speaker label a name\n"
            "  export ID --md|--json|--srt|--vtt\n"
            "  summarize ID [--json] [--speak]\n"
            "                              a short summary, decisions and action items\n"
            "                              (extractive: no language model needed)\n"
            "  summarize ID --llm [-m MODEL] [--ctx N] [--chat-template T] ...\n"
            "                              the same from a GGUF text model, map-reduce\n"
            "                              over chunks that fit its context\n"
            "  ask ID \"QUESTION\" [-m MODEL] [--chat-template T]\n"
            "                              answer from the transcript's matching lines\n"
            "                              with a GGUF text model, citing times\n"
            "  start [--mic|FILE] [--title T] [-m WHISPER_MODEL] [--vad-model FILE]\n"
            "                              transcribe live; each segment is stored as\n"
            "                              soon as it is heard, labelled by speaker\n"
            "                              (S1, S2, ...: name them with 'speaker');\n"
            "                              Ctrl-C stores the utterance in hand and ends\n"
            "                              the meeting\n"
            "  stop [ID]                   end a running 'meeting start' (the newest\n"
            "                              running meeting without ID)\n"
            "  resume ID [--mic|FILE] [-m WHISPER_MODEL] ...\n"
            "                              more audio for a meeting, after its last segment\n"
            "\n"
            "Search every transcript with 'sightline search WORDS'.\n",
    .run = run_meeting,
};
