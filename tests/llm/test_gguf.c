/* GGUF reader and writer: round trips of every value type, and hostile
 * files that must be refused with a clear error (never a crash). */
#include "tests/llm/test_gguf_util.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

/* Calls a writer function that must succeed; the caller declares err_. */
#define CHECK(call)                                                                          \
    do {                                                                                     \
        if ((call) != SL_OK)                                                                 \
            fail_msg("%s: %s", #call, err_.msg);                                             \
    } while (0)

/* A nested array value: [[1, 2, 65535] (uint16), ["ab", ""] (string)]. */
static size_t nested_value(unsigned char *v)
{
    size_t n = 0;
    gguf_test_put_u32(v + n, GGUF_TYPE_ARRAY), n += 4;
    gguf_test_put_u64(v + n, 2), n += 8;
    gguf_test_put_u32(v + n, GGUF_TYPE_UINT16), n += 4;
    gguf_test_put_u64(v + n, 3), n += 8;
    const uint16_t u[3] = {1, 2, 65535};
    for (int i = 0; i < 3; i++)
        v[n++] = (unsigned char)u[i], v[n++] = (unsigned char)(u[i] >> 8);
    gguf_test_put_u32(v + n, GGUF_TYPE_STRING), n += 4;
    gguf_test_put_u64(v + n, 2), n += 8;
    gguf_test_put_u64(v + n, 2), n += 8;
    v[n++] = 'a', v[n++] = 'b';
    gguf_test_put_u64(v + n, 0), n += 8;
    return n;
}

/* Test tensors: values are a function of the index so every byte is
 * checked after the round trip. */
typedef struct tensor_spec {
    const char *name;
    tensor_type type;
    int n_dims;
    int64_t ne[4];
} tensor_spec;

static const tensor_spec specs[] = {
    {"t.f32", TENSOR_F32, 2, {7, 3, 1, 1}},
    {"t.q4_0", TENSOR_Q4_0, 3, {64, 2, 2, 1}},
    {"t.f16", TENSOR_F16, 1, {5, 1, 1, 1}},
    {"blk.0.attn_q.weight", TENSOR_Q8_0, 4, {32, 1, 2, 3}},
    {"t.q6_k", TENSOR_Q6_K, 2, {256, 2, 1, 1}},
    {"t.iq4_xs", TENSOR_IQ4_XS, 1, {256, 1, 1, 1}}, /* listed even if not computable */
};
#define N_SPECS (sizeof specs / sizeof specs[0])

static size_t spec_bytes(const tensor_spec *s)
{
    size_t row = 0;
    assert_true(tensor_type_row_bytes(s->type, s->ne[0], &row));
    return row * (size_t)(s->ne[1] * s->ne[2] * s->ne[3]);
}

static unsigned char *spec_data(size_t k)
{
    size_t n = spec_bytes(&specs[k]);
    unsigned char *d = malloc(n);
    assert_non_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)(i * 31 + k * 7 + 1);
    return d;
}

static const char *const strings[] = {"", "hello", "\xe2\x96\x81the", "<0x0A>", "a b\tc"};
#define N_STRINGS (sizeof strings / sizeof strings[0])

static gguf_writer *full_writer(uint32_t version, uint32_t alignment, unsigned char *const *data)
{
    gguf_writer *w = NULL;
    sl_error err_ = {0};
    CHECK(gguf_writer_create(&w, &err_));
    CHECK(gguf_writer_set_version(w, version, &err_));
    CHECK(gguf_writer_set_str(w, "general.architecture", "llama", &err_));
    if (alignment)
        CHECK(gguf_writer_set_u32(w, "general.alignment", alignment, &err_));
    CHECK(gguf_writer_set_u8(w, "v.u8", 200, &err_));
    CHECK(gguf_writer_set_i8(w, "v.i8", -100, &err_));
    CHECK(gguf_writer_set_u16(w, "v.u16", 60000, &err_));
    CHECK(gguf_writer_set_i16(w, "v.i16", -30000, &err_));
    CHECK(gguf_writer_set_u32(w, "v.u32", 4000000000u, &err_));
    CHECK(gguf_writer_set_i32(w, "v.i32", -2000000000, &err_));
    CHECK(gguf_writer_set_f32(w, "v.f32", 1e-5f, &err_));
    CHECK(gguf_writer_set_bool(w, "v.true", true, &err_));
    CHECK(gguf_writer_set_bool(w, "v.false", false, &err_));
    CHECK(gguf_writer_set_str(w, "v.str", "temporary", &err_));
    CHECK(gguf_writer_set_str(w, "v.str", "{{ bos_token }}{% for m in messages %}", &err_));
    CHECK(gguf_writer_set_strn(w, "v.empty", "", 0, &err_));
    CHECK(gguf_writer_set_u64(w, "v.u64", UINT64_MAX - 5, &err_));
    CHECK(gguf_writer_set_i64(w, "v.i64", INT64_MIN + 3, &err_));
    CHECK(gguf_writer_set_f64(w, "v.f64", 3.141592653589793, &err_));
    CHECK(gguf_writer_set_arr_str(w, "a.str", strings, N_STRINGS, &err_));
    const float fa[4] = {0.5f, -1.0f, FLT_MAX, 1e-30f};
    CHECK(gguf_writer_set_arr_num(w, "a.f32", GGUF_TYPE_FLOAT32, fa, 4, &err_));
    const int32_t ia[3] = {-1, 0, INT32_MAX};
    CHECK(gguf_writer_set_arr_num(w, "a.i32", GGUF_TYPE_INT32, ia, 3, &err_));
    const uint8_t ba[3] = {1, 0, 1};
    CHECK(gguf_writer_set_arr_num(w, "a.bool", GGUF_TYPE_BOOL, ba, 3, &err_));
    const double da[2] = {-2.5, 1e300};
    CHECK(gguf_writer_set_arr_num(w, "a.f64", GGUF_TYPE_FLOAT64, da, 2, &err_));
    const uint64_t ua[2] = {UINT64_MAX, 7};
    CHECK(gguf_writer_set_arr_num(w, "a.u64", GGUF_TYPE_UINT64, ua, 2, &err_));
    CHECK(gguf_writer_set_arr_num(w, "a.empty", GGUF_TYPE_INT16, NULL, 0, &err_));
    unsigned char nested[128];
    size_t nn = nested_value(nested);
    CHECK(gguf_writer_set_raw(w, "a.nested", GGUF_TYPE_ARRAY, nested, nn, &err_));
    for (size_t k = 0; k < N_SPECS; k++) {
        CHECK(gguf_writer_add_tensor(w, specs[k].name, specs[k].type, specs[k].n_dims,
                                     specs[k].ne, data[k], &err_));
    }
    return w;
}

