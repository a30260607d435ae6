/* Chat templates: turning a conversation into the prompt text a model was
 * trained on. The template is recognised from the GGUF's
 * `tokenizer.chat_template` (a Jinja text we do not execute) by the marker
 * tokens it uses, as llama.cpp recognises its built-in ones:
 *
 *   chatml   "<|im_start|>" (SmolLM2, Qwen2):
 *            <|im_start|>ROLE\nCONTENT<|im_end|>\n ... <|im_start|>assistant\n
 *   smolvlm  "<|im_start|>" and "<end_of_utterance>" (SmolVLM): <|im_start|>
 *            once, then "User: C<end_of_utterance>\n", "Assistant: C<end_of_utterance>\n",
 *            a system message as "C\n\n"; ends with "Assistant:"
 *   llama3   "<|start_header_id|>" and "<|end_header_id|>" (Llama 3.x):
 *            <|start_header_id|>ROLE<|end_header_id|>\n\nTRIMMED<|eot_id|> ...
 *            <|start_header_id|>assistant<|end_header_id|>\n\n
 * Any other template is refused with its first characters in the message. */
#ifndef SIGHTLINE_LLM_CHAT_TEMPLATE_H
#define SIGHTLINE_LLM_CHAT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "llm/error.h"

typedef enum chat_template_kind {
    CHAT_TEMPLATE_CHATML,
    CHAT_TEMPLATE_SMOLVLM,
    CHAT_TEMPLATE_LLAMA3,
} chat_template_kind;

typedef struct chat_message {
    const char *role; /* "system", "user" or "assistant" */
    const char *content;
} chat_message;

/* From the template text, or from a name ("chatml", "smolvlm", "llama3")
 * given by the user. source names where the text came from, for messages. */
sl_status chat_template_detect(const char *tmpl, const char *source, chat_template_kind *out,
                               sl_error *err);
sl_status chat_template_from_name(const char *name, chat_template_kind *out, sl_error *err);
const char *chat_template_name(chat_template_kind kind);

/* The prompt text (malloc'ed), ending with the assistant's turn opened
 * when add_assistant. */
sl_status chat_format(chat_template_kind kind, const chat_message *msgs, size_t n,
                      bool add_assistant, char **out, sl_error *err);

#endif
