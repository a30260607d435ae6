/* What each job does and why it stops where it does: appliance_jobs.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/appliance_jobs.h"
#include "app/describe_basic.h"
#include "app/hands_input.h"

/* ---- jobs ---- */

void vision_job_free(void *p)
{
    vision_job *j = p;
    frame_free(&j->pic);
    free(j);
}

char *read_job(void *p, const appliance_job_ctx *ctx)
{
    vision_job *j = p;
    if (appliance_job_cancelled(ctx))
        return NULL;
    ocr_result r = {0};
    sl_error err = {0};
    if (ocr_read_frame(j->ocr, &j->pic, &r, &err) != SL_OK)
        return strdup(err.msg);
    char *text = ocr_result_text(&r);
    ocr_result_free(&r);
    if (text && !text[0]) {
        free(text);
        text = strdup(NOTHING_READ);
    }
    return text;
}

/* ---- models the worker uses (loaded on first use, by the worker only) ---- */

void worker_models_free(worker_models *m)
{
    whisper_model_free(m->whisper);
    voice_command_close(m->commands);
    thread_pool_destroy(m->pool);
    if (m->vlm_open)
        vlm_session_close(&m->vlm);
    free(m->whisper_path);
    free(m->vlm_path);
    free(m->mmproj_path);
    memset(m, 0, sizeof *m);
}

static int stop_when_cancelled(void *user, int32_t token, const char *text, size_t len)
{
    (void)token;
    (void)text;
    (void)len;
    return appliance_job_cancelled(user);
}

static bool whisper_go_on(void *user, int percent)
{
    (void)percent;
    return !appliance_job_cancelled(user);
}

/* The model's answer to request about pic (one tile and the overview, as
 * describe's first pass), or NULL without a usable model or when
 * cancelled (*failed then tells which). */
static char *vlm_answer(worker_models *m, const frame *pic, const char *request, int n_predict,
                        const appliance_job_ctx *ctx, bool *failed)
{
    *failed = false;
    if (!m->vlm_path || !m->mmproj_path || m->vlm_failed) {
        *failed = true;
        return NULL;
    }
    if (!m->vlm_open) {
        llm_cli_options o;
        llm_cli_options_init(&o);
        o.sampling.temperature = 0;
        if (vlm_session_open(m->app, m->vlm_path, m->mmproj_path, &o, &m->vlm) != EXIT_OK) {
            m->vlm_failed = *failed = true;
            return NULL;
        }
        m->vlm_open = true;
    }
    sl_error err = {0};
    char *prompt = NULL, *text = NULL;
    int32_t *tail = NULL;
    size_t n_tail = 0;
    vlm_record rec = {0};
    llm_sampler *sampler = NULL;
    llm_generate_result gen = {0};
    llm_sampling_params sp = llm_sampling_default_params();
    sp.temperature = 0;
    llm_generate_params gp = {.n_predict = n_predict};
    sl_status st = vlm_chat_prompt(&m->vlm, NULL, request, &prompt, &err);
    if (st == SL_OK && !appliance_job_cancelled(ctx))
        st = vlm_eval_prompt(&m->vlm, prompt, pic, clip_image_size(m->vlm.clip), &rec, &tail,
                             &n_tail, &err);
    if (st == SL_OK && !appliance_job_cancelled(ctx))
        st = llm_sampler_create(&sp, llm_model_n_vocab(m->vlm.text.model), &sampler, &err);
    if (st == SL_OK && sampler)
        st = llm_generate(m->vlm.text.ctx, m->vlm.text.tok, sampler, tail, n_tail, &gp,
                          stop_when_cancelled, (void *)ctx, &gen, &err);
    if (st != SL_OK)
        text = strdup(err.msg);
    else if (!appliance_job_cancelled(ctx))
        text = strdup(gen.text && gen.text[0] ? gen.text : "No answer.");
    llm_generate_result_free(&gen);
    llm_sampler_free(sampler);
    vlm_record_free(&rec);
    free(tail);
    free(prompt);
    return text;
}

/* What can be said without a vision-language model: light, colours, text. */
static char *basic_answer(const frame *pic, ocr_engine *ocr, const char *lead)
{
    basic_description d = {0};
    sl_error err = {0};
    if (describe_basic(pic, ocr, &d, &err) != SL_OK)
        return strdup(err.msg);
    size_t n = strlen(lead ? lead : "") + strlen(d.brief) + strlen(d.text) + 32;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s%s%s", lead ? lead : "", lead ? " " : "", d.brief,
                 d.text[0] ? "\nThe text reads:\n" : "", d.text);
    basic_description_free(&d);
    return s;
}

