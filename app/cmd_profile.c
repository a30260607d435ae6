/* profile, feedback: how the assistant should speak, and what the user
 * thought of an answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/commands.h"
#include "app/json.h"

static int list_profile(sl_db *db, bool json)
{
    size_t n;
    const profile_key *keys = profile_keys(&n);
    json_writer w;
    if (json) {
        json_init(&w, stdout, false);
        json_begin_object(&w);
    }
    sl_error err = {0};
    for (size_t i = 0; i < n; i++) {
        char *v = NULL;
        if (profile_get(db, keys[i].name, &v, &err) != SL_OK)
            return cli_fail(&err);
        if (json)
            json_kv_string(&w, keys[i].name, v);
        else
            printf("%-10s %-16s %s\n", keys[i].name, v, keys[i].help);
        free(v);
    }
    if (json) {
        json_end_object(&w);
        json_finish(&w);
    }
    return EXIT_OK;
}

static int run_profile(app_context *app, int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[argc - 1], "--json") == 0;
    if (json)
        argc--;
    const char *action = argc > 1 ? argv[1] : "list";
    int want = strcmp(action, "set") == 0 ? 4 : strcmp(action, "list") == 0 ? (argc > 1 ? 2 : 1) : 3;
    if (strcmp(action, "list") && strcmp(action, "get") && strcmp(action, "set") &&
        strcmp(action, "reset"))
        return cli_usage_error(&cmd_profile, "'%s' is not list, get, set or reset", action);
    if (argc != want)
        return cli_usage_error(&cmd_profile, "%s takes %s", action,
                               want == 4 ? "KEY VALUE" : want == 3 ? "KEY" : "nothing");
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    char *v = NULL;
    if (action[0] == 'l') {
        rc = list_profile(db, json);
    } else if (action[0] == 'g') {
        if (profile_get(db, argv[2], &v, &err) != SL_OK)
            rc = cli_fail(&err);
        else
            puts(v);
    } else if (action[0] == 's') {
        if (profile_set(db, argv[2], argv[3], &err) != SL_OK)
            rc = cli_fail(&err);
    } else if (profile_reset(db, argv[2], &err) != SL_OK) {
        rc = cli_fail(&err);
    }
    free(v);
    db_close(db);
    return rc;
}

const command cmd_profile = {
    .name = "profile",
    .summary = "your preferences: speech rate, voice, verbosity, theme",
    .help = "usage: sightline profile [list] [--json]\n"
            "       sightline profile get KEY\n"
            "       sightline profile set KEY VALUE\n"
            "       sightline profile reset KEY\n"
            "\n"
            "Every mode follows these settings; options on the command line win.\n"
            "'list' shows each key, its value and what it takes:\n"
            "  verbosity  brief, normal or detailed (how much describe and ask say)\n"
            "  rate       80 to 450 words a minute     pitch   0 to 100\n"
            "  volume     0 to 200                     voice   an espeak-ng voice (en, de, ...)\n"
            "  language   Tesseract language to read   units   metric or imperial\n"
            "  theme      yellow-on-black, white-on-black or black-on-white\n"
            "  font_size  answer text height on screen, 16 to 400 pixels\n"
            "Feedback ('sightline help feedback') also adjusts verbosity and rate.\n"
            "\n"
            "Example:\n"
            "  sightline profile set rate 220\n",
    .run = run_profile,
};

static int run_feedback(app_context *app, int argc, char **argv)
{
    const char *kind = NULL, *note = NULL;
    long answer = 0;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--note") == 0 || strcmp(argv[i], "--answer") == 0) &&
            i + 1 < argc) {
            if (argv[i][2] == 'n')
                note = argv[++i];
            else if (!cli_parse_int(argv[++i], 1, 0x7fffffffffffffffL, &answer))
                return cli_usage_error(&cmd_feedback, "--answer wants a history number");
        } else if (argv[i][0] == '-') {
            return cli_usage_error(&cmd_feedback, "unknown option '%s'", argv[i]);
        } else if (kind) {
            return cli_usage_error(&cmd_feedback, "one kind of feedback at a time");
        } else {
            kind = argv[i];
        }
    }
    if (!kind)
        return cli_usage_error(&cmd_feedback, "good, bad, shorter, longer, slower or faster?");
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    feedback_change c;
    if (feedback_add(db, kind, note, answer, &c, &err) != SL_OK)
        rc = cli_fail(&err);
    else if (c.key)
        printf("Thanks. %s is now %s.\n", c.key, c.value);
    else
        puts("Thanks.");
    db_close(db);
    return rc;
}

const command cmd_feedback = {
    .name = "feedback",
    .summary = "say what you thought of the last answer: sightline feedback shorter",
    .help = "usage: sightline feedback good|bad|shorter|longer|slower|faster\n"
            "                          [--note TEXT] [--answer NUMBER]\n"
            "\n"
            "Records your opinion of the latest answer (or of history entry NUMBER,\n"
            "see 'sightline history --json') and adapts your profile:\n"
            "  shorter  less detail (verbosity detailed > normal > brief); at brief,\n"
            "           speech 20 words a minute faster\n"
            "  longer   more detail\n"
            "  slower, faster   speech rate -20 / +20 words a minute\n"
            "  bad      twice in a row: speech 20 words a minute slower\n"
            "  good     noted, nothing changes\n",
    .run = run_feedback,
};
