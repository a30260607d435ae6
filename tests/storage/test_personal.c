/* Memory search, forgetting without a trace, the profile and feedback's
 * adaptation rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/storage/storage_test.h"

typedef struct env {
    char *dir;
    char *path;
    sl_db *db;
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->dir = temp_dir_create();
    e->path = path_join(e->dir, "user.db");
    sl_error err = {0};
    if (db_open(e->path, &e->db, &err) != SL_OK)
        return -1;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    db_close(e->db);
    temp_dir_remove(e->dir);
    free(e->path);
    free(e);
    return 0;
}

static void add(env *e, const char *text, int64_t *id)
{
    sl_error err = {0};
    assert_int_equal(memory_add(e->db, text, "user", id, &err), SL_OK);
}

static void test_search_finds_related_memories_only(void **state)
{
    env *e = *state;
    add(e, "My dog is called Max and he is a black labrador", NULL);
    add(e, "The blue mug on the left of the sink is mine", NULL);
    add(e, "My sister Anna visits on Sundays", NULL);
    add(e, "I take my blood pressure tablets after breakfast", NULL);

    memory_items m;
    sl_error err = {0};
    assert_int_equal(memory_search(e->db, "Is that my dog over there?", 5, &m, &err), SL_OK);
    assert_int_equal(m.count, 1);
    assert_non_null(strstr(m.items[0].text, "Max"));
    assert_true(m.items[0].score > 0);
    memory_items_free(&m);

    /* Stemming: "mugs" finds "mug"; several memories rank by relevance. */
    assert_int_equal(memory_search(e->db, "which of these mugs is mine", 5, &m, &err), SL_OK);
    assert_true(m.count >= 1);
    assert_non_null(strstr(m.items[0].text, "mug"));
    memory_items_free(&m);

    /* Nothing related, and a request of only function words: no match. */
    assert_int_equal(memory_search(e->db, "what is the weather like", 5, &m, &err), SL_OK);
    assert_int_equal(m.count, 0);
    memory_items_free(&m);
    assert_int_equal(memory_search(e->db, "what is it?", 5, &m, &err), SL_OK);
    assert_int_equal(m.count, 0);
    memory_items_free(&m);

    /* FTS5 syntax in a request is just words. */
    assert_int_equal(memory_search(e->db, "dog\" OR NEAR(x* -", 5, &m, &err), SL_OK);
    assert_int_equal(m.count, 1);
    memory_items_free(&m);

    assert_int_equal(memory_list(e->db, 0, &m, &err), SL_OK);
    assert_int_equal(m.count, 4);
    assert_non_null(strstr(m.items[0].text, "tablets")); /* newest first */
    memory_items_free(&m);
}

static void test_rejects_empty_and_huge(void **state)
{
    env *e = *state;
    sl_error err = {0};
    assert_int_equal(memory_add(e->db, "   \n", "user", NULL, &err), SL_ERR_ARG);
    char *big = malloc(MEMORY_TEXT_MAX + 2);
    memset(big, 'a', MEMORY_TEXT_MAX + 1);
    big[MEMORY_TEXT_MAX + 1] = '\0';
    assert_int_equal(memory_add(e->db, big, "user", NULL, &err), SL_ERR_LIMIT);
    free(big);
    assert_int_equal(memory_forget(e->db, 12345, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "12345"));
}

/* After forget, the words of the memory appear nowhere in the database
 * file or its WAL. */