static void check_full(const gguf_file *f, uint32_t version, uint32_t alignment,
                       unsigned char *const *data)
{
    assert_int_equal(gguf_version(f), version);
    assert_int_equal(gguf_alignment(f), alignment ? alignment : 32);
    assert_int_equal(gguf_kv_count(f), alignment ? 24 : 23);
    /* Insertion order, and a replaced value keeps its place. */
    assert_string_equal(gguf_kv_key(f, 0), "general.architecture");
    assert_int_equal(gguf_find_key(f, "v.str"), alignment ? 11 : 10);
    assert_int_equal(gguf_find_key(f, "v.nothing"), -1);
    assert_null(gguf_kv_key(f, gguf_kv_count(f)));
    assert_int_equal(gguf_kv_type(f, -1), GGUF_TYPE_COUNT);

    assert_string_equal(gguf_get_str(f, "general.architecture", NULL), "llama");
    assert_string_equal(gguf_get_str(f, "v.str", NULL), "{{ bos_token }}{% for m in messages %}");
    assert_string_equal(gguf_get_str(f, "v.empty", NULL), "");
    assert_string_equal(gguf_get_str(f, "v.u8", "def"), "def");
    assert_int_equal(gguf_get_int(f, "v.u8", 0), 200);
    assert_int_equal(gguf_get_int(f, "v.i8", 0), -100);
    assert_int_equal(gguf_get_int(f, "v.u16", 0), 60000);
    assert_int_equal(gguf_get_int(f, "v.i16", 0), -30000);
    assert_int_equal(gguf_get_int(f, "v.u32", 0), 4000000000u);
    assert_int_equal(gguf_get_int(f, "v.i32", 0), -2000000000);
    assert_true(gguf_get_int(f, "v.i64", 0) == INT64_MIN + 3);
    assert_int_equal(gguf_get_int(f, "v.u64", 9), 9); /* does not fit int64 */
    assert_true(gguf_get_u64(f, "v.u64", 0) == UINT64_MAX - 5);
    assert_true(gguf_get_u64(f, "v.i8", 1) == 1); /* negative */
    assert_int_equal(gguf_get_u32(f, "v.u32", 0), 4000000000u);
    assert_int_equal(gguf_get_u32(f, "v.i32", 7), 7);
    assert_int_equal(gguf_get_u32(f, "v.u8", 0), 200);
    assert_int_equal(gguf_get_int(f, "v.f32", -1), -1); /* a float is not an integer */
    assert_int_equal(gguf_get_int(f, "v.true", -1), -1);
    assert_true(gguf_get_f32(f, "v.f32", 0) == 1e-5f);
    assert_true(gguf_get_f32(f, "v.f64", 0) == (float)3.141592653589793);
    assert_true(gguf_get_f32(f, "v.u32", -2.0f) == -2.0f);
    assert_true(gguf_get_bool(f, "v.true", false));
    assert_false(gguf_get_bool(f, "v.false", true));
    assert_true(gguf_get_bool(f, "v.u8", true));
    assert_false(gguf_get_bool(f, "v.nothing", false));

    uint32_t u = 0;
    float x = 0;
    const char *s = NULL;
    sl_error err = {0};
    assert_int_equal(gguf_require_u32(f, "v.u16", &u, &err), SL_OK);
    assert_int_equal(u, 60000);
    assert_int_equal(gguf_require_u32(f, "llama.block_count", &u, &err), SL_ERR_FORMAT);
    assert_string_equal(err.msg, "mem.gguf: metadata llama.block_count missing");
    assert_int_equal(gguf_require_u32(f, "v.str", &u, &err), SL_ERR_FORMAT);
    assert_string_equal(err.msg, "mem.gguf: metadata v.str has type string, expected uint32");
    assert_int_equal(gguf_require_u32(f, "v.i8", &u, &err), SL_ERR_FORMAT);
    assert_string_equal(err.msg, "mem.gguf: metadata v.i8 is -100, out of range for uint32");
    assert_int_equal(gguf_require_u32(f, "a.f32", &u, &err), SL_ERR_FORMAT);
    assert_string_equal(err.msg,
                        "mem.gguf: metadata a.f32 has type array of float32, expected uint32");
    assert_int_equal(gguf_require_f32(f, "v.f32", &x, &err), SL_OK);
    assert_true(x == 1e-5f);
    assert_int_equal(gguf_require_f32(f, "v.u32", &x, &err), SL_ERR_FORMAT);
    assert_string_equal(err.msg, "mem.gguf: metadata v.u32 has type uint32, expected float32");
    assert_int_equal(gguf_require_str(f, "general.architecture", &s, &err), SL_OK);
    assert_string_equal(s, "llama");

    /* Arrays. */
    gguf_type et;
    uint64_t n;
    const void *p;
    assert_int_equal(gguf_get_array(f, "a.f32", &et, &n, &p, &err), SL_OK);
    assert_int_equal(et, GGUF_TYPE_FLOAT32);
    assert_int_equal(n, 4);
    float fa[4];
    memcpy(fa, p, sizeof fa);
    assert_true(fa[0] == 0.5f && fa[1] == -1.0f && fa[2] == FLT_MAX && fa[3] == 1e-30f);
    assert_int_equal(gguf_get_array(f, "a.i32", &et, &n, &p, &err), SL_OK);
    int32_t ia[3];
    memcpy(ia, p, sizeof ia);
    assert_true(et == GGUF_TYPE_INT32 && n == 3 && ia[0] == -1 && ia[1] == 0 && ia[2] == INT32_MAX);
    assert_int_equal(gguf_get_array(f, "a.bool", &et, &n, &p, &err), SL_OK);
    assert_true(et == GGUF_TYPE_BOOL && n == 3 && memcmp(p, "\1\0\1", 3) == 0);
    assert_int_equal(gguf_get_array(f, "a.f64", &et, &n, &p, &err), SL_OK);
    double da[2];
    memcpy(da, p, sizeof da);
    assert_true(et == GGUF_TYPE_FLOAT64 && n == 2 && da[0] == -2.5 && da[1] == 1e300);
    assert_int_equal(gguf_get_array(f, "a.u64", &et, &n, &p, &err), SL_OK);
    uint64_t ua[2];
    memcpy(ua, p, sizeof ua);
    assert_true(et == GGUF_TYPE_UINT64 && n == 2 && ua[0] == UINT64_MAX && ua[1] == 7);
    assert_int_equal(gguf_get_array(f, "a.empty", &et, &n, &p, &err), SL_OK);
    assert_true(et == GGUF_TYPE_INT16 && n == 0);
    assert_int_equal(gguf_get_array(f, "a.str", &et, &n, &p, &err), SL_ERR_FORMAT);
    assert_string_equal(err.msg, "mem.gguf: metadata a.str is an array of string, expected a numeric array");
    assert_int_equal(gguf_get_array(f, "v.u8", &et, &n, &p, &err), SL_ERR_FORMAT);
    assert_int_equal(gguf_get_array(f, "nope", &et, &n, &p, &err), SL_ERR_FORMAT);
    assert_string_equal(err.msg, "mem.gguf: metadata nope missing");
    assert_true(gguf_get_array_info(f, "a.str", &et, &n));
    assert_true(et == GGUF_TYPE_STRING && n == N_STRINGS);
    for (size_t i = 0; i < N_STRINGS; i++) {
        gguf_str e = gguf_get_array_str(f, "a.str", i);
        assert_non_null(e.data);
        assert_int_equal(e.len, strlen(strings[i]));
        if (e.len)
            assert_memory_equal(e.data, strings[i], e.len);
    }
    gguf_str none = gguf_get_array_str(f, "a.str", N_STRINGS);
    assert_true(none.data == NULL && none.len == 0);
    none = gguf_get_array_str(f, "a.f32", 0);
    assert_true(none.data == NULL && none.len == 0);
    none = gguf_get_array_str(f, "v.str", 0);
    assert_true(none.data == NULL && none.len == 0);

    /* The nested array is parsed, exposed raw, refused by the typed getter. */
    assert_true(gguf_get_array_info(f, "a.nested", &et, &n));
    assert_true(et == GGUF_TYPE_ARRAY && n == 2);
    assert_int_equal(gguf_get_array(f, "a.nested", &et, &n, &p, &err), SL_ERR_FORMAT);
    unsigned char nested[128];
    size_t nn = nested_value(nested);
    gguf_str raw = gguf_kv_raw(f, gguf_find_key(f, "a.nested"));
    assert_int_equal(raw.len, nn);
    assert_memory_equal(raw.data, nested, nn);
    assert_int_equal(gguf_kv_type(f, gguf_find_key(f, "a.nested")), GGUF_TYPE_ARRAY);

    /* Tensors: order, shapes, sizes, aligned positions, every byte. */
    assert_int_equal(gguf_tensor_count(f), N_SPECS);
    uint64_t a = alignment ? alignment : 32;
    assert_int_equal(gguf_data_offset(f) % a, 0);
    for (size_t k = 0; k < N_SPECS; k++) {
        const gguf_tensor *t = gguf_tensor_at(f, (int64_t)k);
        assert_non_null(t);
        assert_ptr_equal(gguf_find_tensor(f, specs[k].name), t);
        assert_string_equal(t->name, specs[k].name);
        assert_int_equal(t->type, specs[k].type);
        assert_int_equal(t->n_dims, specs[k].n_dims);
        for (int d = 0; d < 4; d++)
            assert_int_equal(t->ne[d], specs[k].ne[d]);
        assert_int_equal(t->size, spec_bytes(&specs[k]));
        assert_int_equal(t->offset % a, 0);
        assert_int_equal(gguf_tensor_elems(t),
                         specs[k].ne[0] * specs[k].ne[1] * specs[k].ne[2] * specs[k].ne[3]);
        assert_memory_equal(t->data, data[k], t->size);
    }
    assert_null(gguf_tensor_at(f, (int64_t)N_SPECS));
    assert_null(gguf_find_tensor(f, "t.missing"));
}

