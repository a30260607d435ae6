/* sightline sign: recognise the signs and fingerspelled words in a video (or
 * from the camera) among those the user taught. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_speech.h"
#include "app/commands.h"
#include "app/hands_input.h"
#include "app/json.h"

enum { CAMERA_FPS_ASSUMED = 30, CAMERA_SECONDS_DEFAULT = 10, ITEM_TEXT_MAX = 512 };

/* One thing recognised: a sign, a spelled word, or something unknown. */
typedef struct sign_item {
    enum { ITEM_SIGN, ITEM_WORD, ITEM_UNKNOWN } type;
    char text[ITEM_TEXT_MAX];
    float confidence;
    int start, end; /* frames */
    sign_result sign; /* ITEM_SIGN and ITEM_UNKNOWN: the sign answer */
    int n_letters, first_letter; /* ITEM_WORD: letters[first_letter ..] */
} sign_item;

typedef struct recognition {
    sign_item *items;
    int n_items;
    sign_result *letters; /* every letter answer, in order */
    sign_segment *letter_segs;
    int n_letters;
} recognition;

static void recognition_free(recognition *r)
{
    free(r->items);
    free(r->letters);
    free(r->letter_segs);
}

static sl_status classify_range(const sign_classifier *c, sign_kind kind,
                                const hands_recording *rec, int start, int end, sign_result *out,
                                sl_error *err)
{
    sign_sequence seq;
    sl_status st = signs_sequence(rec->frames + start, end - start, &seq, err);
    if (st != SL_OK)
        return st;
    st = sign_classify(c, kind, &seq, out, err);
    signs_sequence_free(&seq);
    return st;
}

/* A stretch of hands is a sign when it matches a taught sign; otherwise its
 * holds are spelled letters, joined into one word (a pause without hands ends
 * the word). */
static sl_status recognise(const sign_classifier *c, int n_signs, int n_letters,
                           const hands_recording *rec, recognition *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    int max = rec->n > 0 ? rec->n : 1;
    sign_segment *seg = malloc((size_t)max * sizeof *seg);
    out->items = calloc((size_t)max, sizeof *out->items);
    out->letters = calloc((size_t)max, sizeof *out->letters);
    out->letter_segs = calloc((size_t)max, sizeof *out->letter_segs);
    if (!seg || !out->items || !out->letters || !out->letter_segs) {
        free(seg);
        recognition_free(out);
        return sl_fail(err, SL_ERR_NOMEM, "out of memory");
    }
    int count = signs_segment(rec->frames, rec->n, NULL, seg, max);
    sl_status st = SL_OK;
    for (int i = 0; st == SL_OK && i < count;) {
        const sign_segment *motion = seg[i].kind == SIGN_SEGMENT_MOTION ? &seg[i] : NULL;
        int first_hold = motion ? i + 1 : i, end_hold = first_hold;
        if (motion) {
            while (end_hold < count && seg[end_hold].kind == SIGN_SEGMENT_HOLD &&
                   seg[end_hold].start >= motion->start && seg[end_hold].end <= motion->end)
                end_hold++;
        } else {
            /* Holds of a stretch too short to be a sign: up to the word's end. */
            while (end_hold < count && seg[end_hold].kind == SIGN_SEGMENT_HOLD) {
                end_hold++;
                if (seg[end_hold - 1].word_end)
                    break;
            }
        }
        i = end_hold > i ? end_hold : i + 1;

        sign_item *item = &out->items[out->n_items];
        memset(item, 0, sizeof *item);
        item->start = motion ? motion->start : seg[first_hold].start;
        item->end = motion ? motion->end : seg[end_hold - 1].end;
        item->type = ITEM_UNKNOWN;
        snprintf(item->text, sizeof item->text, "unknown");
        if (motion && n_signs > 0) {
            st = classify_range(c, SIGN_KIND_SIGN, rec, motion->start, motion->end, &item->sign,
                                err);
            if (st != SL_OK)
                break;
            if (!item->sign.unknown) {
                item->type = ITEM_SIGN;
                snprintf(item->text, sizeof item->text, "%s", item->sign.name);
                item->confidence = item->sign.confidence;
                out->n_items++;
                continue;
            }
            item->confidence = item->sign.confidence;
        }
        if (n_letters > 0 && end_hold > first_hold) {
            char word[ITEM_TEXT_MAX] = "";
            size_t len = 0;
            int known = 0;
            float lowest = 1;
            item->first_letter = out->n_letters;
            for (int h = first_hold; st == SL_OK && h < end_hold; h++) {
                sign_result *l = &out->letters[out->n_letters];
                st = classify_range(c, SIGN_KIND_LETTER, rec, seg[h].start, seg[h].end, l, err);
                if (st != SL_OK)
                    break;
                out->letter_segs[out->n_letters++] = seg[h];
                item->n_letters++;
                const char *piece = l->unknown ? "?" : l->name;
                size_t pl = strlen(piece);
                if (len + pl < sizeof word) {
                    memcpy(word + len, piece, pl + 1);
                    len += pl;
                }
                if (!l->unknown) {
                    known++;
                    if (l->confidence < lowest)
                        lowest = l->confidence;
                }
            }
            if (st != SL_OK)
                break;
            if (known > 0) {
                item->type = ITEM_WORD;
                snprintf(item->text, sizeof item->text, "%s", word);
                item->confidence = lowest;
            }
        }
        out->n_items++;
    }
    free(seg);
    if (st != SL_OK)
        recognition_free(out);
    return st;
}

