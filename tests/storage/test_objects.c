/* Taught objects and people: descriptors go in and come back bit for bit,
 * filtered by kind and method; forgetting a name removes its rows; export,
 * import and erase cover the table; rows edited by hand are refused. */
#include "storage/db_internal.h"
#include "tests/storage/storage_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef db_fixture fixture;
#define setup db_fixture_setup
#define teardown db_fixture_teardown

static void fill(float *v, int n, unsigned seed)
{
    for (int i = 0; i < n; i++)
        v[i] = (float)((int)((i * 2654435761u + seed * 40503u) % 2001u) - 1000) / 37.0f;
}

static int64_t add(sl_db *db, const char *name, taught_kind kind, int64_t t, const char *method,
                   const float *v, int dim)
{
    taught_object o = {.name = name, .kind = kind, .created_ms = t, .method = method,
                       .vector = v, .dim = dim};
    int64_t id = 0;
    sl_error err;
    if (taught_objects_add(db, &o, &id, &err) != SL_OK)
        fail_msg("taught_objects_add: %s", err.msg);
    assert_true(id > 0);
    return id;
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    sl_error err;
    static float a[232], b[576], c[3];
    fill(a, 232, 1);
    fill(b, 576, 2);
    c[0] = -0.0f;
    c[1] = 1e-38f; /* denormal-adjacent values survive */
    c[2] = 3.4e38f;
    int64_t mug = add(f->db, "mug", TAUGHT_OBJECT, 3000, "classic-v1", a, 232);
    int64_t mug_clip = add(f->db, "mug", TAUGHT_OBJECT, 3000, "clip:idefics3:576", b, 576);
    int64_t max = add(f->db, "Max", TAUGHT_PERSON, 1000, "classic-v1", c, 3);
    int64_t book = add(f->db, "café book", TAUGHT_OBJECT, 2000, "classic-v1", a, 232);
    db_close(f->db);
    f->db = NULL;
    assert_int_equal(db_open(f->path, &f->db, &err), SL_OK);

    taught_objects list;
    assert_int_equal(taught_objects_list(f->db, -1, NULL, &list, &err), SL_OK);
    assert_int_equal(list.count, 4);
    /* Objects first by name (bytewise), then people. */
    int64_t want[] = {book, mug, mug_clip, max};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(list.items[i].id, want[i]);
    assert_string_equal(list.items[0].name, "café book");
    assert_int_equal(list.items[1].dim, 232);
    assert_memory_equal(list.items[1].vector, a, sizeof a);
    assert_string_equal(list.items[1].method, "classic-v1");
    assert_int_equal(list.items[1].created_ms, 3000);
    assert_int_equal(list.items[2].dim, 576);
    assert_memory_equal(list.items[2].vector, b, sizeof b);
    assert_string_equal(list.items[2].method, "clip:idefics3:576");
    assert_int_equal(list.items[3].kind, TAUGHT_PERSON);
    assert_memory_equal(list.items[3].vector, c, sizeof c);
    taught_objects_free(&list);
    assert_null(list.items);

    /* Filters: by method, by kind. */
    assert_int_equal(taught_objects_list(f->db, -1, "clip:idefics3:576", &list, &err), SL_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].id, mug_clip);
    taught_objects_free(&list);
    assert_int_equal(taught_objects_list(f->db, TAUGHT_PERSON, NULL, &list, &err), SL_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].name, "Max");
    taught_objects_free(&list);
    assert_int_equal(taught_objects_list(f->db, 5, NULL, &list, &err), SL_ERR_ARG);
    assert_string_equal(taught_kind_name(TAUGHT_PERSON), "person");
    assert_string_equal(taught_kind_name(TAUGHT_OBJECT), "object");
}

