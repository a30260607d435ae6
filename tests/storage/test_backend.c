/* What differs between storage/ on SQLite and on SQLCipher. Built against
 * both: memory and transcript search rank with the same BM25 whatever the
 * module (FTS5 on SQLite, FTS4 on SQLCipher and in databases SQLCipher made),
 * checked against a BM25 computed here from the texts, so both back ends give
 * the same ids in the same order; and the plain build refuses passphrases
 * in one line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/storage/storage_test.h"

/* Words whose porter stems are all different, so counting whole words here
 * counts what the index counts. */
static const char *const memories[] = {
    "dog cat dog",
    "red door blue door",
    "dog park",
    "cat milk tea bread map box hat",
    "blue car dog cat red lamp",
    "tea cup",
    "sun rain dog dog dog desk key bus",
    "lamp desk",
    "map of the park near the blue door",
    "cat",
};
static const char *const memory_queries[] = {
    "dog", "cat dog", "blue door", "tea", "dog red lamp", "park map", "bus",
};

static const char *const segments[] = {
    "budget dog review", "dog budget budget", "review review plan", "budget plan dog lamp",
    "plan", "lamp budget", "dog plan budget review lamp",
};
static const char *const segment_queries[] = {"budget", "budget dog", "plan review", "lamp"};

enum { MAX_DOCS = 16, MAX_WORDS = 16 };

typedef struct corpus {
    char words[MAX_DOCS][MAX_WORDS][16];
    int length[MAX_DOCS];
    int docs;
    double avgdl;
} corpus;

static int split(const char *text, char out[][16])
{
    int n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        int k = 0;
        while (*p && *p != ' ')
            out[n][k++] = *p++;
        out[n][k] = '\0';
        n++;
    }
    return n;
}

static void corpus_make(corpus *c, const char *const *texts, int n)
{
    memset(c, 0, sizeof *c);
    c->docs = n;
    double total = 0;
    for (int d = 0; d < n; d++) {
        c->length[d] = split(texts[d], c->words[d]);
        total += c->length[d];
    }
    c->avgdl = total / n;
}

static int count_in(const corpus *c, int d, const char *w)
{
    int k = 0;
    for (int i = 0; i < c->length[d]; i++)
        k += strcmp(c->words[d][i], w) == 0;
    return k;
}

/* FTS5's bm25() as its documentation and source define it, negated
 * (higher is better): k1 = 1.2, b = 0.75. */
static double bm25(const corpus *c, int d, const char *query)
{
    char q[MAX_WORDS][16];
    int nq = split(query, q);
    double score = 0;
    for (int i = 0; i < nq; i++) {
        int with = 0;
        for (int e = 0; e < c->docs; e++)
            with += count_in(c, e, q[i]) > 0;
        double idf = log((c->docs - with + 0.5) / (with + 0.5));
        if (idf <= 0)
            idf = 1e-6;
        double f = count_in(c, d, q[i]);
        score += idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * c->length[d] / c->avgdl));
    }
    return score;
}

static bool matches_any(const corpus *c, int d, const char *query)
{
    char q[MAX_WORDS][16];
    int nq = split(query, q);
    for (int i = 0; i < nq; i++)
        if (count_in(c, d, q[i]))
            return true;
    return false;
}

static bool matches_all(const corpus *c, int d, const char *query)
{
    char q[MAX_WORDS][16];
    int nq = split(query, q);
    for (int i = 0; i < nq; i++)
        if (!count_in(c, d, q[i]))
            return false;
    return true;
}

typedef struct ranked {
    int doc;
    double score;
} ranked;

/* Higher score first; ties: memories newest (highest id) first, segments
 * earliest first, as storage/ orders them. */
static int by_score_newest(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return y->doc - x->doc;
}

static int by_score_earliest(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->doc - y->doc;
}