static void print_text(const recognition *r)
{
    for (int i = 0; i < r->n_items; i++) {
        const sign_item *it = &r->items[i];
        switch (it->type) {
        case ITEM_SIGN:
            printf("%s (confidence %.2f)\n", it->text, it->confidence);
            break;
        case ITEM_WORD:
            printf("%s (spelled", it->text);
            for (int k = 0; k < it->n_letters; k++) {
                const sign_result *l = &r->letters[it->first_letter + k];
                printf(" %s", l->unknown ? "?" : l->name);
            }
            printf(", confidence %.2f)\n", it->confidence);
            break;
        case ITEM_UNKNOWN:
            if (it->sign.nearest[0])
                printf("unknown (nearest %s, confidence %.2f)\n", it->sign.nearest,
                       it->sign.confidence);
            else
                printf("unknown\n");
            break;
        }
    }
}

static void json_result(json_writer *w, const sign_result *r)
{
    json_kv_bool(w, "unknown", r->unknown);
    json_kv_double(w, "confidence", r->confidence);
    json_kv_double(w, "distance", r->distance);
    json_kv_string(w, "nearest", r->nearest);
}

static void print_json(const char *source, const hands_recording *rec, const recognition *r,
                       const char *sentence)
{
    static const char *const types[] = {"sign", "word", "unknown"};
    json_writer w;
    json_init(&w, stdout, false);
    json_begin_object(&w);
    json_kv_string(&w, "source", source);
    json_kv_int(&w, "frames", rec->n);
    json_kv_int(&w, "frames_with_hands", rec->with_hands);
    json_kv_string(&w, "text", sentence);
    json_key(&w, "items");
    json_begin_array(&w);
    for (int i = 0; i < r->n_items; i++) {
        const sign_item *it = &r->items[i];
        json_begin_object(&w);
        json_kv_string(&w, "type", types[it->type]);
        json_kv_string(&w, "text", it->text);
        json_kv_double(&w, "confidence", it->confidence);
        json_kv_int(&w, "start_frame", it->start);
        json_kv_int(&w, "end_frame", it->end);
        if (it->type != ITEM_WORD && it->sign.nearest[0]) {
            json_key(&w, "sign");
            json_begin_object(&w);
            json_result(&w, &it->sign);
            json_end_object(&w);
        }
        if (it->n_letters > 0) {
            json_key(&w, "letters");
            json_begin_array(&w);
            for (int k = 0; k < it->n_letters; k++) {
                const sign_result *l = &r->letters[it->first_letter + k];
                const sign_segment *s = &r->letter_segs[it->first_letter + k];
                json_begin_object(&w);
                json_kv_string(&w, "text", l->unknown ? "?" : l->name);
                json_kv_int(&w, "start_frame", s->start);
                json_kv_int(&w, "end_frame", s->end);
                json_result(&w, l);
                json_end_object(&w);
            }
            json_end_array(&w);
        }
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    json_finish(&w);
}

static int run_sign(app_context *app, int argc, char **argv)
{
    const char *path = NULL;
    bool camera = false, json = false;
    long seconds = CAMERA_SECONDS_DEFAULT;
    speak_request say;
    speak_request_init(&say);
    for (int i = 1; i < argc; i++) {
        int used = speak_parse_option(&cmd_sign, argc, argv, &i, &say);
        if (used < 0)
            return -used;
        if (used)
            continue;
        if (strcmp(argv[i], "--camera") == 0) {
            camera = true;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--seconds") == 0) {
            if (i + 1 >= argc || !cli_parse_int(argv[i + 1], 1, 3600, &seconds))
                return cli_usage_error(&cmd_sign, "--seconds wants a number from 1 to 3600");
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error(&cmd_sign, "unknown option '%s'", argv[i]);
        } else if (path) {
            return cli_usage_error(&cmd_sign, "one video at a time ('%s' and '%s')", path,
                                   argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (camera == (path != NULL))
        return cli_usage_error(&cmd_sign, camera ? "give a video or --camera, not both"
                                                 : "which video? (or --camera)");
    int rc = speak_check_output(&say);
    if (rc != EXIT_OK)
        return rc;

    sl_error err = {0};
    sl_db *db = NULL;
    sign_classifier *c = NULL;
    int n_signs = 0, n_letters = 0;
    sl_status st = hands_open_db(app, &db, &err);
    if (st == SL_OK)
        st = hands_load_classifier(db, &c, &n_signs, &n_letters, &err);
    db_close(db);
    if (st != SL_OK)
        return cli_fail(&err);
    if (n_signs + n_letters == 0) {
        sign_classifier_free(c);
        fprintf(stderr, "sightline sign: nothing taught yet: teach signs first (sightline teach"
                        " sign NAME VIDEO...)\n");
        return EXIT_USAGE;
    }

    thread_pool *pool = NULL;
    hands_recording rec = {0};
    recognition r = {0};
    st = hands_pool_create(app, &pool, &err);
    char note[128];
    snprintf(note, sizeof note, "watching the camera for %ld seconds (Ctrl-C ends sooner)",
             seconds);
    if (st == SL_OK && camera)
        hands_input_catch_interrupt();
    if (st == SL_OK)
        st = hands_record(path, camera ? seconds * CAMERA_FPS_ASSUMED : 0, pool, app,
                          camera ? note : NULL, &rec, &err);
    thread_pool_destroy(pool);
    if (st == SL_OK)
        st = recognise(c, n_signs, n_letters, &rec, &r, &err);
    sign_classifier_free(c);
    if (st != SL_OK) {
        hands_recording_free(&rec);
        return cli_fail(&err);
    }

    /* What was recognised as one line of text: known signs and words. */
    char sentence[4096] = "";
    size_t len = 0;
    for (int i = 0; i < r.n_items; i++) {
        if (r.items[i].type == ITEM_UNKNOWN)
            continue;
        int wrote = snprintf(sentence + len, sizeof sentence - len, "%s%s", len ? " " : "",
                             r.items[i].text);
        if (wrote < 0 || (size_t)wrote >= sizeof sentence - len)
            break;
        len += (size_t)wrote;
    }
    if (json)
        print_json(camera ? "camera" : path, &rec, &r, sentence);
    else
        print_text(&r);
    fflush(stdout);
    cli_note(app, "%d item%s in %d frames (hands in %d)", r.n_items, r.n_items == 1 ? "" : "s",
             rec.n, rec.with_hands);
    /* What the signer said, for the hearing person in the room. */
    rc = speak_text(app, &say, len ? sentence : "No sign recognised.");
    recognition_free(&r);
    hands_recording_free(&rec);
    return rc;
}

const command cmd_sign = {
    .name = "sign",
    .summary = "recognise taught signs and fingerspelling: sightline sign clip.mp4",
    .help = "usage: sightline sign VIDEO|--camera [--json] [--seconds N] [--speak] [--wav F]\n"
            "\n"
            "Finds the signs and fingerspelled words in a video among those taught with\n"
            "'sightline teach', and prints one line for each, in order:\n"
            "  NAME (confidence C)                a taught sign\n"
            "  WORD (spelled L L L, confidence C)  held letters joined into a word; a\n"
            "                                     letter not recognised shows as ?\n"
            "  unknown (nearest NAME, confidence C)  hands moved, but not like any taught\n"
            "                                     sign\n"
            "A pause without hands ends a sign or a word. The confidence (0 to 1) says how\n"
            "much nearer the answer is than the next best.\n"
            "\n"
            "  --json         one JSON document: {source, frames, frames_with_hands, text,\n"
            "                 items: [{type: sign|word|unknown, text, confidence,\n"
            "                 start_frame, end_frame, sign: {...}, letters: [...]}]}\n"
            "  --camera       watch the camera instead of a file\n"
            "  --seconds N    how long to watch the camera (default 10; Ctrl-C ends sooner)\n"
            SPEAK_OPTIONS_HELP
            "\n"
            "Examples:\n"
            "  sightline sign conversation.mp4\n"
            "  sightline sign --camera --json\n",
    .run = run_sign,
};
