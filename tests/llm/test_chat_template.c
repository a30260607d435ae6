/* Chat templates: recognised by their markers, formatted as the models
 * were trained (the texts llama.cpp builds for the same conversations). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "llm/llm.h"

static const chat_message convo[] = {
    {"system", "Be brief."},
    {"user", "What is this?"},
    {"assistant", "A mug."},
    {"user", "  Whose?  "},
};

static char *format(chat_template_kind k, bool add)
{
    char *s = NULL;
    sl_error err = {0};
    assert_int_equal(chat_format(k, convo, 4, add, &s, &err), SL_OK);
    return s;
}

static void test_detect(void **state)
{
    (void)state;
    chat_template_kind k;
    sl_error err = {0};
    /* Shortened from the templates the models ship. */
    const char *smollm2 = "{% for message in messages %}{{'<|im_start|>' + message['role'] + "
                          "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
    const char *smolvlm = "<|im_start|>{% for message in messages %}{{message['role'] | "
                          "capitalize}}:{{ message['content'] }}<end_of_utterance>\\n{% endfor %}";
    const char *llama3 = "{% set content = '<|start_header_id|>' + message['role'] + "
                         "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' %}";
    assert_int_equal(chat_template_detect(smollm2, "m.gguf", &k, &err), SL_OK);
    assert_int_equal(k, CHAT_TEMPLATE_CHATML);
    assert_int_equal(chat_template_detect(smolvlm, "m.gguf", &k, &err), SL_OK);
    assert_int_equal(k, CHAT_TEMPLATE_SMOLVLM);
    assert_int_equal(chat_template_detect(llama3, "m.gguf", &k, &err), SL_OK);
    assert_int_equal(k, CHAT_TEMPLATE_LLAMA3);

    assert_int_equal(chat_template_detect("[INST] {{ x }}\n[/INST]", "odd.gguf", &k, &err),
                     SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "odd.gguf"));
    assert_non_null(strstr(err.msg, "[INST]"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(chat_template_detect(NULL, "bare.gguf", &k, &err), SL_ERR_MODEL);
    assert_non_null(strstr(err.msg, "--chat-template"));

    assert_int_equal(chat_template_from_name("llama3", &k, &err), SL_OK);
    assert_int_equal(k, CHAT_TEMPLATE_LLAMA3);
    assert_int_equal(chat_template_from_name("vicuna", &k, &err), SL_ERR_UNSUPPORTED);
}

static void test_chatml(void **state)
{
    (void)state;
    char *s = format(CHAT_TEMPLATE_CHATML, true);
    assert_string_equal(s, "<|im_start|>system\nBe brief.<|im_end|>\n"
                           "<|im_start|>user\nWhat is this?<|im_end|>\n"
                           "<|im_start|>assistant\nA mug.<|im_end|>\n"
                           "<|im_start|>user\n  Whose?  <|im_end|>\n"
                           "<|im_start|>assistant\n");
    free(s);
}

static void test_smolvlm(void **state)
{
    (void)state;
    char *s = format(CHAT_TEMPLATE_SMOLVLM, true);
    assert_string_equal(s, "<|im_start|>Be brief.\n\nUser: What is this?<end_of_utterance>\n"
                           "Assistant: A mug.<end_of_utterance>\n"
                           "User:   Whose?  <end_of_utterance>\nAssistant:");
    free(s);
}

static void test_llama3(void **state)
{
    (void)state;
    char *s = format(CHAT_TEMPLATE_LLAMA3, false);
    assert_string_equal(s, "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                           "<|start_header_id|>user<|end_header_id|>\n\nWhat is this?<|eot_id|>"
                           "<|start_header_id|>assistant<|end_header_id|>\n\nA mug.<|eot_id|>"
                           "<|start_header_id|>user<|end_header_id|>\n\nWhose?<|eot_id|>");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_chatml),
        cmocka_unit_test(test_smolvlm),
        cmocka_unit_test(test_llama3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
