#include "app/commands.h"

#include <stddef.h>

/* The order here is the order of `sightline --help`: the everyday modes
 * first, then housekeeping. */
const command *const sightline_commands[] = {
    &cmd_transcribe,
    &cmd_model,
    &cmd_help,
    NULL,
};