static void test_round_trip_every_type(void **state)
{
    (void)state;
    const uint32_t versions[] = {2, 3};
    const uint32_t alignments[] = {0, 1, 8, 64, 4096};
    for (size_t vi = 0; vi < 2; vi++) {
        for (size_t ai = 0; ai < sizeof alignments / sizeof alignments[0]; ai++) {
            unsigned char *data[N_SPECS];
            for (size_t k = 0; k < N_SPECS; k++)
                data[k] = spec_data(k);
            gguf_writer *w = full_writer(versions[vi], alignments[ai], data);
            size_t size = 0;
            unsigned char *bytes = gguf_test_bytes(w, &size);
            gguf_writer_free(w);
            gguf_file *f = NULL;
            sl_error err = {0};
            if (gguf_open_memory(bytes, size, "mem.gguf", &f, &err) != SL_OK)
                fail_msg("v%u align %u: %s", versions[vi], alignments[ai], err.msg);
            assert_int_equal(gguf_file_size(f), size);
            check_full(f, versions[vi], alignments[ai], data);
            gguf_close(f);
            free(bytes);
            for (size_t k = 0; k < N_SPECS; k++)
                free(data[k]);
        }
    }
}

/* A small valid file whose last tensor ends the file (no trailing padding),
 * so that every truncation of it is invalid. */
