#include "app/meeting_summary.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sentence {
    const meeting_segment *seg;
    size_t seg_index;
    char *text;
    char **words; /* content words, lower-case */
    size_t n_words;
    size_t n_all; /* all words */
} sentence;

static const char *const stop_words[] = {
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "did", "do", "does", "for", "from", "get", "got", "had",
    "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is",
    "it", "its", "just", "let", "lets", "like", "me", "more", "my", "no", "not", "now", "of",
    "ok", "okay", "on", "one", "or", "our", "out", "she", "so", "some", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "to", "too", "up", "us",
    "very", "was", "we", "well", "were", "what", "when", "where", "which", "who", "why",
    "will", "with", "would", "yes", "you", "your", "ll", "s", "t", "re", "ve", "m", "d",
    "think", "really", "good", "great", "thanks", "thank", "right", "sure", "yeah",
};

static bool is_stop(const char *w)
{
    for (size_t i = 0; i < sizeof stop_words / sizeof stop_words[0]; i++)
        if (strcmp(stop_words[i], w) == 0)
            return true;
    return false;
}

static void free_sentences(sentence *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < s[i].n_words; k++)
            free(s[i].words[k]);
        free(s[i].words);
        free(s[i].text);
    }
    free(s);
}

static bool tokenize(sentence *s)
{
    size_t n = strlen(s->text);
    s->words = calloc(n / 2 + 1, sizeof *s->words);
    if (!s->words)
        return false;
    for (size_t i = 0; i < n;) {
        if (!isalnum((unsigned char)s->text[i]) && (unsigned char)s->text[i] < 0x80) {
            i++;
            continue;
        }
        size_t st = i;
        while (i < n && (isalnum((unsigned char)s->text[i]) || (unsigned char)s->text[i] >= 0x80))
            i++;
        s->n_all++;
        char w[64];
        size_t len = i - st < sizeof w - 1 ? i - st : sizeof w - 1;
        for (size_t k = 0; k < len; k++)
            w[k] = (char)tolower((unsigned char)s->text[st + k]);
        w[len] = '\0';
        /* A crude stem so "budgets" and "budget" meet. */
        if (len > 4 && w[len - 1] == 's' && w[len - 2] != 's')
            w[--len] = '\0';
        if (is_stop(w))
            continue;
        if (!(s->words[s->n_words] = strdup(w)))
            return false;
        s->n_words++;
    }
    return true;
}

/* Sentences of every segment: split after . ? ! followed by a space. */
static sl_status split(const meeting_segments *segs, sentence **out, size_t *count,
                       sl_error *err)
{
    size_t cap = 64, n = 0;
    sentence *s = calloc(cap, sizeof *s);
    if (!s)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory summarizing");
    for (size_t g = 0; g < segs->count; g++) {
        const char *t = segs->items[g].text;
        while (*t) {
            while (*t == ' ')
                t++;
            const char *e = t;
            while (*e && !((*e == '.' || *e == '?' || *e == '!') && (e[1] == ' ' || !e[1])))
                e++;
            if (*e)
                e++;
            if (e > t) {
                if (n == cap) {
                    sentence *gr = realloc(s, cap * 2 * sizeof *gr);
                    if (!gr) {
                        free_sentences(s, n);
                        return sl_fail(err, SL_ERR_NOMEM, "out of memory summarizing");
                    }
                    s = gr;
                    memset(s + cap, 0, cap * sizeof *s);
                    cap *= 2;
                }
                s[n].seg = &segs->items[g];
                s[n].seg_index = g;
                s[n].text = strndup(t, (size_t)(e - t));
                n++;
                if (!s[n - 1].text || !tokenize(&s[n - 1])) {
                    free_sentences(s, n);
                    return sl_fail(err, SL_ERR_NOMEM, "out of memory summarizing");
                }
            }
            t = e;
        }
    }
    *out = s;
    *count = n;
    return SL_OK;
}

static double similarity(const sentence *a, const sentence *b)
{
    if (a->n_words < 2 || b->n_words < 2)
        return 0;
    size_t common = 0;
    for (size_t i = 0; i < a->n_words; i++)
        for (size_t k = 0; k < b->n_words; k++)
            if (strcmp(a->words[i], b->words[k]) == 0) {
                common++;
                break;
            }
    return (double)common / (log((double)a->n_words) + log((double)b->n_words));
}

