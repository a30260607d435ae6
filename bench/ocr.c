/* What each OCR preprocessing step gains: character error rate on the sample
 * pictures (assets/samples) and the held-out ones (tests/vision/ocr_heldout),
 * read with every step on, then with one step off at a time (and two other
 * letter sizes), and with nothing.
 * Prints `name: value unit` lines; `-v` adds one line per picture.
 * Usage: bench_ocr [-v | -vv (and each line with its confidence)] [DIR_WITH_MANIFEST...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/vision/cer.h"
#include "vision/vision.h"

typedef struct picture {
    char path[1024];
    char *expected;
    char set[32];   /* samples / heldout */
    char klass[16]; /* clean / degraded / notext */
    frame f;
} picture;

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
    size_t got = s ? fread(s, 1, (size_t)(n > 0 ? n : 0), fp) : 0;
    if (s)
        s[got] = 0;
    fclose(fp);
    return s;
}

static size_t load_dir(const char *dir, const char *set, picture **pics, size_t n)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "bench_ocr: %s: cannot open\n", path);
        return n;
    }
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        char name[256], klass[16];
        if (line[0] == '#' || sscanf(line, "%255s %15s", name, klass) != 2)
            continue;
        *pics = realloc(*pics, (n + 1) * sizeof **pics);
        picture *p = &(*pics)[n];
        memset(p, 0, sizeof *p);
        snprintf(p->path, sizeof p->path, "%s/%s", dir, name);
        snprintf(p->set, sizeof p->set, "%s", set);
        snprintf(p->klass, sizeof p->klass, "%s", klass);
        char txt[1100];
        snprintf(txt, sizeof txt, "%s/%s", dir, name);
        char *dot = strrchr(txt, '.');
        if (dot)
            strcpy(dot, ".txt");
        p->expected = read_text(txt);
        sl_error err;
        if (!p->expected || frame_load_image(p->path, &p->f, &err) != SL_OK) {
            fprintf(stderr, "bench_ocr: %s: %s\n", p->path, p->expected ? err.msg : "no .txt");
            free(p->expected);
            continue;
        }
        n++;
    }
    fclose(fp);
    return n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int verbose = 0;
    picture *pics = NULL;
    size_t n = 0;
    int dirs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "-vv") == 0)
            verbose = 2;
        else {
            const char *s = strrchr(argv[i], '/');
            n = load_dir(argv[i], s && s[1] ? s + 1 : argv[i], &pics, n), dirs++;
        }
    }
    if (!dirs) {
        const char *assets = getenv("SIGHTLINE_ASSETS"), *src = getenv("SIGHTLINE_SOURCE");
        char d[1024];
        snprintf(d, sizeof d, "%s/samples", assets ? assets : "assets");
        n = load_dir(d, "samples", &pics, n);
        snprintf(d, sizeof d, "%s/tests/vision/ocr_heldout", src ? src : ".");
        n = load_dir(d, "heldout", &pics, n);
    }
    if (!n) {
        fprintf(stderr, "bench_ocr: no pictures\n");
        return 1;
    }
    sl_error err;
    ocr_engine *e;
    if (ocr_open("eng", &e, &err) != SL_OK) {
        fprintf(stderr, "bench_ocr: %s\n", err.msg);
        return 1;
    }
    struct { const char *name; ocr_options o; } cfg[12];
    int nc = 0;
    ocr_options all = ocr_options_defaults();
    cfg[nc].name = "all", cfg[nc++].o = all;
    cfg[nc].name = "no_gray", cfg[nc].o = all, cfg[nc++].o.prep.gray = false;
    cfg[nc].name = "no_normalize", cfg[nc].o = all, cfg[nc++].o.prep.normalize = false;
    cfg[nc].name = "no_upscale", cfg[nc].o = all, cfg[nc++].o.prep.upscale = false;
    cfg[nc].name = "no_deskew", cfg[nc].o = all, cfg[nc++].o.prep.deskew = false;
    cfg[nc].name = "target_16", cfg[nc].o = all, cfg[nc++].o.prep.target_height = 16;
    cfg[nc].name = "target_32", cfg[nc].o = all, cfg[nc++].o.prep.target_height = 32;
    cfg[nc].name = "no_line_filter", cfg[nc].o = all, cfg[nc++].o.min_line_confidence = 0;
    cfg[nc].name = "no_row_merge", cfg[nc].o = all, cfg[nc++].o.merge_rows = 0;
    cfg[nc].name = "no_block_fallback", cfg[nc].o = all, cfg[nc++].o.block_fallback = 0;
    ocr_options none = all;
    none.prep = (image_prep_options){0};
    none.min_line_confidence = 0;
    none.merge_rows = 0;
    none.block_fallback = 0;
    cfg[nc].name = "none", cfg[nc++].o = none;
    const char *only = getenv("BENCH_OCR_ONLY");
    for (int c = 0; c < nc; c++) {
        if (only && strcmp(only, cfg[c].name) != 0)
            continue;
        ocr_set_options(e, &cfg[c].o);
        double sum[2][2] = {{0}}; /* [set samples/heldout][clean/degraded] */
        int cnt[2][2] = {{0}}, pass = 0, total = 0;
        double t0 = now();
        for (size_t i = 0; i < n; i++) {
            picture *p = &pics[i];
            ocr_result r;
            if (ocr_read_frame(e, &p->f, &r, &err) != SL_OK) {
                fprintf(stderr, "bench_ocr: %s: %s\n", p->path, err.msg);
                continue;
            }
            char *text = ocr_result_text(&r);
            int notext = strcmp(p->klass, "notext") == 0;
            double v = notext ? (double)strlen(text) : cer(p->expected, text);
            double limit = strcmp(p->klass, "clean") == 0 ? 0.05 : notext ? 3 : 0.15;
            pass += v <= limit;
            total++;
            if (!notext) {
                int s = strcmp(p->set, "samples") != 0, k = strcmp(p->klass, "clean") != 0;
                sum[s][k] += v, cnt[s][k]++;
            }
            if (verbose > 1)
                for (size_t k = 0; k < r.count; k++)
                    printf("    line %.0f %s\n", r.lines[k].confidence, r.lines[k].text);
            if (verbose) {
                for (char *q = text; *q; q++)
                    if (*q == '\n')
                        *q = '|';
                printf("  %s %s/%s %s %.3f%s \"%.160s\"\n", cfg[c].name, p->set,
                       strrchr(p->path, '/') + 1, p->klass, v, v <= limit ? "" : " FAIL", text);
            }
            free(text);
            ocr_result_free(&r);
        }
        double secs = now() - t0;
        const char *sets[2] = {"samples", "heldout"}, *ks[2] = {"clean", "degraded"};
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < 2; k++)
                if (cnt[s][k])
                    printf("ocr_cer_%s_%s_%s: %.2f %%\n", cfg[c].name, sets[s], ks[k],
                           100.0 * sum[s][k] / cnt[s][k]);
        printf("ocr_within_threshold_%s: %d/%d pictures\n", cfg[c].name, pass, total);
        printf("ocr_time_%s: %.2f s\n", cfg[c].name, secs);
        fflush(stdout);
    }
    ocr_close(e);
    for (size_t i = 0; i < n; i++)
        frame_free(&pics[i].f), free(pics[i].expected);
    free(pics);
    return 0;
}
