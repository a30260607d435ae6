#include "app/commands.h"

#include <stddef.h>

/* The order here is the order of `sightline --help`: the everyday modes
 * first, then housekeeping. */
const command *const sightline_commands[] = {
    &cmd_appliance,
    &cmd_read,
    &cmd_describe,
    &cmd_ask,
    &cmd_sign,
    &cmd_teach,
    &cmd_hands,
    &cmd_transcribe,
    &cmd_command,
    &cmd_meeting,
    &cmd_search,
    &cmd_history,
    &cmd_remember,
    &cmd_memory,
    &cmd_profile,
    &cmd_feedback,
    &cmd_export,
    &cmd_import,
    &cmd_forget,
    &cmd_encrypt,
    &cmd_decrypt,
    &cmd_chat,
    &cmd_generate,
    &cmd_model,
    &cmd_tokenize,
    &cmd_help,
    NULL,
};
