#include "app/json.h"

#include <math.h>
#include <string.h>

void json_init(json_writer *w, FILE *out, bool pretty)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->pretty = pretty;
}

static void newline_indent(json_writer *w)
{
    if (!w->pretty)
        return;
    fputc('\n', w->out);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->out);
}

/* Every value and key starts here: a comma if a sibling came before, and
 * nothing at all right after a key. */
static void before_item(json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (w->need_comma[w->depth])
            fputc(',', w->out);
        newline_indent(w);
        w->need_comma[w->depth] = true;
    }
}

static void open_scope(json_writer *w, char c)
{
    before_item(w);
    fputc(c, w->out);
    if (w->depth + 1 < JSON_MAX_DEPTH)
        w->depth++;
    w->need_comma[w->depth] = false;
}

static void close_scope(json_writer *w, char c)
{
    bool had_items = w->need_comma[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (had_items)
        newline_indent(w);
    fputc(c, w->out);
}

void json_begin_object(json_writer *w) { open_scope(w, '{'); }
void json_end_object(json_writer *w) { close_scope(w, '}'); }
void json_begin_array(json_writer *w) { open_scope(w, '['); }
void json_end_array(json_writer *w) { close_scope(w, ']'); }

static void write_escaped(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (c < 0x20)
                fprintf(out, "\\u%04x", c);
            else
                fputc(c, out); /* UTF-8 passes through: JSON text is UTF-8 */
        }
    }
    fputc('"', out);
}

void json_key(json_writer *w, const char *key)
{
    before_item(w);
    write_escaped(w->out, key, strlen(key));
    fputs(w->pretty ? ": " : ":", w->out);
    w->after_key = true;
}

void json_string_n(json_writer *w, const char *s, size_t n)
{
    before_item(w);
    write_escaped(w->out, s, n);
}

void json_string(json_writer *w, const char *s)
{
    if (!s) {
        json_null(w);
        return;
    }
    json_string_n(w, s, strlen(s));
}

void json_int(json_writer *w, int64_t v)
{
    before_item(w);
    fprintf(w->out, "%lld", (long long)v);
}

void json_double(json_writer *w, double v)
{
    before_item(w);
    if (!isfinite(v))
        fputs("null", w->out); /* JSON has no NaN or infinity */
    else
        fprintf(w->out, "%.9g", v);
}

void json_bool(json_writer *w, bool v)
{
    before_item(w);
    fputs(v ? "true" : "false", w->out);
}

void json_null(json_writer *w)
{
    before_item(w);
    fputs("null", w->out);
}

void json_finish(json_writer *w)
{
    fputc('\n', w->out);
    fflush(w->out);
}

void json_kv_string(json_writer *w, const char *key, const char *s)
{
    json_key(w, key);
    json_string(w, s);
}

void json_kv_int(json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_int(w, v);
}

void json_kv_double(json_writer *w, const char *key, double v)
{
    json_key(w, key);
    json_double(w, v);
}

void json_kv_bool(json_writer *w, const char *key, bool v)
{
    json_key(w, key);
    json_bool(w, v);
}
