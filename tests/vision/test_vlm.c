/* The mmproj vision encoder against llama.cpp's mtmd outputs in
 * ../shared/fixtures/vlm (tile count and order, the prompt text around the
 * tiles, every tile's projected embeddings within 0.05), the slicing rules
 * on picture sizes the fixtures lack, and bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"
#include "tests/support.h"
#include "tests/vision/test_vlm_gen.h"
#include "vision/vision.h"

#define EMBD_TOL 0.05f

static thread_pool *pool;

static int setup(void **state)
{
    (void)state;
    return thread_pool_create(2, &pool, NULL) == SL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    thread_pool_destroy(pool);
    return 0;
}

/* ---- golden.json: just the chunk list ---- */

typedef struct gold_chunk {
    int is_image;
    int n_tokens; /* image */
    int tokens[64];
    int n; /* text tokens */
} gold_chunk;

static int parse_golden(const char *json, gold_chunk *out, int max)
{
    const char *p = strstr(json, "\"chunks\"");
    const char *end = strstr(json, "\"n_past\"");
    if (!p || !end)
        return -1;
    int count = 0;
    while ((p = strstr(p, "{\"type\": \"")) && p < end && count < max) {
        p += strlen("{\"type\": \"");
        gold_chunk *c = &out[count++];
        memset(c, 0, sizeof *c);
        if (strncmp(p, "image", 5) == 0) {
            c->is_image = 1;
            const char *q = strstr(p, "\"n_tokens\": ");
            if (!q)
                return -1;
            c->n_tokens = atoi(q + strlen("\"n_tokens\": "));
        } else {
            const char *q = strstr(p, "\"tokens\": [");
            if (!q)
                return -1;
            q += strlen("\"tokens\": [");
            while (*q != ']' && c->n < 64) {
                char *e;
                c->tokens[c->n++] = (int)strtol(q, &e, 10);
                q = e;
                while (*q == ',' || *q == ' ')
                    q++;
            }
        }
    }
    return count;
}

/* GPT-2 byte-level BPE spells byte b as a printable code point: the
 * printable Latin-1 bytes as themselves, the others as 256 + their rank. */
static int gpt2_byte_of(unsigned cp)
{
    int rank = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        if (printable) {
            if (cp == (unsigned)b)
                return b;
        } else {
            if (cp == 256u + (unsigned)rank)
                return b;
            rank++;
        }
    }
    return -1;
}

/* Appends the text of token `id` to buf (special tokens as spelled). */
static void append_token(const gguf_file *vocab, int id, char *buf, size_t cap)
{
    gguf_str s = gguf_get_array_str(vocab, "tokenizer.ggml.tokens", (uint64_t)id);
    assert_non_null(s.data);
    size_t len = strlen(buf);
    if (s.len > 1 && s.data[0] == '<') { /* special: verbatim */
        assert_true(len + s.len < cap);
        memcpy(buf + len, s.data, s.len);
        buf[len + s.len] = 0;
        return;
    }
    for (uint64_t i = 0; i < s.len;) {
        unsigned char c = (unsigned char)s.data[i];
        unsigned cp;
        if (c < 0x80) {
            cp = c;
            i += 1;
        } else {
            assert_true((c & 0xe0) == 0xc0 && i + 1 < s.len);
            cp = ((unsigned)(c & 0x1f) << 6) | ((unsigned char)s.data[i + 1] & 0x3f);
            i += 2;
        }
        int b = gpt2_byte_of(cp);
        assert_true(b >= 0 && len + 1 < cap);
        buf[len++] = (char)b;
        buf[len] = 0;
    }
}

static float *read_f32(const char *path, size_t *n)
{
    size_t bytes;
    unsigned char *d = read_file_bytes(path, &bytes);
    if (!d)
        return NULL;
    *n = bytes / 4;
    return (float *)d;
}

static float max_abs_diff(const float *a, const float *b, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= m)) /* NaN counts as a failure */
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