static unsigned char *small_file(size_t *size, float *t1, float *t2)
{
    gguf_writer *w = NULL;
    sl_error err_ = {0};
    CHECK(gguf_writer_create(&w, &err_));
    CHECK(gguf_writer_set_str(w, "general.architecture", "llama", &err_));
    CHECK(gguf_writer_set_u32(w, "v.u32", 7, &err_));
    CHECK(gguf_writer_set_bool(w, "v.bool", true, &err_));
    CHECK(gguf_writer_set_u32(w, "general.alignment", 32, &err_));
    CHECK(gguf_writer_set_arr_str(w, "a.str", strings, N_STRINGS, &err_));
    const float fa[3] = {1, 2, 3};
    CHECK(gguf_writer_set_arr_num(w, "a.f32", GGUF_TYPE_FLOAT32, fa, 3, &err_));
    unsigned char nested[128];
    size_t nn = nested_value(nested);
    CHECK(gguf_writer_set_raw(w, "a.nested", GGUF_TYPE_ARRAY, nested, nn, &err_));
    CHECK(gguf_writer_set_u32(w, "dup.a", 1, &err_));
    CHECK(gguf_writer_set_u32(w, "dup.b", 2, &err_));
    for (int i = 0; i < 8; i++)
        t1[i] = (float)i;
    for (int i = 0; i < 64; i++)
        t2[i] = (float)-i;
    const int64_t ne1[1] = {8}, ne2[2] = {32, 2}, ne3[2] = {8, 2};
    CHECK(gguf_writer_add_tensor(w, "t.one", TENSOR_F32, 1, ne1, t1, &err_));
    CHECK(gguf_writer_add_tensor(w, "t.q40", TENSOR_Q4_0, 2, ne2, NULL, &err_));
    CHECK(gguf_writer_add_tensor(w, "t.two", TENSOR_F32, 2, ne3, t2, &err_));
    unsigned char *bytes = gguf_test_bytes(w, size);
    gguf_writer_free(w);
    return bytes;
}

static void test_small_file_is_valid(void **state)
{
    (void)state;
    float t1[8], t2[64];
    size_t size;
    unsigned char *bytes = small_file(&size, t1, t2);
    gguf_file *f = NULL;
    sl_error err = {0};
    if (gguf_open_memory(bytes, size, "t.gguf", &f, &err) != SL_OK)
        fail_msg("%s", err.msg);
    const gguf_tensor *t = gguf_find_tensor(f, "t.two");
    assert_non_null(t);
    assert_int_equal(t->offset + t->size + gguf_data_offset(f), size); /* ends the file */
    assert_memory_equal(t->data, t2, 64);
    gguf_close(f);
    free(bytes);
}