void model_job_free(void *p)
{
    model_job *j = p;
    frame_free(&j->pic);
    pcm_f32_free(&j->audio);
    free(j);
}

char *describe_job(void *p, const appliance_job_ctx *ctx)
{
    model_job *j = p;
    if (appliance_job_cancelled(ctx))
        return NULL;
    bool failed = false;
    char *text = vlm_answer(j->models, &j->pic, BRIEF_REQUEST, 48, ctx, &failed);
    if (!text && failed && !appliance_job_cancelled(ctx))
        text = basic_answer(&j->pic, j->ocr, NULL);
    return text;
}

/* Without Whisper the ask key hears one of the fixed command phrases
 * (pocketsphinx, speech/voice_command.h); the answer is the command's name
 * ("" when nothing was recognised), which the screen thread then carries
 * out as if its key had been pressed. */
char *command_job(void *p, const appliance_job_ctx *ctx)
{
    model_job *j = p;
    worker_models *m = j->models;
    sl_error err = {0};
    if (appliance_job_cancelled(ctx))
        return NULL;
    if (!m->commands && voice_command_open(NULL, &m->commands, &err) != SL_OK)
        return strdup(err.msg);
    voice_command_result r;
    if (voice_command_recognize(m->commands, j->audio.samples, j->audio.count, &r, &err) !=
        SL_OK)
        return strdup(err.msg);
    if (appliance_job_cancelled(ctx))
        return NULL;
    return strdup(r.id == VOICE_CMD_NONE ? "" : voice_command_name(r.id));
}

/* The question recognised with Whisper, then answered about the picture
 * taken when the key went down. */
char *ask_job(void *p, const appliance_job_ctx *ctx)
{
    model_job *j = p;
    worker_models *m = j->models;
    sl_error err = {0};
    if (appliance_job_cancelled(ctx))
        return NULL;
    if (!m->whisper) {
        sl_status st = whisper_model_load(m->whisper_path, &m->whisper, &err);
        if (st == SL_OK && !m->whisper->has_weights) {
            st = sl_fail(&err, SL_ERR_MODEL, "%s: holds a vocabulary but no weights",
                         m->whisper_path);
            whisper_model_free(m->whisper);
            m->whisper = NULL;
        }
        if (st != SL_OK)
            return strdup(err.msg);
    }
    if (!m->pool && hands_pool_create(m->app, &m->pool, &err) != SL_OK)
        return strdup(err.msg);
    whisper_params wp = whisper_default_params(WHISPER_STRATEGY_GREEDY);
    wp.language = "en";
    wp.no_timestamps = true;
    /* A question is short; the bound also keeps a cancel (which Whisper
     * sees between windows only) from waiting on a long decode. */
    wp.max_decode_tokens = 64;
    whisper_result r = {0};
    sl_status st = whisper_transcribe(m->whisper, m->pool, j->audio.samples, j->audio.count,
                                      &wp, whisper_go_on, (void *)ctx, &r, &err);
    if (st == SL_ERR_CANCELLED || appliance_job_cancelled(ctx)) {
        whisper_result_free(&r);
        return NULL;
    }
    if (st != SL_OK)
        return strdup(err.msg);
    char question[1024] = "";
    size_t len = 0;
    for (int i = 0; i < r.n_segments; i++) {
        const char *t = r.segments[i].text ? r.segments[i].text : "";
        while (*t == ' ')
            t++;
        int w = snprintf(question + len, sizeof question - len, "%s%s", len ? " " : "", t);
        if (w < 0 || (size_t)w >= sizeof question - len)
            break;
        len += (size_t)w;
    }
    whisper_result_free(&r);
    if (!len)
        return strdup("I did not hear a question. Hold the ask key while you speak.");
    bool failed = false;
    char *answer = vlm_answer(m, &j->pic, question, 96, ctx, &failed);
    if (!answer && failed && !appliance_job_cancelled(ctx))
        answer = basic_answer(&j->pic, j->ocr, INSTALL_VLM_LINE " What I can tell:");
    if (!answer)
        return NULL;
    size_t n = len + strlen(answer) + 32;
    char *text = malloc(n);
    if (text)
        snprintf(text, n, "You asked: %s\n%s", question, answer);
    free(answer);
    return text;
}

