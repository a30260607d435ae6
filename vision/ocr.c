#include "vision/ocr.h"

#include <ctype.h>
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>

#include "vision/ocr_layout.h"
#include "vision/vision_init_internal.h"

/* The resolution Tesseract is told: text was scaled towards the letter size
 * of a 300 dpi scan, and a stated resolution keeps Tesseract from guessing
 * one (and printing that it did). */
enum { OCR_ASSUMED_DPI = 300 };

struct ocr_engine {
    TessBaseAPI *api;
    ocr_options opt;
};

/* ---- process-wide: Tesseract's messages off ---------------------------------- */

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

/* Tesseract writes its messages ("Estimating resolution as ...", "Error
 * opening data file ...") with tprintf, which goes to the global parameter
 * debug_file, or stderr when it is empty. Setting it on any handle sets it
 * for the process; it is never changed back. */
static void tesseract_quiet_once(void)
{
    TessBaseAPI *h = TessBaseAPICreate();
    if (h) {
        TessBaseAPISetVariable(h, "debug_file", "/dev/null");
        TessBaseAPIDelete(h);
    }
}

static void tesseract_quiet(void)
{
    vision_leptonica_init();
    pthread_once(&quiet_once, tesseract_quiet_once);
}

/* ---- languages ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ocr_languages_free(char **langs, size_t count)
{
    if (!langs)
        return;
    for (size_t i = 0; i < count; i++)
        free(langs[i]);
    free(langs);
}

/* The language files in Tesseract's data folder. Tesseract only knows its
 * folder once Init ran; an Init that fails on the language still sets it, so
 * "osd" (always shipped with tesseract-ocr) serves as the probe. */
static sl_status list_languages(char ***langs, size_t *count, char *datapath, size_t dp_size,
                                sl_error *err)
{
    *langs = NULL, *count = 0;
    if (datapath)
        datapath[0] = 0;
    tesseract_quiet();
    TessBaseAPI *h = TessBaseAPICreate();
    if (!h)
        return sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory starting Tesseract");
    TessBaseAPIInit3(h, NULL, "osd");
    char **v = TessBaseAPIGetAvailableLanguagesAsVector(h);
    const char *dp = TessBaseAPIGetDatapath(h);
    if (datapath)
        snprintf(datapath, dp_size, "%s", dp && *dp ? dp : "");
    size_t n = 0;
    for (size_t i = 0; v && v[i]; i++)
        n++;
    char **out = calloc(n ? n : 1, sizeof *out);
    size_t k = 0;
    sl_status st = SL_OK;
    bool oom = !out;
    for (size_t i = 0; !oom && i < n; i++) {
        if (strcmp(v[i], "osd") == 0)
            continue;
        if (!(out[k] = strdup(v[i])))
            oom = true;
        else
            k++;
    }
    if (oom)
        st = sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory listing languages");
    if (v)
        TessDeleteTextArray(v);
    TessBaseAPIEnd(h);
    TessBaseAPIDelete(h);
    if (st != SL_OK) {
        ocr_languages_free(out, k);
        return st;
    }
    qsort(out, k, sizeof *out, cmp_str);
    *langs = out, *count = k;
    return SL_OK;
}

sl_status ocr_languages(char ***langs, size_t *count, sl_error *err)
{
    if (!langs || !count)
        return sl_fail(err, SL_ERR_ARG, "ocr_languages: NULL output");
    return list_languages(langs, count, NULL, 0, err);
}

static bool lang_name_ok(const char *s, size_t n)
{
    if (n == 0 || s[0] == '/' || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '_' || c == '-' || c == '/' || c == '.'))
            return false;
        if (c == '.' && i + 1 < n && s[i + 1] == '.')
            return false;
    }
    return true;
}

/* A language name as it may appear in a one-line message: at most 40
 * bytes, control characters and non-ASCII bytes as '?'. */
static void printable_name(char *dst, size_t size, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < size && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n > 40 && k + 4 < size)
        dst[k++] = '.', dst[k++] = '.', dst[k++] = '.';
    dst[k] = 0;
}