/* Case-insensitive search for a cue; returns the offset or -1. Cues match at
 * word starts only. */
static long find_cue(const char *text, const char *cue)
{
    size_t n = strlen(text), c = strlen(cue);
    for (size_t i = 0; i + c <= n; i++) {
        if (i > 0 && isalnum((unsigned char)text[i - 1]))
            continue;
        if (strncasecmp(text + i, cue, c) == 0 &&
            (i + c == n || !isalnum((unsigned char)text[i + c]) || !isalnum((unsigned char)cue[c - 1])))
            return (long)i;
    }
    return -1;
}

static const char *const decision_cues[] = {
    "we decided", "we agreed", "let's go with", "lets go with", "decision", "we will go with",
    "we'll go with", "agreed to", "decided to", "it's decided", "we are going with",
};

static const char *const due_cues[] = {
    "by monday", "by tuesday", "by wednesday", "by thursday", "by friday", "by saturday",
    "by sunday", "by tomorrow", "by the end of the day", "by end of day",
    "by the end of the week", "by end of week", "by the end of the month", "by next week",
    "by next monday", "by next friday", "next week", "tomorrow", "on monday", "on tuesday",
    "on wednesday", "on thursday", "on friday", "before the next meeting", "by the next meeting",
    "end of the month", "end of the week",
};

/* Words that start sentences or stand before "will" without being people. */
static const char *const not_people[] = {
    "it", "this", "that", "we", "they", "there", "he", "she", "you", "who", "what", "which",
    "everyone", "nobody", "somebody", "someone", "team", "the", "and", "but", "so", "budget",
    "which", "plan", "that'll", "how", "when", "nothing", "everything", "price", "cost",
};

static bool is_not_person(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof not_people / sizeof not_people[0]; i++)
        if (strlen(not_people[i]) == n && strncasecmp(not_people[i], w, n) == 0)
            return true;
    return false;
}

/* The capitalised word ending just before offset at (skipping a space), or
 * NULL. */
static char *name_before(const char *text, long at)
{
    long e = at;
    while (e > 0 && text[e - 1] == ' ')
        e--;
    long s = e;
    while (s > 0 && isalpha((unsigned char)text[s - 1]))
        s--;
    if (e == s || !isupper((unsigned char)text[s]) || is_not_person(text + s, (size_t)(e - s)))
        return NULL;
    return strndup(text + s, (size_t)(e - s));
}

/* "Dana, can you" / "can you ..., Dana?": the addressed name, or NULL. */
static char *addressed_name(const char *text)
{
    const char *comma = strchr(text, ',');
    if (comma) {
        size_t n = (size_t)(comma - text);
        bool word = n > 1 && n < 24 && isupper((unsigned char)text[0]);
        for (size_t i = 0; word && i < n; i++)
            word = isalpha((unsigned char)text[i]) != 0;
        if (word && !is_not_person(text, n) && strncasecmp(text, "okay", n) &&
            strncasecmp(text, "so", n) && strncasecmp(text, "also", n) &&
            strncasecmp(text, "well", n))
            return strndup(text, n);
    }
    const char *last = strrchr(text, ',');
    if (last) {
        const char *w = last + 1;
        while (*w == ' ')
            w++;
        size_t n = 0;
        while (isalpha((unsigned char)w[n]))
            n++;
        if (n > 1 && isupper((unsigned char)w[0]) && (w[n] == '?' || w[n] == '.' || !w[n]) &&
            !is_not_person(w, n))
            return strndup(w, n);
    }
    return NULL;
}

static char *due_of(const char *text)
{
    for (size_t i = 0; i < sizeof due_cues / sizeof due_cues[0]; i++) {
        long at = find_cue(text, due_cues[i]);
        if (at >= 0)
            return strndup(text + at, strlen(due_cues[i]));
    }
    return NULL;
}