static void test_truncated_at_every_byte(void **state)
{
    (void)state;
    float t1[8], t2[64];
    size_t size;
    unsigned char *bytes = small_file(&size, t1, t2);
    for (size_t n = 0; n < size; n++)
        gguf_test_refused(bytes, n, n < 4 ? "not a GGUF file" : "at byte");
    free(bytes);
}

/* Applies `patch` to a fresh copy of the small file and expects `expect`. */
typedef void (*patch_fn)(unsigned char *b, size_t size);

static void refused_after(patch_fn patch, const char *expect)
{
    float t1[8], t2[64];
    size_t size;
    unsigned char *bytes = small_file(&size, t1, t2);
    patch(bytes, size);
    gguf_test_refused(bytes, size, expect);
    free(bytes);
}

/* Position of the field just after a key or tensor name. */
static size_t after(const unsigned char *b, size_t size, const char *name)
{
    char quoted[80];
    /* Names are preceded by their u64 length: match length + bytes so a
     * name that is a prefix of another is not confused with it. */
    size_t len = strlen(name);
    for (size_t i = 8; i + len <= size; i++)
        if (memcmp(b + i, name, len) == 0 && b[i - 8] == len && b[i - 7] == 0)
            return i + len;
    snprintf(quoted, sizeof quoted, "%s", name);
    fail_msg("'%s' not found", quoted);
    return 0;
}