/* Checks every part of "eng+deu" against the installed list. */
static sl_status check_languages(const char *lang, sl_error *err)
{
    char **have = NULL;
    size_t n = 0;
    char datapath[512];
    sl_status st = list_languages(&have, &n, datapath, sizeof datapath, err);
    if (st != SL_OK)
        return st;
    if (n == 0) {
        const char *env = getenv("TESSDATA_PREFIX");
        st = sl_fail(err, SL_ERR_MODEL,
                     "OCR: no Tesseract language data in %s%s; install tesseract-ocr-eng%s",
                     datapath[0] ? datapath : "Tesseract's data folder",
                     env ? " (set by TESSDATA_PREFIX)" : "",
                     env ? " or correct TESSDATA_PREFIX" : "");
        ocr_languages_free(have, n);
        return st;
    }
    char installed[256];
    size_t off = 0;
    installed[0] = 0;
    for (size_t i = 0; i < n && off < sizeof installed; i++)
        off += (size_t)snprintf(installed + off, sizeof installed - off, "%s%s", i ? ", " : "",
                                have[i]);
    const char *p = lang;
    while (st == SL_OK) {
        const char *end = strchr(p, '+');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strlen(have[i]) == len && memcmp(have[i], p, len) == 0;
        if (!lang_name_ok(p, len) || !found) {
            char name[64];
            printable_name(name, sizeof name, p, len);
            st = sl_fail(err, SL_ERR_UNSUPPORTED,
                         "OCR language '%s' is not installed (installed: %s)", name, installed);
        }
        if (!end)
            break;
        p = end + 1;
    }
    ocr_languages_free(have, n);
    return st;
}

/* ---- engine ------------------------------------------------------------------ */

ocr_options ocr_options_defaults(void)
{
    /* On the sample and held-out pictures and 20 more made while tuning,
     * real lines were read at 66..97 and the one junk line (a sign's edge)
     * at 24. */
    return (ocr_options){.prep = image_prep_defaults(), .min_line_confidence = 40.0f,
                         .merge_rows = 1, .block_fallback = 1};
}

void ocr_set_options(ocr_engine *e, const ocr_options *opt)
{
    if (e)
        e->opt = opt ? *opt : ocr_options_defaults();
}

sl_status ocr_open(const char *lang, ocr_engine **out, sl_error *err)
{
    if (!out)
        return sl_fail(err, SL_ERR_ARG, "ocr_open: NULL output");
    *out = NULL;
    if (!lang)
        lang = "eng";
    sl_status st = check_languages(lang, err);
    if (st != SL_OK)
        return st;
    ocr_engine *e = calloc(1, sizeof *e);
    if (!e || !(e->api = TessBaseAPICreate())) {
        free(e);
        return sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory starting Tesseract");
    }
    e->opt = ocr_options_defaults();
    if (TessBaseAPIInit3(e->api, NULL, lang) != 0) {
        const char *dp = TessBaseAPIGetDatapath(e->api);
        st = sl_fail(err, SL_ERR_MODEL, "OCR: Tesseract could not load language '%s'%s%s", lang,
                     dp && *dp ? " from " : "", dp && *dp ? dp : "");
        ocr_close(e);
        return st;
    }
    *out = e;
    return SL_OK;
}

void ocr_close(ocr_engine *e)
{
    if (!e)
        return;
    if (e->api) {
        TessBaseAPIEnd(e->api);
        TessBaseAPIDelete(e->api);
    }
    free(e);
}

void ocr_result_free(ocr_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->lines[i].text);
    free(r->lines);
    *r = (ocr_result){0};
}

char *ocr_result_text(const ocr_result *r)
{
    size_t len = 1;
    for (size_t i = 0; r && i < r->count; i++)
        len += strlen(r->lines[i].text) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    for (size_t i = 0; r && i < r->count; i++) {
        size_t k = strlen(r->lines[i].text);
        if (i)
            *p++ = '\n';
        memcpy(p, r->lines[i].text, k);
        p += k;
    }
    *p = 0;
    return s;
}

/* Growing array of lines being collected. */
typedef struct line_list {
    ocr_layout_line *v;
    size_t count, cap;
    size_t dropped; /* lines left out for low confidence */
} line_list;

static void line_list_free(line_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->v[i].line.text);
    free(l->v);
    *l = (line_list){0};
}

/* The current line being built from words. */
typedef struct line_builder {
    char *text;
    size_t len, cap;
    double conf;
    int words, block;
    int x0, y0, x1, y1;
    bool split; /* cut from a longer line at a wide gap (see builder_add) */
} line_builder;

/* A gap between two words of one Tesseract line wider than this many line
 * heights is a gutter between columns or table cells, not a space: the line
 * is cut there and ocr_layout_order decides how the pieces are read. */
#define GUTTER_LINE_HEIGHTS 1.5

