/* export, import, forget: the user's data as one file, and erasing it. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/app_db.h"
#include "app/commands.h"

static int one_file(const command *cmd, int argc, char **argv, const char **path)
{
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error(cmd, "give one FILE");
    *path = argv[1];
    return EXIT_OK;
}

static int run_export(app_context *app, int argc, char **argv)
{
    const char *path = NULL;
    int rc = one_file(&cmd_export, argc, argv, &path);
    sl_db *db = NULL;
    if (rc != EXIT_OK || (rc = app_db_open(app, &db)) != EXIT_OK)
        return rc;
    sl_error err = {0};
    if (db_export(db, path, &err) != SL_OK)
        rc = cli_fail(&err);
    else
        cli_note(app, "exported to %s (keep it private: it holds everything you taught)", path);
    db_close(db);
    return rc;
}

const command cmd_export = {
    .name = "export",
    .summary = "save all your data to one file, to move it to another device",
    .help = "usage: sightline export FILE\n"
            "\n"
            "Writes your history, memories, profile, feedback, taught signs, objects and\n"
            "people to FILE "
            "(a sightline database, readable only by you). An existing FILE is never\n"
            "overwritten. Bring it to another device with 'sightline import FILE'.\n",
    .run = run_export,
};

static int run_import(app_context *app, int argc, char **argv)
{
    const char *path = NULL;
    int rc = one_file(&cmd_import, argc, argv, &path);
    sl_db *db = NULL;
    if (rc != EXIT_OK || (rc = app_db_open(app, &db)) != EXIT_OK)
        return rc;
    sl_error err = {0};
    db_import_counts c;
    if (db_import(db, path, &c, &err) != SL_OK)
        rc = cli_fail(&err);
    else
        printf("imported %lld history entries, %lld memories, %lld settings, %lld feedback, "
               "%lld sign examples, %lld taught objects and people, %lld meetings\n",
               (long long)c.history, (long long)c.memories, (long long)c.settings,
               (long long)c.feedback, (long long)c.signs, (long long)c.objects,
               (long long)c.meetings);
    db_close(db);
    return rc;
}

const command cmd_import = {
    .name = "import",
    .summary = "add the data of an exported file to this device",
    .help = "usage: sightline import FILE\n"
            "\n"
            "Adds what FILE (made by 'sightline export') holds to your database. What\n"
            "is already here is kept; entries already present are not doubled, so\n"
            "importing twice is harmless. Profile settings from FILE replace yours.\n"
            "A damaged file changes nothing and is itself never modified.\n",
    .run = run_import,
};

static int run_forget(app_context *app, int argc, char **argv)
{
    bool all = false, yes = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0)
            all = true;
        else if (strcmp(argv[i], "--yes") == 0)
            yes = true;
        else
            return cli_usage_error(&cmd_forget, "unknown argument '%s' (one memory: "
                                                "sightline memory forget N)", argv[i]);
    }
    if (!all)
        return cli_usage_error(&cmd_forget, "forget what? --all erases everything");
    if (!yes) {
        if (!isatty(STDIN_FILENO)) {
            fputs("sightline forget: add --yes to erase everything without a question\n",
                  stderr);
            return EXIT_USAGE;
        }
        fputs("Erase your history, memories, profile, feedback and taught signs for good? "
              "Type yes: ", stderr);
        char answer[16] = "";
        if (!fgets(answer, sizeof answer, stdin) || strncmp(answer, "yes", 3) != 0) {
            fputs("Nothing was erased.\n", stderr);
            return EXIT_CANCELLED;
        }
    }
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    sl_error err = {0};
    if (db_erase_all(db, &err) != SL_OK)
        rc = cli_fail(&err);
    else
        puts("Everything is erased.");
    db_close(db);
    return rc;
}

const command cmd_forget = {
    .name = "forget",
    .summary = "erase everything sightline stored about you",
    .help = "usage: sightline forget --all [--yes]\n"
            "\n"
            "Erases your history, memories, profile, feedback and taught signs, and\n"
            "rewrites the database file so that no trace is left on disk. Asks first\n"
            "unless --yes is given. To forget one memory: sightline memory forget N.\n",
    .run = run_forget,
};
