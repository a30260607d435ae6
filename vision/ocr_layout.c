#include "vision/ocr_layout.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Blocks side by side are columns of running text when both hold lines of
 * at least this many words (the median line); otherwise (items and prices,
 * days and hours, a label and its value) they are the columns of a table and
 * are read row by row. */
#define PROSE_WORDS 4
/* Share of the shorter block's lines that must sit on a line of the other. */
#define ALIGNED_SHARE 0.6

typedef struct block_info {
    int x0, y0, x1, y1;
    size_t first, count; /* its lines: input[first .. first+count) */
    int height;          /* median line height */
    int words;           /* median words per line */
    int group;           /* union-find parent */
} block_info;

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

/* Two lines on one row: their middles are less than half the smaller
 * height apart. */
static bool same_row(const ocr_line *a, const ocr_line *b)
{
    int ca = 2 * a->y + a->h, cb = 2 * b->y + b->h; /* twice the middles */
    int d = ca > cb ? ca - cb : cb - ca;
    return d < imin(a->h, b->h);
}

static int find(block_info *b, int i)
{
    while (b[i].group != i)
        i = b[i].group = b[b[i].group].group;
    return i;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Do blocks a (left) and b (right) form rows of one table? */
static bool table_pair(const block_info *a, const block_info *b, const ocr_layout_line *lines)
{
    int lh = imax(1, imin(a->height, b->height));
    if (b->x0 < a->x1 - lh / 2)
        return false; /* not side by side */
    if (imin(a->y1, b->y1) <= imax(a->y0, b->y0))
        return false; /* no common rows */
    const block_info *few = a->count <= b->count ? a : b;
    const block_info *many = few == a ? b : a;
    size_t aligned = 0;
    for (size_t i = 0; i < few->count; i++)
        for (size_t j = 0; j < many->count; j++)
            if (same_row(&lines[few->first + i].line, &lines[many->first + j].line)) {
                aligned++;
                break;
            }
    if ((double)aligned < ALIGNED_SHARE * (double)few->count)
        return false;
    return !(a->words >= PROSE_WORDS && b->words >= PROSE_WORDS);
}

typedef struct row {
    size_t *members;
    size_t count;
    int y0, y1;
} row;

static int cmp_center_y(const void *pa, const void *pb, const ocr_layout_line *lines)
{
    const ocr_line *a = &lines[*(const size_t *)pa].line, *b = &lines[*(const size_t *)pb].line;
    int ca = 2 * a->y + a->h, cb = 2 * b->y + b->h;
    return (ca > cb) - (ca < cb);
}

/* qsort has no context argument in C11: a small insertion sort instead (a
 * picture has tens of lines). */
static void sort_indices(size_t *idx, size_t n, const ocr_layout_line *lines,
                         int (*cmp)(const void *, const void *, const ocr_layout_line *))
{
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;
        while (j > 0 && cmp(&idx[j - 1], &v, lines) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

static int cmp_x(const void *pa, const void *pb, const ocr_layout_line *lines)
{
    const ocr_line *a = &lines[*(const size_t *)pa].line, *b = &lines[*(const size_t *)pb].line;
    return (a->x > b->x) - (a->x < b->x);
}

/* Appends one output line made of the given input lines (left to right). */
static sl_status emit(ocr_layout_line *lines, const size_t *idx, size_t n, ocr_result *out,
                      sl_error *err)
{
    size_t len = 0;
    double conf = 0;
    long words = 0;
    int x0 = INT32_MAX, y0 = INT32_MAX, x1 = INT32_MIN, y1 = INT32_MIN;
    for (size_t i = 0; i < n; i++) {
        const ocr_layout_line *l = &lines[idx[i]];
        len += strlen(l->line.text) + 1;
        int w = l->words > 0 ? l->words : 1;
        conf += (double)l->line.confidence * w;
        words += w;
        x0 = imin(x0, l->line.x), y0 = imin(y0, l->line.y);
        x1 = imax(x1, l->line.x + l->line.w), y1 = imax(y1, l->line.y + l->line.h);
    }
    char *text;
    if (n == 1) {
        text = lines[idx[0]].line.text;
        lines[idx[0]].line.text = NULL;
    } else {
        text = malloc(len);
        if (!text)
            return sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory joining a row of text");
        char *p = text;
        for (size_t i = 0; i < n; i++) {
            size_t k = strlen(lines[idx[i]].line.text);
            if (i)
                *p++ = ' ';
            memcpy(p, lines[idx[i]].line.text, k);
            p += k;
        }
        *p = 0;
    }
    out->lines[out->count++] = (ocr_line){.text = text,
                                          .confidence = (float)(conf / (double)words),
                                          .x = x0, .y = y0, .w = x1 - x0, .h = y1 - y0};
    return SL_OK;
}

/* The lines of several blocks read as rows, top to bottom. */
static sl_status emit_rows(ocr_layout_line *lines, size_t *idx, size_t n, ocr_result *out,
                           sl_error *err)
{
    sort_indices(idx, n, lines, cmp_center_y);
    size_t *row_of = malloc(n * sizeof *row_of);
    size_t *order = malloc(n * sizeof *order);
    if (!row_of || !order) {
        free(row_of), free(order);
        return sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory ordering lines");
    }
    /* Greedy rows: a line joins the latest row it shares height with, unless
     * that row already holds a line of its block (a block's lines are
     * separate rows by definition). */
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = rows;
        for (size_t j = i; j-- > 0;)
            if (same_row(&lines[idx[j]].line, &lines[idx[i]].line)) {
                r = row_of[j];
                break;
            }
        for (size_t j = 0; r < rows && j < i; j++)
            if (row_of[j] == r && lines[idx[j]].block == lines[idx[i]].block)
                r = rows;
        row_of[i] = r == rows ? rows++ : r;
    }
    sl_status st = SL_OK;
    for (size_t r = 0; r < rows && st == SL_OK; r++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (row_of[i] == r)
                order[k++] = idx[i];
        sort_indices(order, k, lines, cmp_x);
        st = emit(lines, order, k, out, err);
    }
    free(row_of), free(order);
    return st;
}

typedef struct interval {
    int x0, x1;
} interval;

static int cmp_interval(const void *a, const void *b)
{
    const interval *p = a, *q = b;
    return (p->x0 > q->x0) - (p->x0 < q->x0);
}

/* Columns of one block [first, end): the x ranges of its cut pieces, merged
 * where they overlap. Returns how many (0 when nothing was cut). */
static size_t block_columns(const ocr_layout_line *lines, size_t first, size_t end,
                           interval *cols)
{
    size_t k = 0;
    for (size_t i = first; i < end; i++)
        if (lines[i].split)
            cols[k++] = (interval){lines[i].line.x, lines[i].line.x + lines[i].line.w};
    if (k == 0)
        return 0;
    qsort(cols, k, sizeof *cols, cmp_interval);
    size_t m = 0;
    for (size_t i = 1; i < k; i++) {
        if (cols[i].x0 < cols[m].x1)
            cols[m].x1 = imax(cols[m].x1, cols[i].x1);
        else
            cols[++m] = cols[i];
    }
    return m + 1;
}

/* The column a line belongs to, or -1 when it spans several. */
static int line_column(const ocr_line *l, const interval *cols, size_t nc)
{
    int found = -1, best = -1;
    long best_d = -1;
    for (size_t c = 0; c < nc; c++) {
        if (l->x < cols[c].x1 && l->x + l->w > cols[c].x0) {
            if (found >= 0)
                return -1;
            found = (int)c;
        }
        long mid = (long)l->x * 2 + l->w, cmid = (long)cols[c].x0 + cols[c].x1;
        long d = mid > cmid ? mid - cmid : cmid - mid;
        if (best_d < 0 || d < best_d)
            best_d = d, best = (int)c;
    }
    return found >= 0 ? found : best;
}

/* Divides blocks with cut lines into column blocks: lines between two
 * spanning lines (a band) are grouped by column, left to right, each group a
 * new block; a spanning line is a block of its own. Rewrites lines[] in the
 * new order with new block numbers. */
static sl_status split_columns(ocr_layout_line *lines, size_t n, sl_error *err)
{
    ocr_layout_line *tmp = malloc(n * sizeof *tmp);
    interval *cols = malloc(n * sizeof *cols);
    int *col_of = malloc(n * sizeof *col_of);
    if (!tmp || !cols || !col_of) {
        free(tmp), free(cols), free(col_of);
        return sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory ordering %zu lines", n);
    }
    size_t k = 0;
    int next_block = 0;
    for (size_t first = 0; first < n;) {
        size_t end = first + 1;
        while (end < n && lines[end].block == lines[first].block)
            end++;
        size_t nc = block_columns(lines, first, end, cols);
        if (nc < 2) {
            for (size_t i = first; i < end; i++, k++) {
                tmp[k] = lines[i];
                tmp[k].block = next_block;
            }
            next_block++;
        } else {
            for (size_t i = first; i < end; i++)
                col_of[i] = line_column(&lines[i].line, cols, nc);
            for (size_t band = first; band < end;) {
                size_t band_end = band;
                while (band_end < end && col_of[band_end] >= 0)
                    band_end++;
                for (size_t c = 0; c < nc; c++) {
                    bool any = false;
                    for (size_t i = band; i < band_end; i++)
                        if (col_of[i] == (int)c) {
                            tmp[k] = lines[i];
                            tmp[k++].block = next_block;
                            any = true;
                        }
                    next_block += any;
                }
                if (band_end < end) { /* the spanning line */
                    tmp[k] = lines[band_end];
                    tmp[k++].block = next_block++;
                    band_end++;
                }
                band = band_end;
            }
        }
        first = end;
    }
    memcpy(lines, tmp, n * sizeof *lines);
    free(tmp), free(cols), free(col_of);
    return SL_OK;
}

sl_status ocr_layout_order(ocr_layout_line *lines, size_t n, int merge_rows, ocr_result *out,
                           sl_error *err)
{
    *out = (ocr_result){0};
    if (n == 0)
        return SL_OK;
    out->lines = calloc(n, sizeof *out->lines);
    size_t *idx = malloc(n * sizeof *idx);
    block_info *b = calloc(n, sizeof *b);
    int *heights = malloc(n * sizeof *heights);
    sl_status st = SL_OK;
    if (!out->lines || !idx || !b || !heights) {
        st = sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory ordering %zu lines", n);
        goto done;
    }
    if ((st = split_columns(lines, n, err)) != SL_OK)
        goto done;
    /* Blocks: runs of lines with the same block number. */
    int nb = 0;
    for (size_t i = 0; i < n; i++) {
        const ocr_line *l = &lines[i].line;
        if (i == 0 || lines[i].block != lines[i - 1].block) {
            b[nb] = (block_info){.x0 = l->x, .y0 = l->y, .x1 = l->x + l->w,
                                 .y1 = l->y + l->h, .first = i, .group = nb};
            nb++;
        }
        block_info *c = &b[nb - 1];
        c->x0 = imin(c->x0, l->x), c->y0 = imin(c->y0, l->y);
        c->x1 = imax(c->x1, l->x + l->w), c->y1 = imax(c->y1, l->y + l->h);
        c->count++;
    }
    for (int i = 0; i < nb; i++) {
        for (size_t k = 0; k < b[i].count; k++)
            heights[k] = lines[b[i].first + k].line.h;
        qsort(heights, b[i].count, sizeof *heights, cmp_int);
        b[i].height = heights[b[i].count / 2];
        for (size_t k = 0; k < b[i].count; k++)
            heights[k] = lines[b[i].first + k].words;
        qsort(heights, b[i].count, sizeof *heights, cmp_int);
        b[i].words = heights[b[i].count / 2];
    }
    if (merge_rows)
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < nb; j++)
                if (i != j && b[i].x0 <= b[j].x0 && table_pair(&b[i], &b[j], lines))
                    b[find(b, j)].group = find(b, i);

    bool *done_group = calloc((size_t)nb, sizeof *done_group);
    if (!done_group) {
        st = sl_fail(err, SL_ERR_NOMEM, "OCR: out of memory ordering %zu lines", n);
        goto done;
    }
    for (int i = 0; i < nb && st == SL_OK; i++) {
        int g = find(b, i);
        if (done_group[g])
            continue;
        done_group[g] = true;
        size_t k = 0;
        int members = 0;
        for (int j = i; j < nb; j++)
            if (find(b, j) == g) {
                members++;
                for (size_t m = 0; m < b[j].count; m++)
                    idx[k++] = b[j].first + m;
            }
        if (members == 1) {
            for (size_t m = 0; m < k && st == SL_OK; m++)
                st = emit(lines, &idx[m], 1, out, err);
        } else {
            st = emit_rows(lines, idx, k, out, err);
        }
    }
    free(done_group);
done:
    free(idx), free(b), free(heights);
    if (st != SL_OK)
        ocr_result_free(out);
    return st;
}