static void test_refuses_bad_input(void **state)
{
    fixture *f = *state;
    sl_error err;
    float v[4] = {1, 2, 3, 4};
    taught_object o = {.name = "mug", .kind = TAUGHT_OBJECT, .created_ms = 1,
                       .method = "classic-v1", .vector = v, .dim = 4};
    o.name = " mug";
    assert_int_equal(taught_objects_add(f->db, &o, NULL, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "space"));
    o.name = "a\nb";
    assert_int_equal(taught_objects_add(f->db, &o, NULL, &err), SL_ERR_ARG);
    o.name = "\xff\xfe";
    assert_int_equal(taught_objects_add(f->db, &o, NULL, &err), SL_ERR_ARG);
    o.name = "mug";
    o.method = "has space";
    assert_int_equal(taught_objects_add(f->db, &o, NULL, &err), SL_ERR_ARG);
    o.method = "classic-v1";
    o.dim = 0;
    assert_int_equal(taught_objects_add(f->db, &o, NULL, &err), SL_ERR_ARG);
    o.dim = TAUGHT_DIM_MAX + 1;
    assert_int_equal(taught_objects_add(f->db, &o, NULL, &err), SL_ERR_ARG);
    o.dim = 4;
    v[2] = NAN;
    assert_int_equal(taught_objects_add(f->db, &o, NULL, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "not finite"));
    v[2] = 3;
    o.kind = (taught_kind)3;
    assert_int_equal(taught_objects_add(f->db, &o, NULL, &err), SL_ERR_ARG);
    taught_objects list;
    assert_int_equal(taught_objects_list(f->db, -1, NULL, &list, &err), SL_OK);
    assert_int_equal(list.count, 0);
    taught_objects_free(&list);
}

static void test_forget_name(void **state)
{
    fixture *f = *state;
    sl_error err;
    float v[8];
    fill(v, 8, 3);
    add(f->db, "keys", TAUGHT_OBJECT, 1, "classic-v1", v, 8);
    add(f->db, "keys", TAUGHT_OBJECT, 2, "classic-v1", v, 8);
    add(f->db, "keys", TAUGHT_PERSON, 3, "classic-v1", v, 8);
    add(f->db, "bottle", TAUGHT_OBJECT, 4, "classic-v1", v, 8);
    int64_t n = -1;
    assert_int_equal(taught_objects_delete_name(f->db, TAUGHT_OBJECT, "keys", &n, &err), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(taught_objects_delete_name(f->db, TAUGHT_OBJECT, "keys", &n, &err), SL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(taught_objects_delete_name(f->db, -1, "keys", &n, &err), SL_OK);
    assert_int_equal(n, 1);
    taught_objects list;
    assert_int_equal(taught_objects_list(f->db, -1, NULL, &list, &err), SL_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].name, "bottle");
    taught_objects_free(&list);
}

/* Rows a sane sightline never writes are named errors, never a crash. */
static void test_hand_edited_rows(void **state)
{
    fixture *f = *state;
    sl_error err;
    sqlite3 *sq = raw_open(f->path);
    const char *bad[] = {
        "INSERT INTO taught_objects (name, kind, created_ms, method, vector) "
        "VALUES ('x', 'object', 1, 'classic-v1', x'000000')", /* not whole floats */
        "INSERT INTO taught_objects (name, kind, created_ms, method, vector) "
        "VALUES ('x', 'object', 1, 'classic-v1', 'text')", /* not a blob */
        "INSERT INTO taught_objects (name, kind, created_ms, method, vector) "
        "VALUES ('x', 'object', 1, '', x'0000803f')", /* no method */
        "INSERT INTO taught_objects (name, kind, created_ms, method, vector) "
        "VALUES ('x', 'object', 1, 'classic-v1', x'0000c07f')", /* NaN */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        raw_exec(sq, "DELETE FROM taught_objects");
        raw_exec(sq, bad[i]);
        taught_objects list;
        sl_status s = taught_objects_list(f->db, -1, NULL, &list, &err);
        assert_db_error(s, &err, SL_ERR_DB, f->path, "taught object");
        assert_int_equal(list.count, 0);
    }
    /* A valid hand-made row with a name that is not UTF-8 reads back repaired. */
    raw_exec(sq, "DELETE FROM taught_objects");
    raw_exec(sq, "INSERT INTO taught_objects (name, kind, created_ms, method, vector) "
                 "VALUES (CAST(x'6dff67' AS TEXT), 'object', 1, 'classic-v1', x'0000803f')");
    sqlite3_close(sq);
    taught_objects list;
    assert_int_equal(taught_objects_list(f->db, -1, NULL, &list, &err), SL_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].dim, 1);
    assert_true(list.items[0].vector[0] == 1.0f);
    assert_int_equal(strchr(list.items[0].name, '\xff'), NULL);
    taught_objects_free(&list);
}

/* Export then import into a new database gives the same rows; importing
 * twice adds nothing; erasing leaves no descriptor bytes in the file. */
