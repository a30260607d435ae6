#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/app_input.h"
#include "app/app_models.h"
#include "app/app_speech.h"
#include "app/commands.h"
#include "app/describe_basic.h"
#include "app/describe_vlm.h"
#include "app/json.h"
#include "app/objects_seen.h"

#define INSTALL_VLM_HINT                                                                  \
    "for full descriptions install a vision-language model: scripts/get-models.sh vlm-256m"

typedef struct describe_request {
    const char *path;
    const char *camera;
    bool use_camera;
    const char *model, *mmproj;
    const char *question; /* ask */
    const char *prompt_template;
    bool show_prompt;
    bool json;
    long n_predict;
    speak_request say;
    llm_cli_options llm;
} describe_request;

/* describe and ask share their options; ask also takes the question. */
static int parse_describe(const command *cmd, int argc, char **argv, describe_request *q)
{
    memset(q, 0, sizeof *q);
    speak_request_init(&q->say);
    llm_cli_options_init(&q->llm);
    /* Repeatable answers by default: greedy unless --temp says otherwise. */
    q->llm.sampling.temperature = 0;
    bool ask = cmd == &cmd_ask;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int used = speak_parse_option(cmd, argc, argv, &i, &q->say);
        if (used == 0)
            used = llm_cli_parse_option(cmd, argc, argv, &i, &q->llm);
        if (used < 0)
            return -used;
        if (used)
            continue;
        if (strcmp(a, "--json") == 0) {
            q->json = true;
        } else if (strcmp(a, "--camera") == 0) {
            q->use_camera = true;
        } else if (strcmp(a, "--show-prompt") == 0) {
            q->show_prompt = true;
        } else if (strcmp(a, "-n") == 0) {
            if (i + 1 >= argc || !cli_parse_int(argv[++i], 1, 4096, &q->n_predict))
                return cli_usage_error(cmd, "-n wants a number of tokens from 1 to 4096");
        } else if (strcmp(a, "--device") == 0 || strcmp(a, "--mmproj") == 0 ||
                   strcmp(a, "--prompt-template") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "%s needs a value", a);
            const char *v = argv[++i];
            if (a[2] == 'd')
                q->camera = v;
            else if (a[2] == 'm')
                q->mmproj = v;
            else
                q->prompt_template = v;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error(cmd, "unknown option '%s'", a);
        } else if (ask && q->path && !q->question) {
            q->question = a;
        } else if (ask && q->use_camera && !q->question) {
            q->question = a;
        } else if (q->path) {
            return cli_usage_error(cmd, "one picture at a time");
        } else {
            q->path = a;
        }
    }
    q->model = q->llm.model;
    if (q->camera)
        q->use_camera = true;
    if (ask && q->use_camera && q->path && !q->question) {
        q->question = q->path; /* `ask --camera "question"` */
        q->path = NULL;
    }
    if (q->use_camera == (q->path != NULL))
        return cli_usage_error(cmd, "give one picture or --camera");
    if (ask && !q->question)
        return cli_usage_error(cmd, "what is the question?");
    if ((q->model != NULL) != (q->mmproj != NULL) && (q->model || q->mmproj))
        return cli_usage_error(cmd, "-m MODEL and --mmproj MMPROJ go together");
    return EXIT_OK;
}

static void print_basic_json(const describe_request *q, const basic_description *d,
                             const objects_seen *seen)
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
    json_key(&w, "in_view");
    json_begin_array(&w);
    for (int i = 0; i < seen->count; i++) {
        json_begin_object(&w);
        json_kv_string(&w, "name", seen->items[i].name);
        json_kv_string(&w, "kind", taught_kind_name(seen->items[i].kind));
        json_kv_string(&w, "position", object_position_word(seen->items[i].position));
        json_kv_double(&w, "score", seen->items[i].score);
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
    /* Taught objects and people: "Your mug is in view, left." */
    objects_seen seen;
    objects_find(app, pic, NULL, NULL, &seen);
    char *in_view = objects_user_text(&seen);
    if (q->json) {
        print_basic_json(q, &d, &seen);
    } else {
        puts(d.brief);
        if (in_view)
            fputs(in_view, stdout);
        if (d.text[0]) {
            puts("The text reads:");
            puts(d.text);
        }
    }
    fflush(stdout);
    size_t n = strlen(d.brief) + strlen(d.text) + (in_view ? strlen(in_view) : 0) + 32;
    char *spoken = malloc(n);
    int rc = EXIT_FAILURE_OTHER;
    if (spoken) {
        snprintf(spoken, n, "%s%s%s%s%s", d.brief, in_view ? "\n" : "", in_view ? in_view : "",
                 d.text[0] ? (in_view ? "The text reads:\n" : "\nThe text reads:\n") : "",
                 d.text);
        const char *source = q->path ? q->path : q->camera ? q->camera : "camera";
        int db_rc = app_db_remember(app, "describe", source, spoken, started);
        rc = speak_text(app, &q->say, spoken);
        if (rc == EXIT_OK)
            rc = db_rc;
        free(spoken);
    }
    basic_description_free(&d);
    free(in_view);
    return rc;
}

