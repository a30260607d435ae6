/* The --json writer: nesting, commas and escaping give valid JSON. */
#include "app/json.h"
#include "tests/support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *render(void (*fill)(json_writer *), bool pretty)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_writer w;
    json_init(&w, f, pretty);
    fill(&w);
    fclose(f);
    return buf;
}

static void fill_nested(json_writer *w)
{
    json_begin_object(w);
    json_kv_string(w, "text", "Exit \"B\"\\\n\t\x01 caf\xc3\xa9");
    json_key(w, "lines");
    json_begin_array(w);
    json_begin_object(w);
    json_kv_int(w, "n", -42);
    json_kv_double(w, "conf", 0.5);
    json_end_object(w);
    json_begin_array(w);
    json_end_array(w);
    json_null(w);
    json_end_array(w);
    json_kv_bool(w, "ok", true);
    json_kv_double(w, "nan", NAN);
    json_kv_string(w, "none", NULL);
    json_end_object(w);
    json_finish(w);
}

static void test_compact_output(void **state)
{
    (void)state;
    char *s = render(fill_nested, false);
    assert_string_equal(s, "{\"text\":\"Exit \\\"B\\\"\\\\\\n\\t\\u0001 caf\xc3\xa9\","
                           "\"lines\":[{\"n\":-42,\"conf\":0.5},[],null],\"ok\":true,"
                           "\"nan\":null,\"none\":null}\n");
    free(s);
}

static void test_pretty_output_has_same_tokens(void **state)
{
    (void)state;
    char *pretty = render(fill_nested, true);
    char *compact = render(fill_nested, false);
    /* Removing the layout whitespace outside strings gives the compact form. */
    char *squeezed = malloc(strlen(pretty) + 1);
    size_t n = 0;
    bool in_string = false;
    for (const char *p = pretty; *p; p++) {
        if (*p == '"' && (p == pretty || p[-1] != '\\'))
            in_string = !in_string;
        if (!in_string && (*p == ' ' || *p == '\n'))
            continue;
        squeezed[n++] = *p;
    }
    squeezed[n] = 0;
    compact[strlen(compact) - 1] = 0; /* final newline */
    assert_string_equal(squeezed, compact);
    free(squeezed);
    free(pretty);
    free(compact);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_output),
        cmocka_unit_test(test_pretty_output_has_same_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