static void p_magic(unsigned char *b, size_t s) { (void)s; b[0] = 'X'; }
static void p_version0(unsigned char *b, size_t s) { (void)s; gguf_test_put_u32(b + 4, 0); }
static void p_version1(unsigned char *b, size_t s) { (void)s; gguf_test_put_u32(b + 4, 1); }
static void p_version4(unsigned char *b, size_t s) { (void)s; gguf_test_put_u32(b + 4, 4); }
static void p_big_endian(unsigned char *b, size_t s) { (void)s; gguf_test_put_u32(b + 4, 0x03000000u); }
static void p_n_tensors_max(unsigned char *b, size_t s) { (void)s; gguf_test_put_u64(b + 8, UINT64_MAX); }
static void p_n_tensors_big(unsigned char *b, size_t s) { (void)s; gguf_test_put_u64(b + 8, (uint64_t)1 << 40); }
static void p_n_tensors_fit(unsigned char *b, size_t s) { (void)s; gguf_test_put_u64(b + 8, 1000); }
static void p_n_kv_fit(unsigned char *b, size_t s) { (void)s; gguf_test_put_u64(b + 16, 1000); }
static void p_n_kv_max(unsigned char *b, size_t s) { (void)s; gguf_test_put_u64(b + 16, UINT64_MAX); }
static void p_n_kv_half(unsigned char *b, size_t s) { (void)s; gguf_test_put_u64(b + 16, (uint64_t)1 << 63); }
static void p_n_kv_more(unsigned char *b, size_t s) { (void)s; b[16] += 1; }
static void p_n_tensors_more(unsigned char *b, size_t s) { (void)s; b[8] += 1; }
static void p_key_len_max(unsigned char *b, size_t s) { (void)s; gguf_test_put_u64(b + 24, UINT64_MAX); }
static void p_key_len_near(unsigned char *b, size_t s) { (void)s; gguf_test_put_u64(b + 24, UINT64_MAX - 30); }
static void p_str_len(unsigned char *b, size_t s)
{
    gguf_test_put_u64(b + after(b, s, "general.architecture") + 4, UINT64_MAX - 3);
}
static void p_arr_count(unsigned char *b, size_t s)
{
    gguf_test_put_u64(b + after(b, s, "a.f32") + 8, (uint64_t)1 << 62);
}
static void p_arr_count_max(unsigned char *b, size_t s)
{
    gguf_test_put_u64(b + after(b, s, "a.f32") + 8, UINT64_MAX);
}
static void p_str_arr_count(unsigned char *b, size_t s)
{
    gguf_test_put_u64(b + after(b, s, "a.str") + 8, UINT64_MAX / 2);
}
static void p_str_elem_len(unsigned char *b, size_t s)
{
    gguf_test_put_u64(b + after(b, s, "hello") - 5 - 8, UINT64_MAX);
}
static void p_nested_count(unsigned char *b, size_t s)
{
    /* The first inner array's count. */
    gguf_test_put_u64(b + after(b, s, "a.nested") + 16 + 4, (uint64_t)1 << 61);
}
static void p_nested_type(unsigned char *b, size_t s)
{
    gguf_test_put_u32(b + after(b, s, "a.nested") + 16, 13);
}
static void p_arr_elem_type(unsigned char *b, size_t s)
{
    gguf_test_put_u32(b + after(b, s, "a.f32") + 4, 77);
}
static void p_kv_type(unsigned char *b, size_t s) { gguf_test_put_u32(b + after(b, s, "v.u32"), 13); }
static void p_kv_type_big(unsigned char *b, size_t s)
{
    gguf_test_put_u32(b + after(b, s, "v.u32"), 0xffffffffu);
}
static void p_bool(unsigned char *b, size_t s) { b[after(b, s, "v.bool") + 4] = 2; }
static void p_key_nul(unsigned char *b, size_t s) { b[after(b, s, "v.u32") - 2] = 0; }
static void p_key_newline(unsigned char *b, size_t s) { b[after(b, s, "v.u32") - 2] = '\n'; }
static void p_dup_key(unsigned char *b, size_t s) { b[after(b, s, "dup.b") - 1] = 'a'; }
static void p_align_48(unsigned char *b, size_t s)
{
    gguf_test_put_u32(b + after(b, s, "general.alignment") + 4, 48);
}
static void p_align_0(unsigned char *b, size_t s)
{
    gguf_test_put_u32(b + after(b, s, "general.alignment") + 4, 0);
}
static void p_align_type(unsigned char *b, size_t s)
{
    gguf_test_put_u32(b + after(b, s, "general.alignment"), GGUF_TYPE_INT32);
}
static void p_align_huge(unsigned char *b, size_t s)
{
    gguf_test_put_u32(b + after(b, s, "general.alignment") + 4, 1u << 30);
}
/* Tensor info after the name: u32 n_dims, u64 ne[n_dims], u32 type, u64 offset. */
static void p_dims0(unsigned char *b, size_t s) { gguf_test_put_u32(b + after(b, s, "t.one"), 0); }
static void p_dims5(unsigned char *b, size_t s) { gguf_test_put_u32(b + after(b, s, "t.one"), 5); }
static void p_ne_zero(unsigned char *b, size_t s) { gguf_test_put_u64(b + after(b, s, "t.one") + 4, 0); }
static void p_ne_neg(unsigned char *b, size_t s)
{
    gguf_test_put_u64(b + after(b, s, "t.one") + 4, UINT64_MAX);
}
static void p_ne_overflow(unsigned char *b, size_t s)
{
    size_t p = after(b, s, "t.two") + 4;
    gguf_test_put_u64(b + p, (uint64_t)1 << 32);
    gguf_test_put_u64(b + p + 8, (uint64_t)1 << 32);
}
static void p_size_overflow(unsigned char *b, size_t s)
{
    /* 2^31 * 2^31 elements fit int64, but the byte size exceeds the file. */
    size_t p = after(b, s, "t.two") + 4;
    gguf_test_put_u64(b + p, (uint64_t)1 << 31);
    gguf_test_put_u64(b + p + 8, (uint64_t)1 << 31);
}
static void p_size_big(unsigned char *b, size_t s)
{
    size_t p = after(b, s, "t.two") + 4;
    gguf_test_put_u64(b + p, (uint64_t)1 << 30);
    gguf_test_put_u64(b + p + 8, (uint64_t)1 << 30);
}
static void p_ttype(unsigned char *b, size_t s) { gguf_test_put_u32(b + after(b, s, "t.one") + 12, 77); }
static void p_ttype_hole(unsigned char *b, size_t s) { gguf_test_put_u32(b + after(b, s, "t.one") + 12, 4); }
static void p_block(unsigned char *b, size_t s) { gguf_test_put_u64(b + after(b, s, "t.q40") + 4, 48); }
static void p_misaligned(unsigned char *b, size_t s) { b[after(b, s, "t.two") + 24] += 4; }
static void p_offset_far(unsigned char *b, size_t s)
{
    gguf_test_put_u64(b + after(b, s, "t.two") + 24, (uint64_t)1 << 40);
}
static void p_offset_max(unsigned char *b, size_t s)
{
    gguf_test_put_u64(b + after(b, s, "t.two") + 24, UINT64_MAX - 31);
}
static void p_rows(unsigned char *b, size_t s) { b[after(b, s, "t.two") + 12] = 3; }
static void p_dup_tensor(unsigned char *b, size_t s) { memcpy(b + after(b, s, "t.two") - 3, "one", 3); }
static void p_name_nul(unsigned char *b, size_t s) { b[after(b, s, "t.two") - 1] = 0; }