typedef struct env {
    char *dir;
    char *path;
    int64_t memory_ids[MAX_DOCS], segment_ids[MAX_DOCS];
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->dir = temp_dir_create();
    e->path = path_join(e->dir, "user.db");
    sl_db *db = NULL;
    sl_error err = {0};
    if (db_open(e->path, &db, &err) != SL_OK)
        return -1;
    int n = (int)(sizeof memories / sizeof memories[0]);
    for (int i = 0; i < n; i++)
        if (memory_add(db, memories[i], "user", &e->memory_ids[i], &err) != SL_OK)
            return -1;
    int64_t meeting = 0;
    if (meeting_create(db, "weekly", 1700000000000, &meeting, &err) != SL_OK)
        return -1;
    n = (int)(sizeof segments / sizeof segments[0]);
    for (int i = 0; i < n; i++)
        if (meeting_add_segment(db, meeting, i * 1000, i * 1000 + 900, "S1", segments[i],
                                &e->segment_ids[i], &err) != SL_OK)
            return -1;
    db_close(db);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    temp_dir_remove(e->dir);
    free(e->path);
    free(e);
    return 0;
}

static void check_memory_search(const env *e, sl_db *db)
{
    corpus c;
    int n = (int)(sizeof memories / sizeof memories[0]);
    corpus_make(&c, memories, n);
    for (size_t q = 0; q < sizeof memory_queries / sizeof memory_queries[0]; q++) {
        ranked want[MAX_DOCS];
        int count = 0;
        for (int d = 0; d < n; d++)
            if (matches_any(&c, d, memory_queries[q]))
                want[count++] = (ranked){d, bm25(&c, d, memory_queries[q])};
        qsort(want, (size_t)count, sizeof *want, by_score_newest);
        memory_items got;
        sl_error err = {0};
        assert_int_equal(memory_search(db, memory_queries[q], 0, &got, &err), SL_OK);
        assert_int_equal(got.count, count);
        for (int i = 0; i < count; i++) {
            assert_int_equal(got.items[i].id, e->memory_ids[want[i].doc]);
            /* The memories are milliseconds old: the recency factor is 1.5
             * to within 1e-9. */
            double expect = want[i].score * 1.5;
            if (fabs(got.items[i].score - expect) > 1e-6 * expect)
                fail_msg("query '%s', memory %d: score %.9f, BM25 says %.9f",
                         memory_queries[q], want[i].doc, got.items[i].score, expect);
        }
        memory_items_free(&got);
    }
}

static void check_meeting_search(const env *e, sl_db *db)
{
    corpus c;
    int n = (int)(sizeof segments / sizeof segments[0]);
    corpus_make(&c, segments, n);
    for (size_t q = 0; q < sizeof segment_queries / sizeof segment_queries[0]; q++) {
        ranked want[MAX_DOCS];
        int count = 0;
        for (int d = 0; d < n; d++)
            if (matches_all(&c, d, segment_queries[q]))
                want[count++] = (ranked){d, bm25(&c, d, segment_queries[q])};
        qsort(want, (size_t)count, sizeof *want, by_score_earliest);
        meeting_segments got;
        sl_error err = {0};
        assert_int_equal(meeting_search(db, segment_queries[q], 0, &got, &err), SL_OK);
        assert_int_equal(got.count, count);
        for (int i = 0; i < count; i++)
            if (got.items[i].id != e->segment_ids[want[i].doc])
                fail_msg("query '%s', place %d: segment %lld, BM25 says %lld",
                         segment_queries[q], i, (long long)got.items[i].id,
                         (long long)e->segment_ids[want[i].doc]);
        meeting_segments_free(&got);
    }
}

static void expect_module(const char *path, const char *module)
{
    sqlite3 *sq = raw_open(path);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sqlite_master WHERE name IN ('memory_fts', "
             "'meeting_segments_fts') AND sql LIKE '%%USING %s(%%'",
             module);
    assert_int_equal(raw_int(sq, sql), 2);
    sqlite3_close(sq);
}

static void search_and_check(const env *e)
{
    sl_db *db = NULL;
    sl_error err = {0};
    assert_int_equal(db_open(e->path, &db, &err), SL_OK);
    check_memory_search(e, db);
    check_meeting_search(e, db);
    db_close(db);
}