static bool builder_add(line_builder *b, const char *word, float conf, int l, int t, int r,
                        int btm)
{
    size_t k = strlen(word);
    if (b->len + k + 2 > b->cap) {
        size_t cap = (b->cap ? 2 * b->cap : 128) + k;
        char *p = realloc(b->text, cap);
        if (!p)
            return false;
        b->text = p, b->cap = cap;
    }
    if (b->len)
        b->text[b->len++] = ' ';
    memcpy(b->text + b->len, word, k);
    b->len += k;
    b->text[b->len] = 0;
    if (b->words == 0)
        b->x0 = l, b->y0 = t, b->x1 = r, b->y1 = btm;
    if (l < b->x0) b->x0 = l;
    if (t < b->y0) b->y0 = t;
    if (r > b->x1) b->x1 = r;
    if (btm > b->y1) b->y1 = btm;
    b->conf += conf;
    b->words++;
    return true;
}

/* Ends the line: kept when it has words. Boxes stay in the prepared
 * picture's coordinates (upright) until the lines are ordered. */
static bool builder_flush(line_builder *b, line_list *list, float min_conf)
{
    if (b->words == 0 || b->conf / b->words < min_conf) {
        list->dropped += b->words > 0;
        free(b->text);
        int block = b->block;
        *b = (line_builder){.block = block};
        return true;
    }
    if (list->count == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 32;
        ocr_layout_line *v = realloc(list->v, cap * sizeof *v);
        if (!v)
            return false;
        list->v = v, list->cap = cap;
    }
    list->v[list->count++] = (ocr_layout_line){
        .line = {.text = b->text, .confidence = (float)(b->conf / b->words), .x = b->x0,
                 .y = b->y0, .w = b->x1 - b->x0, .h = b->y1 - b->y0},
        .block = b->block, .words = b->words, .split = b->split};
    int block = b->block;
    *b = (line_builder){.block = block};
    return true;
}

/* Adds a word to the line, first cutting the line when the word stands
 * beyond a gutter. */
static bool builder_add_word(line_builder *b, line_list *list, float min_conf, const char *word,
                             float conf, int l, int t, int r, int btm)
{
    if (b->words > 0 && l - b->x1 > GUTTER_LINE_HEIGHTS * (b->y1 - b->y0)) {
        b->split = true;
        if (!builder_flush(b, list, min_conf))
            return false;
        b->split = true;
    }
    return builder_add(b, word, conf, l, t, r, btm);
}

/* Boxes back into the frame's pixels; a line whose box falls outside the
 * frame (only possible in corners a rotation brought in) is dropped. */
static void map_to_source(ocr_result *r, const prepared_image *prep)
{
    size_t k = 0;
    for (size_t i = 0; i < r->count; i++) {
        ocr_line l = r->lines[i];
        if (prepared_box_to_source(prep, &l.x, &l.y, &l.w, &l.h))
            r->lines[k++] = l;
        else
            free(l.text);
    }
    r->count = k;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* What one Tesseract pass found, to choose between passes. */
typedef struct pass_stats {
    double score;    /* letters read confidently minus letters read poorly */
    bool suspicious; /* a line standing on end (Tesseract took a column of
                        aligned digits for vertical text) or read poorly,
                        kept or not */
} pass_stats;

/* Words read at least this confidently count for a pass, below the lower
 * bound against it. */
#define GOOD_WORD_CONF 70.0f
#define POOR_WORD_CONF 50.0f
#define SUSPICIOUS_LINE_CONF 60.0f

/* One Tesseract pass over the prepared picture in the given page
 * segmentation mode: its lines (prepared coordinates) into *list. */
static sl_status recognise(ocr_engine *e, const prepared_image *prep, TessPageSegMode psm,
                           line_list *list, pass_stats *stats, sl_error *err)
{
    *list = (line_list){0};
    *stats = (pass_stats){0};
    TessBaseAPISetPageSegMode(e->api, psm);
    TessBaseAPISetImage2(e->api, prep->pix);
    TessBaseAPISetSourceResolution(e->api, OCR_ASSUMED_DPI);
    if (TessBaseAPIRecognize(e->api, NULL) != 0) {
        TessBaseAPIClear(e->api);
        return sl_fail(err, SL_ERR_INTERNAL, "OCR: Tesseract failed to read a %dx%d picture",
                       prep->src_width, prep->src_height);
    }
    line_builder b = {.block = -1};
    bool ok = true;
    TessResultIterator *it = TessBaseAPIGetIterator(e->api);
    if (it) {
        const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
        do {
            if (TessPageIteratorIsAtBeginningOf(pit, RIL_BLOCK)) {
                ok = ok && builder_flush(&b, list, e->opt.min_line_confidence);
                b.block++;
            } else if (TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE)) {
                ok = ok && builder_flush(&b, list, e->opt.min_line_confidence);
            }
            char *word = TessResultIteratorGetUTF8Text(it, RIL_WORD);
            if (!word)
                continue;
            /* Tesseract reports blank areas as words made of spaces. */
            char *w = word;
            while (*w && isspace((unsigned char)*w))
                w++;
            size_t wl = strlen(w);
            while (wl && isspace((unsigned char)w[wl - 1]))
                w[--wl] = 0;
            float conf = TessResultIteratorConfidence(it, RIL_WORD);
            int l, t, r, btm;
            bool keep = wl && TessPageIteratorBoundingBox(pit, RIL_WORD, &l, &t, &r, &btm);
            if (keep) {
                size_t n = utf8_chars(w);
                if (conf >= GOOD_WORD_CONF)
                    stats->score += (double)n;
                else if (conf < POOR_WORD_CONF)
                    stats->score -= (double)n;
                ok = ok && builder_add_word(&b, list, e->opt.min_line_confidence, w, conf, l, t, r, btm);
            }
            TessDeleteText(word);
        } while (ok && TessResultIteratorNext(it, RIL_WORD));
        ok = ok && builder_flush(&b, list, e->opt.min_line_confidence);
        TessResultIteratorDelete(it);
    }
    free(b.text);
    TessBaseAPIClear(e->api);
    if (!ok) {
        line_list_free(list);
        return sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory collecting lines");
    }
    stats->suspicious = list->dropped > 0;
    for (size_t i = 0; i < list->count; i++) {
        const ocr_line *l = &list->v[i].line;
        if ((l->h > l->w && utf8_chars(l->text) >= 2) || l->confidence < SUSPICIOUS_LINE_CONF)
            stats->suspicious = true;
    }
    return SL_OK;
}

