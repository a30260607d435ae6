#include <stdio.h>

#include "app/cli.h"
#include "app/commands.h"

static int run_help(app_context *app, int argc, char **argv)
{
    (void)app;
    if (argc < 2) {
        fputs("usage: sightline help COMMAND\n\nCommands:\n", stdout);
        for (const command *const *c = sightline_commands; *c; c++)
            printf("  %-12s %s\n", (*c)->name, (*c)->summary);
        return EXIT_OK;
    }
    const command *cmd = command_find(argv[1]);
    if (!cmd) {
        fprintf(stderr, "sightline help: no command named '%s' (see 'sightline --help')\n",
                argv[1]);
        return EXIT_USAGE;
    }
    return cli_print_help(cmd);
}

const command cmd_help = {
    .name = "help",
    .summary = "explain a command: sightline help read",
    .help = "usage: sightline help [COMMAND]\n"
            "\n"
            "Prints what COMMAND does, its options and examples. Without a command,\n"
            "lists them all. 'sightline COMMAND --help' prints the same.\n",
    .run = run_help,
};
