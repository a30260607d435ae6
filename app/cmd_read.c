#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/app_input.h"
#include "app/app_speech.h"
#include "app/commands.h"
#include "app/json.h"
#include "storage/storage.h"
#include "vision/vision.h"

/* What is said when a picture holds no text: silence would leave a blind
 * user wondering whether anything happened. */
#define READ_NOTHING_FOUND "No text found."

typedef struct read_request {
    const char *path;   /* NULL with --camera */
    const char *camera; /* --device */
    bool use_camera;
    const char *lang;
    bool json;
    speak_request say;
} read_request;

static int parse_read(int argc, char **argv, read_request *q)
{
    memset(q, 0, sizeof *q);
    speak_request_init(&q->say);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int used = speak_parse_option(&cmd_read, argc, argv, &i, &q->say);
        if (used < 0)
            return -used;
        if (used)
            continue;
        if (strcmp(a, "--json") == 0) {
            q->json = true;
        } else if (strcmp(a, "--camera") == 0) {
            q->use_camera = true;
        } else if (strcmp(a, "--device") == 0 || strcmp(a, "--lang") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(&cmd_read, "%s needs a value", a);
            *(a[2] == 'd' ? &q->camera : &q->lang) = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error(&cmd_read, "unknown option '%s'", a);
        } else if (q->path) {
            return cli_usage_error(&cmd_read, "one picture at a time ('%s' and '%s')", q->path,
                                   a);
        } else {
            q->path = a;
        }
    }
    if (q->camera)
        q->use_camera = true;
    if (q->use_camera && q->path)
        return cli_usage_error(&cmd_read, "give a picture or --camera, not both");
    if (!q->use_camera && !q->path)
        return cli_usage_error(&cmd_read, "which picture? give a file or --camera");
    return EXIT_OK;
}

static void print_json(const read_request *q, const ocr_result *r, int64_t ms)
{
    json_writer w;
    json_init(&w, stdout, false);
    json_begin_object(&w);
    json_kv_string(&w, "source", q->path ? q->path : q->camera ? q->camera : "camera");
    json_kv_string(&w, "lang", q->lang ? q->lang : "eng");
    json_kv_int(&w, "duration_ms", ms);
    json_key(&w, "lines");
    json_begin_array(&w);
    for (size_t i = 0; i < r->count; i++) {
        const ocr_line *l = &r->lines[i];
        json_begin_object(&w);
        json_kv_string(&w, "text", l->text);
        json_kv_double(&w, "confidence", l->confidence);
        json_key(&w, "box");
        json_begin_object(&w);
        json_kv_int(&w, "x", l->x);
        json_kv_int(&w, "y", l->y);
        json_kv_int(&w, "w", l->w);
        json_kv_int(&w, "h", l->h);
        json_end_object(&w);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    json_finish(&w);
}

static int run_read(app_context *app, int argc, char **argv)
{
    read_request q;
    int rc = parse_read(argc, argv, &q);
    if (rc != EXIT_OK)
        return rc;
    if ((rc = speak_check_output(&q.say)) != EXIT_OK)
        return rc;
    int64_t started = db_now_ms();

    sl_error err = {0};
    ocr_engine *ocr = NULL;
    if (ocr_open(q.lang, &ocr, &err) != SL_OK)
        return cli_fail(&err);
    frame pic;
    if ((rc = app_grab_picture(app, q.use_camera ? NULL : q.path, q.camera, &pic)) != EXIT_OK) {
        ocr_close(ocr);
        return rc;
    }
    cli_note(app, "reading %dx%d picture", pic.width, pic.height);
    ocr_result found = {0};
    sl_status st = ocr_read_frame(ocr, &pic, &found, &err);
    frame_free(&pic);
    ocr_close(ocr);
    if (st != SL_OK)
        return cli_fail(&err);

    int64_t took = db_now_ms() - started;
    if (q.json)
        print_json(&q, &found, took);
    else
        for (size_t i = 0; i < found.count; i++)
            puts(found.lines[i].text);
    fflush(stdout);
    if (found.count == 0)
        cli_note(app, "no text found in the picture");

    char *text = ocr_result_text(&found);
    ocr_result_free(&found);
    if (!text) {
        fputs("sightline: out of memory\n", stderr);
        return EXIT_FAILURE_OTHER;
    }
    const char *source = q.path ? q.path : q.camera ? q.camera : "camera";
    /* The answer is already out; a database problem is reported after it
     * and still fails the command, so scripts notice. */
    int db_rc = app_db_remember(app, "read", source, text, started);
    rc = speak_text(app, &q.say, text[0] ? text : READ_NOTHING_FOUND);
    free(text);
    return rc != EXIT_OK ? rc : db_rc;
}

const command cmd_read = {
    .name = "read",
    .summary = "read aloud the text in a picture: sightline read photo.jpg --speak",
    .help = "usage: sightline read (PICTURE | --camera [--device DEV]) [--lang L] [--json]\n"
            "                      [--speak] [--wav FILE] [--voice V] [--rate WPM]\n"
            "\n"
            "Finds the text in a picture (a street sign, a letter, a medicine box,\n"
            "a menu) and prints it on stdout, one line per line of text, in reading\n"
            "order, and nothing else, so a screen reader or a pipe gets just the text.\n"
            "With --speak it also says it. Every reading is kept in the history.\n"
            "Works offline with Tesseract; no model download is needed.\n"
            "\n"
            "Input:\n"
            "  PICTURE        a JPEG, PNG, WebP, GIF, BMP or TIFF file\n"
            "  --camera       take a picture with the camera instead\n"
            "  --device DEV   the camera to use (default /dev/video0)\n"
            "\n"
            "Options:\n"
            "  --lang L       the language of the text, as Tesseract names it: eng, deu,\n"
            "                 fra, ... or several joined by '+' (default eng); only the\n"
            "                 installed ones work (apt-get install tesseract-ocr-deu)\n"
            "  --json         print {source, lang, duration_ms, lines: [{text, confidence\n"
            "                 (0-100), box: {x, y, w, h}}]} instead of plain lines\n" SPEAK_OPTIONS_HELP
            "\n"
            "When no text is found, stdout stays empty and --speak says \"No text found.\"\n"
            "\n"
            "Examples:\n"
            "  sightline read assets/samples/street-sign.png\n"
            "  sightline read letter.jpg --speak --rate 150\n"
            "  sightline read --camera --speak\n"
            "  sightline read menu.png --wav menu.wav\n"
            "  sightline read label.png --json | jq -r '.lines[].text'\n",
    .run = run_read,
};