static void test_forget_leaves_no_trace(void **state)
{
    env *e = *state;
    int64_t keep, secret;
    add(e, "The spare key is under the flowerpot", &keep);
    add(e, "My bank code is zanzibarquokka", &secret);
    sl_error err = {0};
    assert_int_equal(db_checkpoint(e->db, &err), SL_OK);
    assert_int_equal(memory_forget(e->db, secret, &err), SL_OK);

    const char *files[] = {e->path, with_suffix(e->path, "-wal")};
    char *paths[2] = {strdup(files[0]), strdup(files[1])};
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        unsigned char *b = read_file_bytes(paths[i], &n);
        for (size_t k = 0; b && k + 6 <= n; k++)
            assert_false(memcmp(b + k, "quokka", 6) == 0);
        if (i == 0) {
            bool found = false;
            for (size_t k = 0; b && k + 9 <= n; k++)
                found |= memcmp(b + k, "flowerpot", 9) == 0;
            assert_true(found); /* the test would notice text in the file */
        }
        free(b);
        free(paths[i]);
    }
    memory_items m;
    assert_int_equal(memory_search(e->db, "bank code", 5, &m, &err), SL_OK);
    assert_int_equal(m.count, 0);
    memory_items_free(&m);
    assert_int_equal(memory_search(e->db, "key", 5, &m, &err), SL_OK);
    assert_int_equal(m.count, 1);
    memory_items_free(&m);
}

static void test_profile_defaults_checks_and_reset(void **state)
{
    env *e = *state;
    sl_error err = {0};
    char *v = NULL;
    assert_int_equal(profile_get(e->db, "verbosity", &v, &err), SL_OK);
    assert_string_equal(v, "normal");
    free(v);
    assert_int_equal(profile_set(e->db, "verbosity", "brief", &err), SL_OK);
    assert_int_equal(profile_get(e->db, "verbosity", &v, &err), SL_OK);
    assert_string_equal(v, "brief");
    free(v);
    assert_int_equal(profile_set(e->db, "verbosity", "chatty", &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "brief, normal or detailed"));
    assert_int_equal(profile_set(e->db, "rate", "1000", &err), SL_ERR_ARG);
    assert_int_equal(profile_set(e->db, "rate", "12x", &err), SL_ERR_ARG);
    assert_int_equal(profile_set(e->db, "colour", "red", &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "colour"));
    assert_int_equal(profile_set(e->db, "rate", "220", &err), SL_OK);
    long rate;
    assert_int_equal(profile_get_int(e->db, "rate", &rate, &err), SL_OK);
    assert_int_equal(rate, 220);
    assert_int_equal(profile_reset(e->db, "rate", &err), SL_OK);
    assert_int_equal(profile_get_int(e->db, "rate", &rate, &err), SL_OK);
    assert_int_equal(rate, 175);
}

static void give(env *e, const char *kind, const char *want_key, const char *want_value)
{
    feedback_change c;
    sl_error err = {0};
    assert_int_equal(feedback_add(e->db, kind, NULL, 0, &c, &err), SL_OK);
    if (!want_key) {
        assert_null(c.key);
        return;
    }
    assert_non_null(c.key);
    assert_string_equal(c.key, want_key);
    assert_string_equal(c.value, want_value);
}

static void test_feedback_rule(void **state)
{
    env *e = *state;
    give(e, "good", NULL, NULL);
    give(e, "shorter", "verbosity", "brief");
    give(e, "shorter", "rate", "195"); /* already brief: faster */
    give(e, "longer", "verbosity", "normal");
    give(e, "longer", "verbosity", "detailed");
    give(e, "longer", NULL, NULL); /* already detailed */
    give(e, "bad", NULL, NULL);
    give(e, "bad", "rate", "175"); /* twice in a row */
    give(e, "slower", "rate", "155");
    give(e, "faster", "rate", "175");
    sl_error err = {0};
    assert_int_equal(feedback_add(e->db, "meh", NULL, 0, NULL, &err), SL_ERR_ARG);
    assert_int_equal(feedback_add(e->db, "good", NULL, 999, NULL, &err), SL_ERR_ARG);

    /* The rate stays inside the profile's range. */
    assert_int_equal(profile_set(e->db, "rate", "440", &err), SL_OK);
    give(e, "faster", "rate", "450");
    give(e, "faster", NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_search_finds_related_memories_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_empty_and_huge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_leaves_no_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_defaults_checks_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feedback_rule, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