static void test_hostile_headers(void **state)
{
    (void)state;
    refused_after(p_magic, "not a GGUF file (magic at byte 0 is 'XGUF'");
    refused_after(p_version0, "GGUF version 0 at byte 4 is not supported");
    refused_after(p_version1, "GGUF version 1 (at byte 4) is not supported");
    refused_after(p_version4, "GGUF version 4 at byte 4 is not supported");
    refused_after(p_big_endian, "big-endian");
    refused_after(p_n_tensors_max, "tensor count 18446744073709551615 at byte 8 is over the limit");
    refused_after(p_n_tensors_big, "tensor count 1099511627776 at byte 8");
    refused_after(p_n_tensors_fit, "tensor count 1000 at byte 8 cannot fit in the");
    refused_after(p_n_kv_max, "metadata count 18446744073709551615 at byte 16 is over the limit");
    refused_after(p_n_kv_half, "metadata count 9223372036854775808 at byte 16");
    refused_after(p_n_kv_fit, "metadata count 1000 at byte 16 cannot fit in the");
    refused_after(p_n_kv_more, "");
    refused_after(p_n_tensors_more, "");
    refused_after(p_key_len_max, "metadata key 0 at byte 24: string length 18446744073709551615 runs past the end");
    refused_after(p_key_len_near, "string length 18446744073709551585");
    refused_after(p_str_len, "metadata 'general.architecture' at byte");
    refused_after(p_arr_count, "4611686018427387904 float32 values run past the end");
    refused_after(p_arr_count_max, "18446744073709551615 float32 values run past the end");
    refused_after(p_str_arr_count, "string elements cannot fit");
    refused_after(p_str_elem_len, "metadata 'a.str' at byte");
    refused_after(p_nested_count, "uint16 values run past the end");
    refused_after(p_nested_type, "array of unknown value type 13");
    refused_after(p_arr_elem_type, "array of unknown value type 77");
    refused_after(p_kv_type, "metadata 'v.u32' at byte");
    refused_after(p_kv_type, "has unknown value type 13");
    refused_after(p_kv_type_big, "unknown value type 4294967295");
    refused_after(p_bool, "bool value 2 is neither 0 nor 1");
    refused_after(p_key_nul, "holding a control character");
    refused_after(p_key_newline, "metadata key 1 at byte");
    refused_after(p_dup_key, "metadata key 'dup.a' appears twice (entries 7 and 8)");
    refused_after(p_align_48, "general.alignment at byte");
    refused_after(p_align_48, "is 48, not a power of two");
    refused_after(p_align_0, "is 0, not a power of two");
    refused_after(p_align_type, "general.alignment at byte");
    refused_after(p_align_type, "has type int32, expected uint32");
    refused_after(p_align_huge, "starts past the end of the file");
}

static void test_hostile_tensors(void **state)
{
    (void)state;
    refused_after(p_dims0, "tensor 't.one' at byte");
    refused_after(p_dims0, "has 0 dimensions (1 to 4 allowed)");
    refused_after(p_dims5, "has 5 dimensions");
    refused_after(p_ne_zero, "tensor 't.one' dimension 0 at byte");
    refused_after(p_ne_zero, "is 0 (must be 1 to 2^63-1)");
    refused_after(p_ne_neg, "is 18446744073709551615 (must be 1 to 2^63-1)");
    refused_after(p_ne_overflow, "tensor 't.two' dimension 1 at byte");
    refused_after(p_ne_overflow, "makes the element count overflow");
    refused_after(p_size_overflow, "tensor 't.two' at byte");
    refused_after(p_size_overflow, "size in bytes overflows");
    refused_after(p_size_big, "tensor 't.two' data [");
    refused_after(p_ttype, "has unknown tensor type 77");
    refused_after(p_ttype_hole, "has unknown tensor type 4");
    refused_after(p_block, "row of 48 elements is not a whole number of Q4_0 blocks (32)");
    refused_after(p_misaligned, "is not a multiple of the alignment 32");
    refused_after(p_offset_far, "tensor 't.two' data [1099511628");
    refused_after(p_offset_max, "data [past 2^64..past 2^64)");
    refused_after(p_rows, "runs past the end of the file (size");
    refused_after(p_dup_tensor, "tensor name 't.one' appears twice (tensors 0 and 2)");
    refused_after(p_name_nul, "holding a control character");

    /* The full message for data past the end, with its numbers. */
    float t1[8], t2[64];
    size_t size;
    unsigned char *bytes = small_file(&size, t1, t2);
    size_t info = after(bytes, size, "t.two");
    bytes[info + 12] = 3; /* 3 rows instead of 2 */
    uint64_t offset = 0;
    for (int i = 7; i >= 0; i--)
        offset = offset << 8 | bytes[info + 24 + i];
    uint64_t start = size - 64; /* the tensor's data ends the file */
    char expect[256];
    snprintf(expect, sizeof expect,
             "t.gguf: tensor 't.two' data [%llu..%llu) at byte %zu runs past the end of the file "
             "(size %zu)",
             (unsigned long long)start, (unsigned long long)(start + 96), info + 24, size);
    assert_true(start % 32 == 0 && offset > 0);
    gguf_test_refused(bytes, size, expect);
    free(bytes);
}

static void test_deep_nesting_refused(void **state)
{
    (void)state;
    /* 9 levels of [ [ ... [u8 x 0] ] ]: more than GGUF_MAX_NESTING. */
    unsigned char v[512];
    size_t n = 0;
    for (int level = 0; level < 9; level++) {
        gguf_test_put_u32(v + n, GGUF_TYPE_ARRAY), n += 4;
        gguf_test_put_u64(v + n, 1), n += 8;
    }
    gguf_test_put_u32(v + n, GGUF_TYPE_UINT8), n += 4;
    gguf_test_put_u64(v + n, 0), n += 8;
    for (int deep = 0; deep < 2; deep++) {
        gguf_writer *w = NULL;
        sl_error err_ = {0};
        CHECK(gguf_writer_create(&w, &err_));
        /* The value's own array, then 9 (deep) or 7 arrays inside. */
        size_t skip = deep ? 0 : 24;
        CHECK(gguf_writer_set_raw(w, "a.deep", GGUF_TYPE_ARRAY, v + skip, n - skip, &err_));
        size_t size;
        unsigned char *bytes = gguf_test_bytes(w, &size);
        gguf_writer_free(w);
        if (deep) {
            gguf_test_refused(bytes, size, "arrays nested more than 8 deep");
        } else {
            gguf_file *f = NULL;
            sl_error err = {0};
            if (gguf_open_memory(bytes, size, "t.gguf", &f, &err) != SL_OK)
                fail_msg("%s", err.msg);
            gguf_close(f);
        }
        free(bytes);
    }
}