/* The pass kept so far: its lines, its score and the picture it read. */
typedef struct best_pass {
    line_list list;
    pass_stats stats;
    const prepared_image *prep;
} best_pass;

/* Runs one more pass and keeps it when it read clearly more letters
 * confidently than the best so far. */
static sl_status try_pass(ocr_engine *e, const prepared_image *prep, TessPageSegMode psm,
                          best_pass *best, sl_error *err)
{
    line_list list;
    pass_stats stats;
    sl_status st = recognise(e, prep, psm, &list, &stats, err);
    if (st != SL_OK)
        return st;
    double margin = best->stats.score > 60 ? 0.05 * best->stats.score : 3;
    if (stats.score > best->stats.score + margin) {
        line_list_free(&best->list);
        *best = (best_pass){list, stats, prep};
    } else {
        line_list_free(&list);
    }
    return SL_OK;
}

sl_status ocr_read_frame(ocr_engine *e, const frame *f, ocr_result *out, sl_error *err)
{
    if (out)
        *out = (ocr_result){0};
    if (!e || !out)
        return sl_fail(err, SL_ERR_ARG, "ocr_read_frame: NULL engine or result");
    prepared_image prep, plain = {0};
    sl_status st = image_prep_run(f, &e->opt.prep, &prep, err);
    if (st != SL_OK)
        return st;
    best_pass best = {.prep = &prep};
    st = recognise(e, &prep, PSM_AUTO, &best.list, &best.stats, err);
    /* Tesseract's automatic layout keeps columns of text apart but now and
     * then tears a table apart (aligned decimal points look like a gutter),
     * and background flattening can sink a light sign on a dark wall into
     * the wall. When the first result looks wrong or is empty, the picture
     * is also read as one uniform block, and without flattening; the pass
     * that read clearly more letters confidently wins. */
    if (st == SL_OK && e->opt.block_fallback &&
        (best.stats.suspicious || best.list.count == 0)) {
        st = try_pass(e, &prep, PSM_SINGLE_BLOCK, &best, err);
        if (st == SL_OK && e->opt.prep.normalize) {
            image_prep_options o = e->opt.prep;
            o.normalize = false;
            st = image_prep_run(f, &o, &plain, err);
            if (st == SL_OK)
                st = try_pass(e, &plain, PSM_AUTO, &best, err);
        }
    }
    if (st == SL_OK)
        st = ocr_layout_order(best.list.v, best.list.count, e->opt.merge_rows, out, err);
    if (st == SL_OK)
        map_to_source(out, best.prep);
    line_list_free(&best.list);
    prepared_image_free(&prep);
    prepared_image_free(&plain);
    return st;
}