static void check_golden(const char *name, matmul_precision prec, float tol, float *worst_out)
{
    char rel[256];
    REQUIRE_SHARED(mmproj_path, "fixtures/vlm/tiny-vlm-mmproj-f16.gguf");
    char *mmproj = strdup(mmproj_path);
    REQUIRE_SHARED(text_path, "fixtures/vlm/tiny-vlm-text-q8_0.gguf");
    char *text = strdup(text_path);
    snprintf(rel, sizeof rel, "fixtures/vlm/%s.png", name);
    REQUIRE_SHARED(png_path, rel);
    char *png = strdup(png_path);
    snprintf(rel, sizeof rel, "fixtures/vlm/%s/golden.json", name);
    REQUIRE_SHARED(json_path, rel);
    size_t json_len;
    char *json = (char *)read_file_bytes(json_path, &json_len);
    assert_non_null(json);
    char *js = realloc(json, json_len + 1);
    assert_non_null(js);
    js[json_len] = 0;
    gold_chunk gold[64];
    int n_gold = parse_golden(js, gold, 64);
    free(js);
    assert_true(n_gold > 2);

    sl_error err = {0};
    clip_model *m;
    assert_int_equal(clip_model_load(mmproj, &m, &err), SL_OK);
    assert_string_equal(clip_projector_name(m), "idefics3");
    assert_int_equal(clip_n_embd_out(m), 256);
    assert_int_equal(clip_tokens_per_tile(m), 16);
    /* the caller's check: the projector feeds the text model's embeddings */
    gguf_file *tf;
    assert_int_equal(gguf_open(text, &tf, &err), SL_OK);
    assert_false(clip_gguf_is_mmproj(tf));
    assert_int_equal(gguf_get_int(tf, "llama.embedding_length", -1), clip_n_embd_out(m));

    frame img = {0};
    assert_int_equal(frame_load_image(png, &img, &err), SL_OK);
    clip_tiles tiles;
    assert_int_equal(clip_preprocess(m, &img, 0, &tiles, &err), SL_OK);
    vlm_chunks ch;
    assert_int_equal(vlm_prompt_chunks(m, &tiles, &ch, &err), SL_OK);

    /* The whole prompt, spelled from llama.cpp's token ids and from ours,
     * with \x01 standing for each image chunk. */
    char want[4096] = "", got[4096] = "User:";
    int n_images = 0;
    for (int i = 0; i < n_gold; i++) {
        if (gold[i].is_image) {
            strcat(want, "\x01");
            assert_int_equal(gold[i].n_tokens, clip_tokens_per_tile(m));
            n_images++;
        } else {
            for (int t = 0; t < gold[i].n; t++)
                append_token(tf, gold[i].tokens[t], want, sizeof want);
        }
    }
    int img_seen = 0;
    for (int i = 0; i < ch.count; i++) {
        if (ch.items[i].type == VLM_CHUNK_IMAGE) {
            strcat(got, "\x01");
            /* image chunk K is tile K: tiles are numbered in prompt order */
            assert_int_equal(ch.items[i].tile, img_seen);
            assert_int_equal(ch.items[i].n_tokens, 16);
            img_seen++;
        } else {
            strcat(got, ch.items[i].text);
        }
    }
    strcat(got, "Describe the image.<end_of_utterance>\nAssistant:");
    assert_string_equal(got, want);
    assert_int_equal(tiles.n_tiles, n_images);
    assert_int_equal(img_seen, n_images);

    clip_encoder *enc;
    assert_int_equal(clip_encoder_create(m, pool, &enc, &err), SL_OK);
    clip_encoder_set_precision(enc, prec);
    size_t per = (size_t)clip_tokens_per_tile(m) * (size_t)clip_n_embd_out(m);
    float *out = malloc(per * sizeof(float));
    assert_non_null(out);
    float worst = 0;
    for (int k = 0; k < tiles.n_tiles; k++) {
        snprintf(rel, sizeof rel, "fixtures/vlm/%s/embd_%d.f32", name, k);
        const char *ep = shared_path(rel);
        assert_non_null(ep);
        size_t n;
        float *ref = read_f32(ep, &n);
        assert_non_null(ref);
        assert_int_equal(n, per);
        sl_status st = clip_encoder_run(enc, clip_tiles_tile(&tiles, k), out, &err);
        assert_int_equal(st, SL_OK);
        float d = max_abs_diff(out, ref, per);
        print_message("%s %s tile %d: max |d| = %.5f\n", name,
                      prec == MATMUL_PRECISION_BF16 ? "bf16" : "ggml", k, (double)d);
        worst = d > worst ? d : worst;
        free(ref);
    }
    assert_true(worst <= tol);
    if (worst_out)
        *worst_out = worst;
    free(out);
    clip_encoder_free(enc);
    vlm_chunks_free(&ch);
    clip_tiles_free(&tiles);
    frame_free(&img);
    gguf_close(tf);
    clip_model_free(m);
    free(mmproj);
    free(text);
    free(png);
}

