#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/app_input.h"
#include "app/app_models.h"
#include "app/app_speech.h"
#include "app/commands.h"
#include "app/describe_basic.h"
#include "app/json.h"

#define INSTALL_VLM_HINT                                                                  \
    "for full descriptions install a vision-language model: scripts/get-models.sh vlm-256m"

typedef struct describe_request {
    const char *path;
    const char *camera;
    bool use_camera;
    const char *model, *mmproj;
    bool json;
    speak_request say;
} describe_request;

static int parse_describe(int argc, char **argv, describe_request *q)
{
    memset(q, 0, sizeof *q);
    speak_request_init(&q->say);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int used = speak_parse_option(&cmd_describe, argc, argv, &i, &q->say);
        if (used < 0)
            return -used;
        if (used)
            continue;
        if (strcmp(a, "--json") == 0) {
            q->json = true;
        } else if (strcmp(a, "--camera") == 0) {
            q->use_camera = true;
        } else if (strcmp(a, "--device") == 0 || strcmp(a, "-m") == 0 ||
                   strcmp(a, "--model") == 0 || strcmp(a, "--mmproj") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(&cmd_describe, "%s needs a value", a);
            const char *v = argv[++i];
            if (a[2] == 'd')
                q->camera = v;
            else if (strcmp(a, "--mmproj") == 0)
                q->mmproj = v;
            else
                q->model = v;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error(&cmd_describe, "unknown option '%s'", a);
        } else if (q->path) {
            return cli_usage_error(&cmd_describe, "one picture at a time");
        } else {
            q->path = a;
        }
    }
    if (q->camera)
        q->use_camera = true;
    if (q->use_camera == (q->path != NULL))
        return cli_usage_error(&cmd_describe, "give one picture or --camera");
    if ((q->model != NULL) != (q->mmproj != NULL) && (q->model || q->mmproj))
        return cli_usage_error(&cmd_describe, "-m MODEL and --mmproj MMPROJ go together");
    return EXIT_OK;
}

static void print_basic_json(const describe_request *q, const basic_description *d)
{
    json_writer w;
    json_init(&w, stdout, false);
    json_begin_object(&w);
    json_kv_string(&w, "source", q->path ? q->path : q->camera ? q->camera : "camera");
    json_key(&w, "model");
    json_null(&w);
    json_kv_string(&w, "brief", d->brief);
    json_kv_string(&w, "text", d->text);
    json_kv_double(&w, "brightness", d->stats.brightness);
    json_key(&w, "colours");
    json_begin_array(&w);
    for (int i = 0; i < d->stats.n_colours; i++) {
        json_begin_object(&w);
        json_kv_string(&w, "name", d->stats.colours[i].name);
        json_kv_double(&w, "share", d->stats.colours[i].share);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    json_finish(&w);
}

/* Without a vision-language model: light, colours and text. */
static int describe_without_model(app_context *app, const describe_request *q, frame *pic,
                                  int64_t started)
{
    sl_error err = {0};
    ocr_engine *ocr = NULL;
    if (ocr_open(NULL, &ocr, &err) != SL_OK)
        return cli_fail(&err);
    basic_description d;
    sl_status st = describe_basic(pic, ocr, &d, &err);
    ocr_close(ocr);
    if (st != SL_OK)
        return cli_fail(&err);
    cli_note(app, INSTALL_VLM_HINT);
    if (q->json) {
        print_basic_json(q, &d);
    } else {
        puts(d.brief);
        if (d.text[0]) {
            puts("The text reads:");
            puts(d.text);
        }
    }
    fflush(stdout);
    size_t n = strlen(d.brief) + strlen(d.text) + 32;
    char *spoken = malloc(n);
    int rc = EXIT_FAILURE_OTHER;
    if (spoken) {
        snprintf(spoken, n, "%s%s%s", d.brief, d.text[0] ? "\nThe text reads:\n" : "", d.text);
        const char *source = q->path ? q->path : q->camera ? q->camera : "camera";
        int db_rc = app_db_remember(app, "describe", source, spoken, started);
        rc = speak_text(app, &q->say, spoken);
        if (rc == EXIT_OK)
            rc = db_rc;
        free(spoken);
    }
    basic_description_free(&d);
    return rc;
}

static int run_describe(app_context *app, int argc, char **argv)
{
    describe_request q;
    int rc = parse_describe(argc, argv, &q);
    if (rc != EXIT_OK || (rc = speak_check_output(&q.say)) != EXIT_OK)
        return rc;
    int64_t started = db_now_ms();
    char *model = NULL, *mmproj = NULL;
    app_find_model(MODEL_VLM, q.model, &model);
    app_find_model(MODEL_VLM_MMPROJ, q.mmproj, &mmproj);

    frame pic;
    if ((rc = app_grab_picture(app, q.use_camera ? NULL : q.path, q.camera, &pic)) == EXIT_OK) {
        if (model && mmproj) {
            /* Until the VLM lands (issue 5) a given model is refused rather
             * than silently ignored. */
            fprintf(stderr, "sightline: %s: describing with a vision-language model is not in "
                            "this build yet\n", model);
            rc = EXIT_MODEL;
        } else {
            rc = describe_without_model(app, &q, &pic, started);
        }
        frame_free(&pic);
    }
    free(model);
    free(mmproj);
    return rc;
}

const command cmd_describe = {
    .name = "describe",
    .summary = "say what is in front of the camera: sightline describe photo.jpg --speak",
    .help = "usage: sightline describe (PICTURE | --camera [--device DEV])\n"
            "                          [-m MODEL --mmproj MMPROJ] [--json] [--speak] [--wav FILE]\n"
            "\n"
            "Describes a picture for someone who cannot see it: first one short\n"
            "sentence to act on, then the details. Uses a SmolVLM vision-language\n"
            "model when one is installed; without one it still says how light the\n"
            "scene is, its main colours, and reads any text in it.\n"
            "\n"
            "Models are found from -m/--mmproj, then from the config file\n"
            "(~/.config/sightline/config: `vlm = PATH` and `mmproj = PATH`), then in\n"
            "the models folder (~/.local/share/sightline/models, or $SIGHTLINE_MODELS).\n"
            "Get them with: scripts/get-models.sh vlm-256m\n"
            "\n"
            "Options:\n"
            "  -m, --model F  the SmolVLM text model (GGUF)\n"
            "  --mmproj F     its vision projector (mmproj GGUF)\n"
            "  --json         print the description as JSON\n" SPEAK_OPTIONS_HELP
            "\n"
            "Examples:\n"
            "  sightline describe kitchen.jpg\n"
            "  sightline describe --camera --speak\n",
    .run = run_describe,
};