static void test_transfer(void **state)
{
    fixture *f = *state;
    sl_error err;
    float v[64];
    for (int i = 0; i < 64; i++)
        v[i] = 1234.5678f + (float)i; /* a recognisable byte pattern */
    add(f->db, "mug", TAUGHT_OBJECT, 10, "classic-v1", v, 64);
    add(f->db, "Max", TAUGHT_PERSON, 11, "classic-v1", v, 32);
    char *exported = path_join(f->dir, "export.db");
    assert_int_equal(db_export(f->db, exported, &err), SL_OK);
    char *other_path = path_join(f->dir, "other.db");
    sl_db *other = NULL;
    assert_int_equal(db_open(other_path, &other, &err), SL_OK);
    db_import_counts c;
    assert_int_equal(db_import(other, exported, &c, &err), SL_OK);
    assert_int_equal(c.objects, 2);
    assert_int_equal(db_import(other, exported, &c, &err), SL_OK);
    assert_int_equal(c.objects, 0);
    taught_objects a, b;
    assert_int_equal(taught_objects_list(f->db, -1, NULL, &a, &err), SL_OK);
    assert_int_equal(taught_objects_list(other, -1, NULL, &b, &err), SL_OK);
    assert_int_equal(a.count, b.count);
    for (size_t i = 0; i < a.count; i++) {
        assert_string_equal(a.items[i].name, b.items[i].name);
        assert_int_equal(a.items[i].kind, b.items[i].kind);
        assert_int_equal(a.items[i].created_ms, b.items[i].created_ms);
        assert_string_equal(a.items[i].method, b.items[i].method);
        assert_int_equal(a.items[i].dim, b.items[i].dim);
        assert_memory_equal(a.items[i].vector, b.items[i].vector,
                            (size_t)a.items[i].dim * sizeof(float));
    }
    taught_objects_free(&a);
    taught_objects_free(&b);
    db_close(other);

    assert_int_equal(db_checkpoint(f->db, &err), SL_OK);
    assert_int_equal(db_erase_all(f->db, &err), SL_OK);
    unsigned char pattern[8];
    memcpy(pattern, &v[3], 4);
    memcpy(pattern + 4, &v[4], 4);
    const char *names[] = {f->path, with_suffix(f->path, "-wal")};
    for (int i = 0; i < 2; i++) {
        char *path = strdup(names[i]);
        size_t n = 0;
        unsigned char *bytes = read_file_bytes(path, &n);
        for (size_t k = 0; bytes && k + 8 <= n; k++)
            assert_false(memcmp(bytes + k, pattern, 8) == 0);
        free(bytes);
        free(path);
    }
    assert_int_equal(taught_objects_list(f->db, -1, NULL, &a, &err), SL_OK);
    assert_int_equal(a.count, 0);
    taught_objects_free(&a);
    free(exported);
    free(other_path);
}

/* Forgetting a name (then the checkpoint `teach forget` makes) leaves none
 * of its descriptor's bytes in the database or its WAL. */
static void test_forget_leaves_no_trace(void **state)
{
    fixture *f = *state;
    sl_error err;
    float v[64], keep[64];
    for (int i = 0; i < 64; i++) {
        v[i] = 4321.875f + (float)i;
        keep[i] = 17.0f + (float)i;
    }
    add(f->db, "diary", TAUGHT_OBJECT, 10, "classic-v1", v, 64);
    add(f->db, "mug", TAUGHT_OBJECT, 11, "classic-v1", keep, 64);
    assert_int_equal(db_checkpoint(f->db, &err), SL_OK);
    int64_t n = 0;
    assert_int_equal(taught_objects_delete_name(f->db, TAUGHT_OBJECT, "diary", &n, &err), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(db_checkpoint(f->db, &err), SL_OK);
    unsigned char pattern[8], kept[8];
    memcpy(pattern, &v[5], 4);
    memcpy(pattern + 4, &v[6], 4);
    memcpy(kept, &keep[5], 4);
    memcpy(kept + 4, &keep[6], 4);
    int kept_found = 0;
    const char *names[] = {f->path, with_suffix(f->path, "-wal")};
    for (int i = 0; i < 2; i++) {
        char *path = strdup(names[i]);
        size_t size = 0;
        unsigned char *bytes = read_file_bytes(path, &size);
        for (size_t k = 0; bytes && k + 8 <= size; k++) {
            assert_false(memcmp(bytes + k, pattern, 8) == 0);
            kept_found |= memcmp(bytes + k, kept, 8) == 0;
        }
        /* the name, too */
        for (size_t k = 0; bytes && k + 5 <= size; k++)
            assert_false(memcmp(bytes + k, "diary", 5) == 0);
        free(bytes);
        free(path);
    }
    /* The search can see the bytes that stayed (it is not blind). */
    assert_true(kept_found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hand_edited_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_leaves_no_trace, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