static void test_golden_test_png(void **state)
{
    (void)state;
    check_golden("test", MATMUL_PRECISION_GGML, EMBD_TOL, NULL);
}

static void test_golden_street_png(void **state)
{
    (void)state;
    check_golden("street", MATMUL_PRECISION_GGML, EMBD_TOL, NULL);
}

static void test_golden_portrait_png(void **state)
{
    (void)state;
    check_golden("portrait", MATMUL_PRECISION_GGML, EMBD_TOL, NULL);
}

/* The fast path (bfloat16 products) stays within the same tolerance. */
static void test_golden_bf16(void **state)
{
    (void)state;
    check_golden("street", MATMUL_PRECISION_BF16, EMBD_TOL, NULL);
}

/* The prompt's token ids: our chunks' text tokenized (no BOS, special
 * tokens parsed), runs between images equal llama.cpp's text chunks. */
static void append_ids(int32_t *run, size_t *n, size_t cap, const tokenizer *tok,
                       const char *text)
{
    int32_t *ids;
    size_t k;
    sl_error err = {0};
    if (tokenizer_encode(tok, text, strlen(text), false, true, &ids, &k, &err) != SL_OK)
        fail_msg("%s", err.msg);
    assert_true(*n + k <= cap);
    memcpy(run + *n, ids, k * sizeof *ids);
    *n += k;
    free(ids);
}

static void check_token_ids(const char *name)
{
    char rel[256];
    REQUIRE_SHARED(mp, "fixtures/vlm/tiny-vlm-mmproj-f16.gguf");
    char *mmproj = strdup(mp);
    REQUIRE_SHARED(tp, "fixtures/vlm/tiny-vlm-text-q8_0.gguf");
    char *text = strdup(tp);
    snprintf(rel, sizeof rel, "fixtures/vlm/%s.png", name);
    REQUIRE_SHARED(pp, rel);
    char *png = strdup(pp);
    snprintf(rel, sizeof rel, "fixtures/vlm/%s/golden.json", name);
    REQUIRE_SHARED(jp, rel);
    size_t jl;
    char *json = (char *)read_file_bytes(jp, &jl);
    assert_non_null(json);
    char *js = realloc(json, jl + 1);
    assert_non_null(js);
    js[jl] = 0;
    gold_chunk gold[64];
    int n_gold = parse_golden(js, gold, 64);
    free(js);

    sl_error err = {0};
    clip_model *m;
    assert_int_equal(clip_model_load(mmproj, &m, &err), SL_OK);
    gguf_file *tf;
    assert_int_equal(gguf_open(text, &tf, &err), SL_OK);
    tokenizer *tok;
    if (tokenizer_from_gguf(tf, &tok, &err) != SL_OK)
        fail_msg("%s", err.msg);
    frame img = {0};
    assert_int_equal(frame_load_image(png, &img, &err), SL_OK);
    clip_tiles tiles;
    assert_int_equal(clip_preprocess(m, &img, 0, &tiles, &err), SL_OK);
    vlm_chunks ch;
    assert_int_equal(vlm_prompt_chunks(m, &tiles, &ch, &err), SL_OK);

    int32_t run[256];
    size_t n = 0;
    int g = 0;
    append_ids(run, &n, 256, tok, "User:");
    for (int i = 0; i <= ch.count; i++) {
        bool end = i == ch.count;
        if (!end && ch.items[i].type == VLM_CHUNK_TEXT) {
            append_ids(run, &n, 256, tok, ch.items[i].text);
            continue;
        }
        if (end)
            append_ids(run, &n, 256, tok, "Describe the image.<end_of_utterance>\nAssistant:");
        assert_true(g < n_gold && !gold[g].is_image);
        assert_int_equal(n, gold[g].n);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(run[k], gold[g].tokens[k]);
        g++;
        n = 0;
        if (end)
            break;
        assert_true(g < n_gold && gold[g].is_image);
        assert_int_equal(ch.items[i].n_tokens, gold[g].n_tokens);
        g++;
    }
    assert_int_equal(g, n_gold);
    vlm_chunks_free(&ch);
    clip_tiles_free(&tiles);
    frame_free(&img);
    tokenizer_free(tok);
    gguf_close(tf);
    clip_model_free(m);
    free(mmproj);
    free(text);
    free(png);
}

