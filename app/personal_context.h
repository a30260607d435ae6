/* The user's personal context for a prompt: the memories that match the
 * request (storage/memory.h ranks them) and the profile's verbosity, packed
 * into a token budget. describe, ask and meeting answers take it as the
 * system text of their prompt. */
#ifndef SIGHTLINE_APP_PERSONAL_CONTEXT_H
#define SIGHTLINE_APP_PERSONAL_CONTEXT_H

#include "app/cli.h"
#include "llm/llm.h"

/* malloc'ed text, or NULL when there is nothing to add or the database
 * cannot be read (personal context is a help, never a reason to fail).
 * Whole memories only: one that would exceed max_tokens is left out. */
char *personal_context_build(const app_context *app, const char *request, const tokenizer *tok,
                             int max_tokens);

#endif
