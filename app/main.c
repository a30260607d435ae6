/* sightline: the command-line program. Git-style: `sightline [global
 * options] COMMAND [options] [arguments]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/appliance_screen.h"
#include "app/cli.h"
#include "app/commands.h"

#ifndef SIGHTLINE_VERSION
#define SIGHTLINE_VERSION "unknown"
#endif

static void print_main_help(FILE *out)
{
    fputs("usage: sightline [--db FILE] [--threads N] [-q] COMMAND [options] [args]\n"
          "\n"
          "With no command on a machine with a display, sightline starts the appliance\n"
          "(sightline help appliance).\n"
          "\n"
          "An offline assistant: it reads text in pictures aloud, describes scenes,\n"
          "transcribes speech and remembers what you teach it. Nothing leaves the device.\n"
          "\n"
          "Commands:\n",
          out);
    for (const command *const *c = sightline_commands; *c; c++)
        fprintf(out, "  %-12s %s\n", (*c)->name, (*c)->summary);
    fputs("\n"
          "Global options (before or after the command):\n"
          "  --db FILE      the database to use (default $XDG_DATA_HOME/sightline/sightline.db,\n"
          "                 that is ~/.local/share/sightline/sightline.db)\n"
          "  --threads N    worker threads for models (default: one per core)\n"
          "  -q, --quiet    no progress or notes on stderr\n"
          "  -h, --help     this text; 'sightline help COMMAND' explains one command\n"
          "  --version      the program's version\n"
          "\n"
          "Results go to stdout, one item per line (or one JSON document with --json);\n"
          "progress and errors go to stderr, errors as one line starting 'sightline:'.\n"
          "\n"
          "Exit codes:\n"
          "  0  success\n"
          "  1  internal error or out of memory\n"
          "  2  wrong option or argument\n"
          "  3  a file is missing, unreadable, unwritable, corrupt or of an unsupported kind\n"
          "  4  no camera, microphone, speaker or display\n"
          "  5  the database is corrupt, locked or from a newer version of sightline\n"
          "  6  a model is missing or is not the kind of model the command needs\n"
          "  7  the input does not fit a limit (a model's context length, a size limit)\n"
          "  130  interrupted\n"
          "\n"
          "Examples:\n"
          "  sightline read assets/samples/street-sign.png --speak\n"
          "  sightline read letter.jpg --wav letter.wav\n"
          "  sightline history -n 5\n",
          out);
}

/* Tesseract starts an OpenMP thread team per page, which makes small
 * pictures about five times slower on two cores; the limit only takes effect
 * if it is in the environment when the process starts, so set it and
 * start again once. */
static void limit_openmp_threads(char **argv)
{
    if (getenv("OMP_THREAD_LIMIT"))
        return;
    setenv("OMP_THREAD_LIMIT", "1", 1);
    execv("/proc/self/exe", argv);
    /* If re-executing is impossible, carry on: only speed is lost. */
}

/* Takes the global options out of argv wherever they are (before "--"), so
 * `sightline history --db x.db` works like `sightline --db x.db history`.
 * Returns the new argc, or -1 after printing a usage error. */
static int take_global_options(app_context *app, int argc, char **argv)
{
    int out = 1;
    bool passthrough = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (passthrough) {
            argv[out++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            passthrough = true;
            argv[out++] = argv[i];
        } else if (strcmp(a, "--db") == 0 || strcmp(a, "--threads") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sightline: %s needs a value (see 'sightline --help')\n", a);
                return -1;
            }
            const char *value = argv[++i];
            if (a[2] == 'd') {
                app->db_path = value;
            } else {
                long n;
                if (!cli_parse_int(value, 0, 256, &n)) {
                    fprintf(stderr, "sightline: --threads wants a number from 0 to 256, not '%s'\n",
                            value);
                    return -1;
                }
                app->threads = (int)n;
            }
        } else if (strncmp(a, "--db=", 5) == 0) {
            app->db_path = a + 5;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            app->quiet = true;
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    return out;
}

static bool asks_for_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    limit_openmp_threads(argv);

    app_context app = {0};
    argc = take_global_options(&app, argc, argv);
    if (argc < 0)
        return EXIT_USAGE;
    if (argc < 2) {
        /* On a machine with a screen, no command is the appliance: what a
         * user who cannot type a command gets when it starts. */
        if (appliance_display_present()) {
            char *appliance_argv[] = {(char *)cmd_appliance.name, NULL};
            return cmd_appliance.run(&app, 1, appliance_argv);
        }
        print_main_help(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_main_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("sightline %s\n", SIGHTLINE_VERSION);
        return EXIT_OK;
    }
    if (name[0] == '-') {
        fprintf(stderr, "sightline: unknown option '%s' (see 'sightline --help')\n", name);
        return EXIT_USAGE;
    }
    const command *cmd = command_find(name);
    if (!cmd) {
        fprintf(stderr, "sightline: '%s' is not a sightline command (see 'sightline --help')\n",
                name);
        return EXIT_USAGE;
    }
    if (asks_for_help(argc - 1, argv + 1))
        return cli_print_help(cmd);
    return cmd->run(&app, argc - 1, argv + 1);
}