/* Whether the sentence commits someone to do something, and who. */
static bool action_of(const sentence *s, const sentence *next, char **owner)
{
    const char *t = s->text;
    *owner = NULL;
    long at;
    if ((at = find_cue(t, "action item")) >= 0) {
        const char *rest = t + at + strlen("action item");
        while (*rest == ':' || *rest == ' ' || *rest == 's')
            rest++;
        size_t n = 0;
        while (isalpha((unsigned char)rest[n]))
            n++;
        if (n > 1 && isupper((unsigned char)rest[0]) && !is_not_person(rest, n))
            *owner = strndup(rest, n);
        else if (strncasecmp(rest, "I ", 2) == 0 || strncasecmp(rest, "me ", 3) == 0)
            *owner = strdup(s->seg->name ? s->seg->name : s->seg->speaker);
        return true;
    }
    if (t[strlen(t) - 1] == '?' && find_cue(t, "can you") < 0 && find_cue(t, "could you") < 0)
        return false;
    if (find_cue(t, "i will") >= 0 || find_cue(t, "i'll") >= 0 || find_cue(t, "i can take") >= 0 ||
        find_cue(t, "i'm going to") >= 0) {
        /* "I will say" / "I'll be honest" are not commitments. */
        if (find_cue(t, "i will say") >= 0 || find_cue(t, "i'll be honest") >= 0 ||
            find_cue(t, "i will admit") >= 0)
            return false;
        *owner = strdup(s->seg->name ? s->seg->name : s->seg->speaker);
        return true;
    }
    if ((at = find_cue(t, "will")) > 0) {
        char *who = name_before(t, at);
        if (who) {
            *owner = who;
            return true;
        }
    }
    if (find_cue(t, "can you") >= 0 || find_cue(t, "could you") >= 0) {
        char *who = addressed_name(t);
        if (!who && next && next->seg != s->seg)
            who = strdup(next->seg->name ? next->seg->name : next->seg->speaker);
        *owner = who;
        return true;
    }
    return false;
}

static sl_status push(summary_list *l, const sentence *s, char *owner, char *due, sl_error *err)
{
    summary_item *g = realloc(l->items, (l->count + 1) * sizeof *g);
    if (!g) {
        free(owner);
        free(due);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory summarizing");
    }
    l->items = g;
    summary_item *it = &g[l->count++];
    it->t_ms = s->seg->t0_ms;
    it->speaker = strdup(s->seg->name ? s->seg->name : s->seg->speaker);
    it->text = strdup(s->text);
    it->owner = owner;
    it->due = due;
    if (!it->speaker || !it->text)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory summarizing");
    return SL_OK;
}

sl_status meeting_summarize_extractive(const meeting_segments *segs, size_t max_sentences,
                                       meeting_summary *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (max_sentences == 0)
        max_sentences = 5;
    sentence *s = NULL;
    size_t n = 0;
    sl_status st = split(segs, &s, &n, err);
    if (st != SL_OK)
        return st;
    /* Quadratic in sentences: cap it so a long meeting stays bounded. */
    size_t ranked = n < 4000 ? n : 4000;
    double *w = calloc(ranked * ranked + 1, sizeof *w), *score = calloc(ranked + 1, sizeof *score),
           *next = calloc(ranked + 1, sizeof *next), *out_sum = calloc(ranked + 1, sizeof *next);
    if (!w || !score || !next || !out_sum)
        st = sl_fail(err, SL_ERR_NOMEM, "out of memory summarizing");
    for (size_t i = 0; st == SL_OK && i < ranked; i++)
        for (size_t k = i + 1; k < ranked; k++) {
            double v = similarity(&s[i], &s[k]);
            w[i * ranked + k] = w[k * ranked + i] = v;
            out_sum[i] += v;
            out_sum[k] += v;
        }
    for (size_t i = 0; st == SL_OK && i < ranked; i++)
        score[i] = 1.0;
    for (int it = 0; st == SL_OK && it < 40; it++) {
        for (size_t i = 0; i < ranked; i++) {
            double acc = 0;
            for (size_t k = 0; k < ranked; k++)
                if (out_sum[k] > 0)
                    acc += w[k * ranked + i] / out_sum[k] * score[k];
            next[i] = 0.15 + 0.85 * acc;
        }
        memcpy(score, next, ranked * sizeof *score);
    }
    /* The best sentences of 6+ words, printed in time order. */
    bool *chosen = calloc(ranked + 1, sizeof *chosen);
    if (st == SL_OK && !chosen)
        st = sl_fail(err, SL_ERR_NOMEM, "out of memory summarizing");
    for (size_t pick = 0; st == SL_OK && pick < max_sentences; pick++) {
        long best = -1;
        for (size_t i = 0; i < ranked; i++)
            if (!chosen[i] && s[i].n_all >= 6 && (best < 0 || score[i] > score[best]))
                best = (long)i;
        if (best < 0)
            break;
        chosen[best] = true;
    }
    for (size_t i = 0; st == SL_OK && i < ranked; i++)
        if (chosen[i])
            st = push(&out->summary, &s[i], NULL, NULL, err);
    for (size_t i = 0; st == SL_OK && i < n; i++) {
        const char *t = s[i].text;
        bool decision = false;
        if (t[strlen(t) - 1] != '?')
            for (size_t c = 0; c < sizeof decision_cues / sizeof decision_cues[0]; c++)
                if (find_cue(t, decision_cues[c]) >= 0)
                    decision = true;
        if (decision)
            st = push(&out->decisions, &s[i], NULL, NULL, err);
        char *owner = NULL;
        if (st == SL_OK && !decision && action_of(&s[i], i + 1 < n ? &s[i + 1] : NULL, &owner))
            st = push(&out->actions, &s[i], owner, due_of(t), err);
    }
    free(chosen);
    free(w);
    free(score);
    free(next);
    free(out_sum);
    free_sentences(s, n);
    if (st != SL_OK)
        meeting_summary_free(out);
    return st;
}