static void test_token_ids(void **state)
{
    (void)state;
    check_token_ids("test");
    check_token_ids("street");
    check_token_ids("portrait");
}

/* ---- sizes the fixtures lack ---- */

static clip_model *load_fixture_model(void)
{
    const char *p = shared_path("fixtures/vlm/tiny-vlm-mmproj-f16.gguf");
    if (!p)
        return NULL;
    clip_model *m;
    sl_error err = {0};
    if (clip_model_load(p, &m, &err) != SL_OK)
        fail_msg("%s", err.msg);
    return m;
}

static void fill_pattern(frame *f, unsigned seed)
{
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            uint8_t *p = frame_pixel(f, x, y);
            seed = seed * 1664525u + 1013904223u;
            p[0] = (uint8_t)(seed >> 24);
            p[1] = (uint8_t)(x * 255 / (f->width > 1 ? f->width - 1 : 1));
            p[2] = (uint8_t)(y * 255 / (f->height > 1 ? f->height - 1 : 1));
        }
}

/* The grid for the longest-edge rule, computed independently in double
 * (the sizes below are away from rounding borders). */
static void expected_grid(int w, int h, int longest, int tile, int *rows, int *cols)
{
    double s = fmin((double)longest / w, (double)longest / h);
    *cols = (int)ceil(w * s / tile - 1e-9);
    *rows = (int)ceil(h * s / tile - 1e-9);
}

static void test_grid_rules(void **state)
{
    (void)state;
    clip_model *m = load_fixture_model();
    if (!m) {
        skip();
        return;
    }
    static const int sizes[][3] = {
        {700, 300, 0}, {300, 700, 0}, {1, 1, 0}, {64, 64, 0}, {1000, 10, 0},
        {640, 480, 0}, {640, 480, 64}, {640, 480, 128}, {2000, 1500, 512}, {50, 190, 320},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        frame f;
        sl_error err = {0};
        assert_int_equal(frame_alloc(&f, sizes[i][0], sizes[i][1], &err), SL_OK);
        fill_pattern(&f, (unsigned)i);
        clip_tiles t;
        assert_int_equal(clip_preprocess(m, &f, sizes[i][2], &t, &err), SL_OK);
        int longest = sizes[i][2] ? sizes[i][2] : clip_longest_edge(m), rows, cols;
        expected_grid(sizes[i][0], sizes[i][1], longest, 64, &rows, &cols);
        /* llama.cpp scales in float: 1500 * (float)(512 / 2000) is 384.00003,
         * which rounds up to a 7th row (mostly black padding). We follow. */
        if (sizes[i][0] == 2000 && sizes[i][1] == 1500)
            rows = 7;
        assert_int_equal(t.grid_rows, rows);
        assert_int_equal(t.grid_cols, cols);
        assert_int_equal(t.n_tiles, rows * cols + 1);
        assert_int_equal(t.overview_index, rows * cols);
        for (size_t k = 0; k < (size_t)t.n_tiles * 3 * 64 * 64; k++)
            assert_true(t.pixels[k] >= -1.0f && t.pixels[k] <= 1.0f);
        vlm_chunks ch;
        assert_int_equal(vlm_prompt_chunks(m, &t, &ch, &err), SL_OK);
        /* one image chunk per tile, in order, and one row marker per tile */
        int img = 0, markers = 0, newlines = 0;
        for (int c = 0; c < ch.count; c++) {
            if (ch.items[c].type == VLM_CHUNK_IMAGE) {
                assert_int_equal(ch.items[c].tile, img++);
                continue;
            }
            for (const char *s = ch.items[c].text; (s = strstr(s, "<row_")); s++)
                markers++;
            for (const char *s = ch.items[c].text; *s; s++)
                newlines += *s == '\n';
        }
        assert_int_equal(img, t.n_tiles);
        assert_int_equal(markers, rows * cols);
        assert_int_equal(newlines, rows - 1 + 2);
        char last[64];
        snprintf(last, sizeof last, "<fake_token_around_image><row_%d_col_%d>", rows, cols);
        assert_non_null(strstr(ch.items[ch.count - 5].text, last));
        vlm_chunks_free(&ch);
        clip_tiles_free(&t);
        frame_free(&f);
    }
    clip_model_free(m);
}