/* The module a new database gets: FTS5 where SQLite has it. */
static void test_search_ranks_by_bm25(void **state)
{
    env *e = *state;
    expect_module(e->path, db_encryption_available() ? "fts4" : "fts5");
    search_and_check(e);
}

/* A database whose search tables are FTS4 (as SQLCipher makes them, and as
 * `sightline decrypt` leaves them) ranks the same in the plain build. */
static void test_fts4_tables_rank_the_same(void **state)
{
    env *e = *state;
    if (!sqlite3_compileoption_used("ENABLE_FTS5")) {
        /* SQLCipher: the first test already searched FTS4 tables. */
        skip();
        return;
    }
    sqlite3 *sq = raw_open(e->path);
    raw_exec(sq, "DROP TABLE memory_fts; DROP TABLE meeting_segments_fts;"
                 "CREATE VIRTUAL TABLE memory_fts USING fts4(text, content='memory', "
                 "tokenize=porter);"
                 "CREATE VIRTUAL TABLE meeting_segments_fts USING fts4(text, "
                 "content='meeting_segments', tokenize=porter);"
                 "INSERT INTO memory_fts (memory_fts) VALUES ('rebuild');"
                 "INSERT INTO meeting_segments_fts (meeting_segments_fts) VALUES ('rebuild');");
    sqlite3_close(sq);
    expect_module(e->path, "fts4");
    search_and_check(e);

    /* Forgetting and erasing keep an FTS4 index in step too. */
    sl_db *db = NULL;
    sl_error err = {0};
    assert_int_equal(db_open(e->path, &db, &err), SL_OK);
    assert_int_equal(memory_forget(db, e->memory_ids[0], &err), SL_OK);
    memory_items m;
    assert_int_equal(memory_search(db, "milk", 0, &m, &err), SL_OK);
    assert_int_equal(m.count, 1);
    memory_items_free(&m);
    assert_int_equal(db_erase_all(db, &err), SL_OK);
    assert_int_equal(memory_search(db, "dog", 0, &m, &err), SL_OK);
    assert_int_equal(m.count, 0);
    memory_items_free(&m);
    db_close(db);
}

static void test_plain_build_refuses_passphrases(void **state)
{
    env *e = *state;
    if (db_encryption_available()) {
        skip(); /* test_encryption covers the SQLCipher build */
        return;
    }
    db_snapshot snap;
    db_snapshot_take(&snap, e->path);
    db_options o = {.key = "secret", .key_len = 6};
    sl_db *db = NULL;
    sl_error err = {0};
    assert_int_equal(db_open_with(e->path, &o, &db, &err), SL_ERR_DB);
    assert_db_error(SL_ERR_DB, &err, SL_ERR_DB, e->path, "built without encryption");
    assert_int_equal(db_rekey_file(e->path, NULL, 0, "secret", 6, &err), SL_ERR_DB);
    assert_db_error(SL_ERR_DB, &err, SL_ERR_DB, e->path, "built without encryption");
    db_snapshot_assert_same(&snap, e->path, 0);
    db_snapshot_free(&snap);

    /* A file that is not plain SQLite may be an encrypted database. */
    char *other = path_join(e->dir, "encrypted.db");
    unsigned char bytes[4096];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 131 + 7);
    assert_int_equal(write_file_bytes(other, bytes, sizeof bytes), 0);
    int enc = 0;
    assert_int_equal(db_file_is_encrypted(other, &enc, &err), SL_OK);
    assert_int_equal(enc, 1);
    assert_int_equal(db_open(other, &db, &err), SL_ERR_DB);
    assert_db_error(SL_ERR_DB, &err, SL_ERR_DB, other, "built without encryption");
    assert_int_equal(db_file_is_encrypted(e->path, &enc, &err), SL_OK);
    assert_int_equal(enc, 0);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_search_ranks_by_bm25, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fts4_tables_rank_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_build_refuses_passphrases, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
