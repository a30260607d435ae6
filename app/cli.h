/* What every command of the sightline program shares: the run context,
 * the command table entry, exit codes and error reporting. */
#ifndef SIGHTLINE_APP_CLI_H
#define SIGHTLINE_APP_CLI_H

#include <stdbool.h>

#include "llm/error.h"

/* Exit codes, documented in `sightline --help`. */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_OTHER = 1, /* an internal error or out of memory */
    EXIT_USAGE = 2,         /* a wrong option or argument */
    EXIT_INPUT = 3,         /* a file is missing, unreadable, unwritable, corrupt or unsupported */
    EXIT_DEVICE = 4,        /* no camera, microphone, speaker or display */
    EXIT_DATABASE = 5,      /* the database is corrupt, locked or from a newer version */
    EXIT_MODEL = 6,         /* a model is missing or does not fit the task */
    EXIT_LIMIT = 7,         /* the input does not fit a limit (context length, size) */
    EXIT_CANCELLED = 130,   /* interrupted */
};

/* Options given before (or anywhere around) the command. */
typedef struct app_context {
    const char *db_path; /* --db, or NULL for the default location */
    int threads;         /* --threads, 0 = one per core */
    bool quiet;          /* -q: no progress lines on stderr */
} app_context;

typedef struct command {
    const char *name;
    const char *summary; /* one line for the command list */
    const char *help;    /* the full text of `sightline help NAME` */
    int (*run)(app_context *app, int argc, char **argv); /* argv[0] is the name */
} command;

/* The command table, NULL-terminated (app/commands.c). */
extern const command *const sightline_commands[];
const command *command_find(const char *name);

int exit_code_for(sl_status status);

/* Prints "sightline: <message>" on stderr and returns the exit code. */
int cli_fail(const sl_error *err);

/* Prints "sightline NAME: <message>" and a pointer to the help, returns
 * EXIT_USAGE. */
int cli_usage_error(const command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For commands that read FILE|--mic: a word none of the command's options
 * took is the one FILE (an option-like word before "--" is unknown, a
 * second word is extra); returns EXIT_OK or the usage error's code. */
int cli_take_file_arg(const command *cmd, const char *word, bool options_done,
                      const char **file);
/* After the options: exactly one of FILE and --mic. */
int cli_check_file_or_mic(const command *cmd, const char *file, bool mic);

/* Writes the command's help to stdout and returns EXIT_OK. */
int cli_print_help(const command *cmd);

/* Progress and notes on stderr, silenced by -q. */
void cli_note(const app_context *app, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses a whole decimal integer in [min, max]; false otherwise. */
bool cli_parse_int(const char *s, long min, long max, long *out);
bool cli_parse_double(const char *s, double min, double max, double *out);

#endif