/* A picture already at the refined size (192 x 128) is not resampled: each
 * tile must be exactly its 64 x 64 block, normalised, in row-major order;
 * and a 64 x 64 picture is its own overview. */
static void test_tiles_are_exact_crops(void **state)
{
    (void)state;
    clip_model *m = load_fixture_model();
    if (!m) {
        skip();
        return;
    }
    frame f;
    sl_error err = {0};
    assert_int_equal(frame_alloc(&f, 192, 128, &err), SL_OK);
    fill_pattern(&f, 7);
    clip_tiles t;
    assert_int_equal(clip_preprocess(m, &f, 0, &t, &err), SL_OK);
    assert_int_equal(t.grid_rows, 2);
    assert_int_equal(t.grid_cols, 3);
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++) {
            const float *tile = clip_tiles_tile(&t, r * 3 + c);
            for (int ch = 0; ch < 3; ch++)
                for (int y = 0; y < 64; y++)
                    for (int x = 0; x < 64; x++) {
                        float v = frame_pixel(&f, c * 64 + x, r * 64 + y)[ch] / 255.0f;
                        assert_float_equal(tile[(ch * 64 + y) * 64 + x], (v - 0.5f) / 0.5f, 1e-6);
                    }
        }
    clip_tiles_free(&t);
    frame_free(&f);

    assert_int_equal(frame_alloc(&f, 64, 64, &err), SL_OK);
    fill_pattern(&f, 9);
    assert_int_equal(clip_preprocess(m, &f, 64, &t, &err), SL_OK);
    assert_int_equal(t.n_tiles, 2);
    for (int i = 0; i < 2; i++) {
        const float *tile = clip_tiles_tile(&t, i);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
                assert_float_equal(tile[y * 64 + x],
                                   (frame_pixel(&f, x, y)[0] / 255.0f - 0.5f) / 0.5f, 1e-6);
    }
    clip_tiles_free(&t);
    frame_free(&f);
    clip_model_free(m);
}

/* The encoder does not depend on the thread count, and identical tiles give
 * identical embeddings wherever they sit. */
static void test_encoder_threads_agree(void **state)
{
    (void)state;
    clip_model *m = load_fixture_model();
    if (!m) {
        skip();
        return;
    }
    frame f;
    sl_error err = {0};
    assert_int_equal(frame_alloc(&f, 128, 64, &err), SL_OK);
    fill_pattern(&f, 3);
    for (int y = 0; y < 64; y++) /* right half = left half */
        memcpy(frame_pixel(&f, 64, y), frame_pixel(&f, 0, y), 64 * 3);
    clip_tiles t;
    assert_int_equal(clip_preprocess(m, &f, 128, &t, &err), SL_OK);
    assert_int_equal(t.n_tiles, 3);
    size_t per = 16 * 256;
    float *a = malloc(per * 4), *b = malloc(per * 4), *c = malloc(per * 4);
    assert_int_equal(clip_encode_tile(m, NULL, clip_tiles_tile(&t, 0), a, &err), SL_OK);
    assert_int_equal(clip_encode_tile(m, pool, clip_tiles_tile(&t, 0), b, &err), SL_OK);
    assert_int_equal(clip_encode_tile(m, pool, clip_tiles_tile(&t, 1), c, &err), SL_OK);
    assert_true(max_abs_diff(a, b, per) <= 1e-5f);
    assert_true(max_abs_diff(b, c, per) <= 1e-5f);
    /* and the overview (a different picture) differs */
    assert_int_equal(clip_encode_tile(m, pool, clip_tiles_tile(&t, 2), c, &err), SL_OK);
    assert_true(max_abs_diff(b, c, per) > 0.05f);
    free(a);
    free(b);
    free(c);
    clip_tiles_free(&t);
    frame_free(&f);
    clip_model_free(m);
}

