#include "app/describe_basic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "red", "red and blue", "red, blue and white". */
static void colour_list(const scene_stats *s, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int i = 0; i < s->n_colours; i++) {
        const char *sep = i == 0 ? "" : i + 1 == s->n_colours ? " and " : ", ";
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s%s", sep, s->colours[i].name);
    }
}

sl_status describe_basic(const frame *pic, ocr_engine *ocr, basic_description *out,
                         sl_error *err)
{
    memset(out, 0, sizeof *out);
    scene_stats_compute(pic, &out->stats);
    ocr_result found = {0};
    if (ocr && ocr_read_frame(ocr, pic, &found, err) != SL_OK)
        return err ? err->code : SL_ERR_INTERNAL;
    out->text = ocr_result_text(&found);
    ocr_result_free(&found);
    if (!out->text)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");

    char colours[160], brief[512];
    colour_list(&out->stats, colours, sizeof colours);
    const char *light = scene_brightness_word(out->stats.brightness);
    if (out->stats.brightness < 0.08)
        snprintf(brief, sizeof brief,
                 "The picture is almost black: the lens may be covered or the light off.");
    else if (out->stats.n_colours)
        snprintf(brief, sizeof brief, "A %s scene, mostly %s.", light, colours);
    else
        snprintf(brief, sizeof brief, "A %s scene of many colours.", light);
    size_t len = strlen(brief);
    if (out->text[0]) {
        /* The first line of text is often a heading or a sign: worth
         * hearing before the details. */
        size_t first = strcspn(out->text, "\n");
        snprintf(brief + len, sizeof brief - len, " It has text, beginning \"%.*s\".",
                 (int)(first > 120 ? 120 : first), out->text);
    } else {
        snprintf(brief + len, sizeof brief - len, " No text is in view.");
    }
    out->brief = strdup(brief);
    if (!out->brief) {
        basic_description_free(out);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    }
    return SL_OK;
}

void basic_description_free(basic_description *d)
{
    free(d->brief);
    free(d->text);
    memset(d, 0, sizeof *d);
}
