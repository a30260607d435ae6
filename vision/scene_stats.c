#include "vision/scene_stats.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Hue sectors, in degrees, with the names people give them. Brown is dark
 * orange or red; it gets its own rule below. */
static const struct {
    float hue_end;
    const char *name, *dark_name;
} hue_names[] = {
    {15, "red", "dark red"},      {40, "orange", "brown"},      {68, "yellow", "olive"},
    {165, "green", "dark green"}, {195, "turquoise", "teal"},   {255, "blue", "dark blue"},
    {285, "purple", "dark purple"}, {340, "pink", "dark pink"}, {360, "red", "dark red"},
};

/* Every name the classifier can give, so shares can be counted in an
 * array instead of a map. */
static const char *const colour_names[] = {
    "black",     "grey",      "white",      "red",        "dark red",  "orange",
    "brown",     "yellow",    "olive",      "green",      "dark green", "turquoise",
    "teal",      "blue",      "dark blue",  "purple",     "dark purple", "pink",
    "dark pink",
};
#define N_COLOUR_NAMES (sizeof colour_names / sizeof colour_names[0])

const char *scene_colour_name(uint8_t r8, uint8_t g8, uint8_t b8)
{
    float r = r8 / 255.0f, g = g8 / 255.0f, b = b8 / 255.0f;
    float max = fmaxf(r, fmaxf(g, b)), min = fminf(r, fminf(g, b));
    float chroma = max - min;
    float sat = max > 0 ? chroma / max : 0;
    /* Thresholds chosen so that washed-out and very dark pixels, which
     * people call grey or black whatever their tint, are not named by hue. */
    if (max < 0.16f)
        return "black";
    if (sat < 0.18f || chroma < 0.08f)
        return max > 0.82f ? "white" : max < 0.3f ? "black" : "grey";
    float hue;
    if (max == r)
        hue = 60.0f * fmodf((g - b) / chroma + 6.0f, 6.0f);
    else if (max == g)
        hue = 60.0f * ((b - r) / chroma + 2.0f);
    else
        hue = 60.0f * ((r - g) / chroma + 4.0f);
    bool dark = max < 0.5f;
    for (size_t i = 0; i < sizeof hue_names / sizeof hue_names[0]; i++)
        if (hue < hue_names[i].hue_end) {
            /* Orange that is not bright reads as brown even at moderate value. */
            if (hue_names[i].name[0] == 'o' && max < 0.65f)
                return "brown";
            return dark ? hue_names[i].dark_name : hue_names[i].name;
        }
    return "red";
}

static size_t colour_index(const char *name)
{
    for (size_t i = 0; i < N_COLOUR_NAMES; i++)
        if (strcmp(colour_names[i], name) == 0)
            return i;
    return 0;
}

const char *scene_brightness_word(double v)
{
    return v < 0.12   ? "very dark"
           : v < 0.28 ? "dark"
           : v < 0.42 ? "dim"
           : v < 0.68 ? "moderately lit"
           : v < 0.85 ? "bright"
                      : "very bright";
}

void scene_stats_compute(const frame *f, scene_stats *out)
{
    memset(out, 0, sizeof *out);
    /* A grid of at most about 256x256 samples is plenty for averages and
     * shares, and keeps a 12-megapixel photo cheap. */
    int step_x = f->width / 256 + 1, step_y = f->height / 256 + 1;
    double sum = 0, sum2 = 0, n = 0;
    double counts[N_COLOUR_NAMES] = {0};
    for (int y = 0; y < f->height; y += step_y) {
        for (int x = 0; x < f->width; x += step_x) {
            const uint8_t *p = frame_pixel(f, x, y);
            double l = (0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]) / 255.0;
            sum += l;
            sum2 += l * l;
            n++;
            counts[colour_index(scene_colour_name(p[0], p[1], p[2]))]++;
        }
    }
    if (n == 0)
        return;
    out->brightness = sum / n;
    double var = sum2 / n - out->brightness * out->brightness;
    out->contrast = var > 0 ? sqrt(var) : 0;
    for (int k = 0; k < SCENE_MAX_COLOURS; k++) {
        size_t best = 0;
        for (size_t i = 1; i < N_COLOUR_NAMES; i++)
            if (counts[i] > counts[best])
                best = i;
        double share = counts[best] / n;
        if (share < SCENE_COLOUR_MIN_SHARE)
            break;
        out->colours[out->n_colours++] = (scene_colour){colour_names[best], share};
        counts[best] = -1;
    }
}