/* A generated model of another shape (patch grid not a multiple of the
 * merge factor: zero-padded, as llama.cpp pads) loads and encodes. */
static void test_generated_shape(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/gen.gguf", dir);
    vlm_gen_shape sh = {.image_size = 40, .patch_size = 8, .n_embd = 32, .n_ff = 64,
                        .n_layer = 1, .n_head = 4, .scale = 2, .n_out = 48,
                        .longest_edge = 80};
    sl_error err = {0};
    assert_int_equal(vlm_gen_write(path, &sh, &err), SL_OK);
    clip_model *m;
    assert_int_equal(clip_model_load(path, &m, &err), SL_OK);
    assert_int_equal(clip_tokens_per_tile(m), 9); /* 5 x 5 patches -> 3 x 3 */
    assert_int_equal(clip_n_embd_out(m), 48);
    frame f;
    assert_int_equal(frame_alloc(&f, 100, 60, &err), SL_OK);
    fill_pattern(&f, 5);
    clip_tiles t;
    assert_int_equal(clip_preprocess(m, &f, 0, &t, &err), SL_OK);
    assert_int_equal(t.grid_cols, 2);
    assert_int_equal(t.grid_rows, 2);
    float out[9 * 48];
    for (int i = 0; i < t.n_tiles; i++) {
        assert_int_equal(clip_encode_tile(m, pool, clip_tiles_tile(&t, i), out, &err), SL_OK);
        for (int k = 0; k < 9 * 48; k++)
            assert_true(isfinite(out[k]));
    }
    clip_tiles_free(&t);
    frame_free(&f);
    clip_model_free(m);
    temp_dir_remove(dir);
}

/* ---- bad input ---- */

static void expect_load_error(const char *path, sl_status code, const char *needle)
{
    clip_model *m = (clip_model *)1;
    sl_error err = {0};
    assert_int_equal(clip_model_load(path, &m, &err), code);
    assert_null(m);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_non_null(strstr(err.msg, path));
    assert_null(strchr(err.msg, '\n'));
}

static void test_text_model_as_mmproj(void **state)
{
    (void)state;
    REQUIRE_SHARED(text, "fixtures/vlm/tiny-vlm-text-q8_0.gguf");
    char *p = strdup(text);
    expect_load_error(p, SL_ERR_MODEL, "'llama' model, not a vision projector");
    free(p);
    REQUIRE_SHARED(mmproj, "fixtures/vlm/tiny-vlm-mmproj-f16.gguf");
    gguf_file *f;
    assert_int_equal(gguf_open(mmproj, &f, NULL), SL_OK);
    assert_true(clip_gguf_is_mmproj(f)); /* what a text-model loader checks */
    gguf_close(f);
}

