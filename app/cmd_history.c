#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/app_db.h"
#include "app/commands.h"
#include "app/json.h"

typedef struct history_view {
    bool json;
    json_writer *w;
} history_view;

/* Local time for people, ISO 8601 UTC for scripts. */
static void format_time(int64_t ms, bool utc, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (utc) {
        gmtime_r(&t, &tm);
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, ".%03dZ", (int)(ms % 1000));
    } else {
        localtime_r(&t, &tm);
        strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
    }
}

static int print_entry(void *ctx, const history_entry *e)
{
    history_view *v = ctx;
    char when[64];
    format_time(e->time_ms, v->json, when, sizeof when);
    if (v->json) {
        json_begin_object(v->w);
        json_kv_int(v->w, "id", e->id);
        json_kv_string(v->w, "time", when);
        json_kv_int(v->w, "time_ms", e->time_ms);
        json_kv_string(v->w, "mode", e->mode);
        json_kv_string(v->w, "source", e->source);
        json_kv_string(v->w, "text", e->text);
        json_kv_int(v->w, "duration_ms", e->duration_ms);
        json_end_object(v->w);
        return 0;
    }
    /* A header line, then the text indented so entries stand apart when read
     * line by line. */
    printf("%s  %s  %s\n", when, e->mode, e->source);
    const char *s = e->text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        printf("    %.*s\n", (int)n, s);
        s += n + (nl ? 1 : 0);
    }
    if (!*e->text)
        puts("    (nothing)");
    return 0;
}

static int run_history(app_context *app, int argc, char **argv)
{
    history_view v = {0};
    long limit = 20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            v.json = true;
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--limit") == 0) {
            if (i + 1 >= argc || !cli_parse_int(argv[i + 1], 0, 1000000000L, &limit))
                return cli_usage_error(&cmd_history, "%s wants a number of entries (0 = all)", a);
            i++;
        } else if (strcmp(a, "--all") == 0) {
            limit = 0;
        } else {
            return cli_usage_error(&cmd_history, "unknown argument '%s'", a);
        }
    }
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    json_writer w;
    if (v.json) {
        json_init(&w, stdout, false);
        v.w = &w;
        json_begin_array(&w);
    }
    sl_error err = {0};
    sl_status st = history_each(db, limit, print_entry, &v, &err);
    if (v.json) {
        json_end_array(&w);
        json_finish(&w);
    }
    db_close(db);
    return st == SL_OK ? EXIT_OK : cli_fail(&err);
}

const command cmd_history = {
    .name = "history",
    .summary = "list what the assistant said, newest first",
    .help = "usage: sightline history [-n N | --all] [--json]\n"
            "\n"
            "Lists what sightline read, described or answered, newest first: when,\n"
            "the mode, the source (a file or the camera), then the text, indented.\n"
            "\n"
            "Options:\n"
            "  -n, --limit N  show the N newest entries (default 20; 0 = all)\n"
            "  --all          show every entry\n"
            "  --json         one JSON array of {id, time (UTC, ISO 8601), time_ms,\n"
            "                 mode, source, text, duration_ms}\n"
            "\n"
            "The history lives in the database (see --db in 'sightline --help').\n"
            "\n"
            "Examples:\n"
            "  sightline history -n 5\n"
            "  sightline history --json | jq -r '.[0].text'\n",
    .run = run_history,
};
