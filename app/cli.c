#include "app/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const command *command_find(const char *name)
{
    for (const command *const *c = sightline_commands; *c; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

int exit_code_for(sl_status status)
{
    switch (status) {
    case SL_OK: return EXIT_OK;
    case SL_ERR_ARG: return EXIT_USAGE;
    case SL_ERR_IO:
    case SL_ERR_FORMAT:
    case SL_ERR_UNSUPPORTED: return EXIT_INPUT;
    case SL_ERR_DEVICE: return EXIT_DEVICE;
    case SL_ERR_DB: return EXIT_DATABASE;
    case SL_ERR_MODEL: return EXIT_MODEL;
    case SL_ERR_LIMIT: return EXIT_LIMIT;
    case SL_ERR_CANCELLED: return EXIT_CANCELLED;
    case SL_ERR_NOMEM:
    case SL_ERR_INTERNAL: return EXIT_FAILURE_OTHER;
    }
    return EXIT_FAILURE_OTHER;
}

int cli_fail(const sl_error *err)
{
    fprintf(stderr, "sightline: %s\n", err->msg[0] ? err->msg : sl_status_name(err->code));
    return exit_code_for(err->code);
}

int cli_usage_error(const command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sightline %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'sightline help %s')\n", cmd->name);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_take_file_arg(const command *cmd, const char *word, bool options_done,
                      const char **file)
{
    if (!options_done && word[0] == '-' && word[1])
        return cli_usage_error(cmd, "unknown option '%s'", word);
    if (*file)
        return cli_usage_error(cmd, "one FILE only ('%s' is extra)", word);
    *file = word;
    return EXIT_OK;
}

int cli_check_file_or_mic(const command *cmd, const char *file, bool mic)
{
    if (!file && !mic)
        return cli_usage_error(cmd, "give an audio FILE or --mic");
    if (file && mic)
        return cli_usage_error(cmd, "give either FILE or --mic, not both");
    return EXIT_OK;
}

int cli_print_help(const command *cmd)
{
    fputs(cmd->help, stdout);
    return EXIT_OK;
}

void cli_note(const app_context *app, const char *fmt, ...)
{
    if (app->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool cli_parse_int(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_double(const char *s, double min, double max, double *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}