static void test_bad_files(void **state)
{
    (void)state;
    char *dir = temp_dir_create();
    assert_non_null(dir);
    char path[1024];
    sl_error err = {0};
    vlm_gen_shape base = {.image_size = 32, .patch_size = 8, .n_embd = 16, .n_ff = 32,
                          .n_layer = 1, .n_head = 2, .scale = 2, .n_out = 24,
                          .longest_edge = 64};

    vlm_gen_shape sh = base;
    sh.projector_type = "warp_drive";
    snprintf(path, sizeof path, "%s/unknown.gguf", dir);
    assert_int_equal(vlm_gen_write(path, &sh, &err), SL_OK);
    expect_load_error(path, SL_ERR_UNSUPPORTED, "projector type 'warp_drive'");

    sh = base;
    sh.omit_tensor = "v.blk.0.attn_k.weight";
    snprintf(path, sizeof path, "%s/missing.gguf", dir);
    assert_int_equal(vlm_gen_write(path, &sh, &err), SL_OK);
    expect_load_error(path, SL_ERR_FORMAT, "'v.blk.0.attn_k.weight' missing");

    sh = base;
    sh.omit_tensor = "mm.model.fc.weight";
    snprintf(path, sizeof path, "%s/noproj.gguf", dir);
    assert_int_equal(vlm_gen_write(path, &sh, &err), SL_OK);
    expect_load_error(path, SL_ERR_FORMAT, "'mm.model.fc.weight' missing");

    sh = base;
    sh.n_head = 3; /* 16 is not a multiple of 3 */
    snprintf(path, sizeof path, "%s/heads.gguf", dir);
    assert_int_equal(vlm_gen_write(path, &sh, &err), SL_OK);
    expect_load_error(path, SL_ERR_FORMAT, "head_count");

    sh = base;
    sh.architecture = "llama";
    snprintf(path, sizeof path, "%s/arch.gguf", dir);
    assert_int_equal(vlm_gen_write(path, &sh, &err), SL_OK);
    expect_load_error(path, SL_ERR_MODEL, "not a vision projector");

    snprintf(path, sizeof path, "%s/none.gguf", dir);
    expect_load_error(path, SL_ERR_IO, "none.gguf");

    /* a truncated copy of a good file */
    sh = base;
    snprintf(path, sizeof path, "%s/good.gguf", dir);
    assert_int_equal(vlm_gen_write(path, &sh, &err), SL_OK);
    size_t n;
    unsigned char *bytes = read_file_bytes(path, &n);
    assert_non_null(bytes);
    snprintf(path, sizeof path, "%s/cut.gguf", dir);
    assert_int_equal(write_file_bytes(path, bytes, n / 2), 0);
    free(bytes);
    expect_load_error(path, SL_ERR_FORMAT, "cut.gguf");
    temp_dir_remove(dir);
}

static void test_bad_pictures(void **state)
{
    (void)state;
    clip_model *m = load_fixture_model();
    if (!m) {
        skip();
        return;
    }
    char *dir = temp_dir_create();
    char path[1024];
    sl_error err = {0};
    /* a corrupt picture fails at decoding, before the encoder */
    REQUIRE_SHARED(png, "fixtures/vlm/street.png");
    size_t n;
    unsigned char *bytes = read_file_bytes(png, &n);
    assert_non_null(bytes);
    snprintf(path, sizeof path, "%s/cut.png", dir);
    assert_int_equal(write_file_bytes(path, bytes, n / 2), 0);
    free(bytes);
    frame f = {0};
    assert_int_equal(frame_load_image(path, &f, &err), SL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "cut.png"));
    /* and an empty frame is refused by the preprocessor */
    clip_tiles t;
    frame empty = {0};
    assert_int_equal(clip_preprocess(m, &empty, 0, &t, &err), SL_ERR_ARG);
    assert_null(t.pixels);
    /* a longest edge that would make thousands of tiles is refused */
    frame small;
    assert_int_equal(frame_alloc(&small, 8, 8, &err), SL_OK);
    assert_int_equal(clip_preprocess(m, &small, 64 * 40, &t, &err), SL_ERR_LIMIT);
    assert_null(t.pixels);
    assert_int_equal(clip_preprocess(m, &small, 64 * 16, &t, &err), SL_OK);
    assert_int_equal(t.n_tiles, 257);
    clip_tiles_free(&t);
    frame_free(&small);
    temp_dir_remove(dir);
    clip_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_test_png),
        cmocka_unit_test(test_golden_street_png),
        cmocka_unit_test(test_golden_portrait_png),
        cmocka_unit_test(test_golden_bf16),
        cmocka_unit_test(test_token_ids),
        cmocka_unit_test(test_grid_rules),
        cmocka_unit_test(test_tiles_are_exact_crops),
        cmocka_unit_test(test_encoder_threads_agree),
        cmocka_unit_test(test_generated_shape),
        cmocka_unit_test(test_text_model_as_mmproj),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_bad_pictures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