static void test_open_errors_name_the_file(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char path[512];
    gguf_file *f = NULL;
    sl_error err = {0};

    snprintf(path, sizeof path, "%s/missing.gguf", dir);
    assert_int_equal(gguf_open(path, &f, &err), SL_ERR_IO);
    assert_null(f);
    assert_true(strncmp(err.msg, path, strlen(path)) == 0);
    assert_non_null(strstr(err.msg, "No such file"));

    assert_int_equal(gguf_open(dir, &f, &err), SL_ERR_IO);
    assert_non_null(strstr(err.msg, "not a regular file"));

    snprintf(path, sizeof path, "%s/empty.gguf", dir);
    assert_int_equal(write_file_bytes(path, "", 0), 0);
    assert_int_equal(gguf_open(path, &f, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "empty file"));

    /* The mmap path over a valid and a truncated file. */
    float t1[8], t2[64];
    size_t size;
    unsigned char *bytes = small_file(&size, t1, t2);
    snprintf(path, sizeof path, "%s/small.gguf", dir);
    assert_int_equal(write_file_bytes(path, bytes, size), 0);
    if (gguf_open(path, &f, &err) != SL_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(gguf_path(f), path);
    assert_int_equal(gguf_file_size(f), size);
    assert_int_equal(gguf_tensor_count(f), 3);
    assert_memory_equal(gguf_find_tensor(f, "t.one")->data, t1, sizeof t1);
    assert_int_equal(((uintptr_t)gguf_find_tensor(f, "t.two")->data) % 32, 0);
    gguf_close(f);
    assert_int_equal(write_file_bytes(path, bytes, size - 1), 0);
    assert_int_equal(gguf_open(path, &f, &err), SL_ERR_FORMAT);
    assert_true(strncmp(err.msg, path, strlen(path)) == 0);
    assert_non_null(strstr(err.msg, "runs past the end of the file"));
    free(bytes);
    temp_dir_remove(dir);
}

static void test_writer_refuses_bad_input(void **state)
{
    (void)state;
    gguf_writer *w = NULL;
    sl_error err = {0};
    assert_int_equal(gguf_writer_create(&w, &err), SL_OK);
    const int64_t ne31[1] = {31}, ne32[2] = {32, 2}, ne0[2] = {32, 0}, ne5[5] = {32, 1, 1, 1, 1};
    assert_int_equal(gguf_writer_add_tensor(w, "a", TENSOR_Q4_0, 1, ne31, NULL, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "whole number of Q4_0 blocks"));
    assert_int_equal(gguf_writer_add_tensor(w, "a", TENSOR_Q4_0, 2, ne0, NULL, &err), SL_ERR_ARG);
    assert_int_equal(gguf_writer_add_tensor(w, "a", TENSOR_Q4_0, 5, ne5, NULL, &err), SL_ERR_ARG);
    assert_int_equal(gguf_writer_add_tensor(w, "a", (tensor_type)5, 2, ne32, NULL, &err), SL_ERR_ARG);
    assert_int_equal(gguf_writer_add_tensor(w, "a", TENSOR_Q4_0, 2, ne32, NULL, &err), SL_OK);
    assert_int_equal(gguf_writer_add_tensor(w, "a", TENSOR_Q4_0, 2, ne32, NULL, &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "added twice"));
    char long_name[80];
    memset(long_name, 'x', 64);
    long_name[64] = '\0';
    assert_int_equal(gguf_writer_add_tensor(w, long_name, TENSOR_F32, 2, ne32, NULL, &err),
                     SL_ERR_ARG);
    assert_int_equal(gguf_writer_set_version(w, 1, &err), SL_ERR_ARG);
    assert_int_equal(gguf_writer_set_u32(w, "", 1, &err), SL_ERR_ARG);
    assert_int_equal(gguf_writer_set_arr_num(w, "x", GGUF_TYPE_STRING, "a", 1, &err), SL_ERR_ARG);
    assert_int_equal(gguf_writer_set_u32(w, "general.alignment", 48, &err), SL_OK);
    assert_int_equal(gguf_writer_write(w, "/nonexistent-dir/x.gguf", &err), SL_ERR_ARG);
    assert_non_null(strstr(err.msg, "not a power of two"));
    assert_int_equal(gguf_writer_set_u32(w, "general.alignment", 16, &err), SL_OK);
    assert_int_equal(gguf_writer_write(w, "/nonexistent-dir/x.gguf", &err), SL_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.gguf"));
    gguf_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_small_file_is_valid),
        cmocka_unit_test(test_truncated_at_every_byte),
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_hostile_tensors),
        cmocka_unit_test(test_deep_nesting_refused),
        cmocka_unit_test(test_open_errors_name_the_file),
        cmocka_unit_test(test_writer_refuses_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
