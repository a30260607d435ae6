/* The profile's appliance keys (key.ACTION): defaults, what a key name may
 * be, and that set, get and reset round-trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/storage/storage_test.h"

static void test_key_defaults(void **state)
{
    db_fixture *f = *state;
    static const struct {
        const char *key, *value;
    } defaults[] = {{"key.describe", "D"}, {"key.read", "R"},      {"key.ask", "A"},
                    {"key.sign", "S"},     {"key.meeting", "M"},   {"key.repeat", "."},
                    {"key.stop", "Escape"}, {"key.faster", "+"},   {"key.slower", "-"},
                    {"key.help", "H"},     {"key.quit", "Q"}};
    sl_error err = {0};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        char *v = NULL;
        assert_int_equal(profile_get(f->db, defaults[i].key, &v, &err), SL_OK);
        assert_string_equal(v, defaults[i].value);
        free(v);
        assert_true(profile_key_is_appliance_key(profile_key_find(defaults[i].key)));
    }
    assert_false(profile_key_is_appliance_key(profile_key_find("rate")));
    assert_false(profile_key_is_appliance_key(NULL));
    /* No other key.* exists: the appliance applies exactly these. */
    size_t n = 0, keys = 0;
    const profile_key *all = profile_keys(&n);
    for (size_t i = 0; i < n; i++)
        keys += profile_key_is_appliance_key(&all[i]);
    assert_int_equal(keys, sizeof defaults / sizeof defaults[0]);
}

static void test_key_set_checks_and_reset(void **state)
{
    db_fixture *f = *state;
    sl_error err = {0};
    char *v = NULL;
    assert_int_equal(profile_set(f->db, "key.describe", "F5", &err), SL_OK);
    assert_int_equal(profile_get(f->db, "key.describe", &v, &err), SL_OK);
    assert_string_equal(v, "F5");
    free(v);
    assert_int_equal(profile_set(f->db, "key.read", "Keypad Enter", &err), SL_OK);
    assert_int_equal(profile_set(f->db, "key.ask", "Space", &err), SL_OK);

    /* Too long, control or non-ASCII characters, padding, empty. */
    const char *bad[] = {"ThisNameIsTooLong", "F\t5", "\xc3\xa9", " F5", "F5 ", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(profile_set(f->db, "key.read", bad[i], &err), SL_ERR_ARG);
        assert_non_null(strstr(err.msg, "key.read"));
        assert_null(strchr(err.msg, '\n'));
    }
    assert_int_equal(profile_get(f->db, "key.read", &v, &err), SL_OK);
    assert_string_equal(v, "Keypad Enter");
    free(v);
    assert_int_equal(profile_set(f->db, "key.dance", "F5", &err), SL_ERR_ARG);

    /* A bad value written behind the profile's back reads as the default. */
    sqlite3 *raw = raw_open(f->path);
    raw_exec(raw, "INSERT OR REPLACE INTO profile (key, value, updated_ms) VALUES ('key.ask', 'NoSuchKeyNameAtAll', 0)");
    sqlite3_close(raw);
    assert_int_equal(profile_get(f->db, "key.ask", &v, &err), SL_OK);
    assert_string_equal(v, "A");
    free(v);

    assert_int_equal(profile_reset(f->db, "key.describe", &err), SL_OK);
    assert_int_equal(profile_get(f->db, "key.describe", &v, &err), SL_OK);
    assert_string_equal(v, "D");
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_defaults, db_fixture_setup, db_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_key_set_checks_and_reset, db_fixture_setup,
                                        db_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