static int run_vlm_command(const command *cmd, app_context *app, int argc, char **argv)
{
    describe_request q;
    int rc = parse_describe(cmd, argc, argv, &q);
    if (rc != EXIT_OK || (rc = speak_check_output(&q.say)) != EXIT_OK)
        return rc;
    int64_t started = db_now_ms();
    char *model = NULL, *mmproj = NULL;
    app_find_model(MODEL_VLM, q.model, &model);
    app_find_model(MODEL_VLM_MMPROJ, q.mmproj, &mmproj);
    if (cmd == &cmd_ask && !(model && mmproj)) {
        fprintf(stderr, "sightline: answering questions about a picture needs a "
                        "vision-language model: scripts/get-models.sh vlm-256m\n");
        free(model);
        free(mmproj);
        return EXIT_MODEL;
    }
    frame pic;
    if ((rc = app_grab_picture(app, q.use_camera ? NULL : q.path, q.camera, &pic)) == EXIT_OK) {
        if (model && mmproj) {
            vlm_request r = {
                .model = model,
                .mmproj = mmproj,
                .source = q.path ? q.path : q.camera ? q.camera : "camera",
                .question = q.question,
                .prompt_template = q.prompt_template,
                .llm = q.llm,
                .json = q.json,
                .n_predict = (int32_t)q.n_predict,
                .show_prompt = q.show_prompt,
                .say = q.say,
            };
            rc = describe_with_model(app, &r, &pic, started);
        } else {
            rc = describe_without_model(app, &q, &pic, started);
        }
        frame_free(&pic);
    }
    free(model);
    free(mmproj);
    return rc;
}

static int run_describe(app_context *app, int argc, char **argv)
{
    return run_vlm_command(&cmd_describe, app, argc, argv);
}

static int run_ask(app_context *app, int argc, char **argv)
{
    return run_vlm_command(&cmd_ask, app, argc, argv);
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
            "With a model, the first sentence comes from one tile of the picture and\n"
            "its overview (quick), then the details from the full tiling, unless the\n"
            "profile's verbosity is brief. What you asked it to remember that matches\n"
            "is given to the model as context ('sightline help remember'), and so are\n"
            "the objects and people you taught ('sightline help teach') that are in\n"
            "view, with where they are; without a model they are said after the\n"
            "first sentence: \"Your mug is in view, left.\"\n"
            "\n"
            "Options:\n"
            "  --mmproj F     the vision projector (mmproj GGUF) of the -m model\n"
            "  --json         print the description as JSON: each pass's prompt chunks\n"
            "                 (text token ids, image chunk sizes), generated ids and text\n"
            "  --prompt-template T  one pass with exactly this raw prompt; <__media__>\n"
            "                 marks where the picture goes\n"
            "  --show-prompt  print each prompt on stderr\n"
            "  -n N           at most N tokens for the details (default by verbosity: 128,\n"
            "                 256 when detailed)\n" SPEAK_OPTIONS_HELP LLM_CLI_OPTIONS_HELP
            "  (describe and ask are greedy unless --temp is given)\n"
            "\n"
            "Examples:\n"
            "  sightline describe kitchen.jpg\n"
            "  sightline describe --camera --speak\n",
    .run = run_describe,
};

const command cmd_ask = {
    .name = "ask",
    .summary = "ask about a picture: sightline ask photo.jpg \"what colour is the car?\"",
    .help = "usage: sightline ask (PICTURE | --camera [--device DEV]) QUESTION\n"
            "                     [-m MODEL --mmproj MMPROJ] [--json] [--speak] [--wav FILE]\n"
            "\n"
            "Answers QUESTION about the picture with a SmolVLM vision-language model\n"
            "(found as for 'sightline help describe'). Memories that match the\n"
            "question are given to the model as context. The answer is kept in the\n"
            "history.\n"
            "\n"
            "Options: as for describe.\n"
            "\n"
            "Examples:\n"
            "  sightline ask fridge.jpg \"is there any milk?\" --speak\n"
            "  sightline ask --camera \"which bus number is this?\"\n",
    .run = run_ask,
};