static bool append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static bool append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return false;
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return true;
        }
        char *g = realloc(*buf, *cap * 2 + (size_t)n);
        if (!g)
            return false;
        *buf = g;
        *cap = *cap * 2 + (size_t)n;
    }
}

static void hms(int64_t ms, char *b, size_t n)
{
    long long s = (long long)(ms / 1000);
    snprintf(b, n, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

char *meeting_summary_markdown(const meeting_summary *s)
{
    size_t cap = 4096, len = 0;
    char *b = malloc(cap), t[32];
    if (!b)
        return NULL;
    b[0] = '\0';
    bool ok = append(&b, &len, &cap, "### Summary\n\n");
    for (size_t i = 0; ok && i < s->summary.count; i++) {
        hms(s->summary.items[i].t_ms, t, sizeof t);
        ok = append(&b, &len, &cap, "- [%s] %s\n", t, s->summary.items[i].text);
    }
    ok = ok && append(&b, &len, &cap, "\n### Decisions\n\n");
    for (size_t i = 0; ok && i < s->decisions.count; i++) {
        hms(s->decisions.items[i].t_ms, t, sizeof t);
        ok = append(&b, &len, &cap, "- [%s] %s\n", t, s->decisions.items[i].text);
    }
    ok = ok && append(&b, &len, &cap, "\n### Action items\n\n");
    for (size_t i = 0; ok && i < s->actions.count; i++) {
        const summary_item *a = &s->actions.items[i];
        hms(a->t_ms, t, sizeof t);
        ok = append(&b, &len, &cap, "- [%s] %s (owner: %s; due: %s)\n", t, a->text,
                    a->owner ? a->owner : "unknown", a->due ? a->due : "not said");
    }
    if (!ok) {
        free(b);
        return NULL;
    }
    return b;
}

static void list_free(summary_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].speaker);
        free(l->items[i].text);
        free(l->items[i].owner);
        free(l->items[i].due);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

void meeting_summary_free(meeting_summary *s)
{
    list_free(&s->summary);
    list_free(&s->decisions);
    list_free(&s->actions);
}

/* Removes every <think>...</think> (an unclosed one runs to the end). */
void meeting_strip_think(char *s)
{
    char *w = s, *r = s;
    while (*r) {
        if (strncmp(r, "<think>", 7) == 0) {
            char *e = strstr(r + 7, "</think>");
            r = e ? e + 8 : r + strlen(r);
            continue;
        }
        if (strncmp(r, "</think>", 8) == 0) {
            /* A closing tag alone: everything before it was reasoning. */
            w = s;
            r += 8;
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
}
