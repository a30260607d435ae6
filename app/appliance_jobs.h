/* The model work the appliance's keys start, run on its worker thread
 * (app/appliance_core.h): reading, describing, asking (Whisper, then the
 * VLM), and spoken commands without Whisper (pocketsphinx). Each job checks
 * for cancellation between its stages and returns a malloc'ed answer. The
 * models are loaded on first use, by the worker only. */
#ifndef SIGHTLINE_APP_APPLIANCE_JOBS_H
#define SIGHTLINE_APP_APPLIANCE_JOBS_H

#include <stdbool.h>

#include "app/appliance_core.h"
#include "app/cli.h"
#include "app/vlm_run.h"
#include "speech/speech.h"
#include "vision/vision.h"

#define NOTHING_READ "No text found."
#define INSTALL_WHISPER_LINE                                                                 \
    "Listening needs a Whisper model: get one with scripts/get-models.sh whisper-base."
#define INSTALL_VLM_LINE                                                                     \
    "Answering questions needs a vision-language model: get one with "                      \
    "scripts/get-models.sh vlm-256m."
#define BRIEF_REQUEST "In one short sentence, what is in front of me?"

typedef struct vision_job {
    frame pic;
    ocr_engine *ocr; /* used by the worker thread only */
} vision_job;

typedef struct worker_models {
    const app_context *app;
    char *whisper_path, *vlm_path, *mmproj_path;
    whisper_model *whisper;
    voice_command_recognizer *commands; /* the ask key's fallback without Whisper */
    thread_pool *pool; /* for Whisper */
    vlm_session vlm;
    bool vlm_open, vlm_failed;
} worker_models;

typedef struct model_job {
    frame pic;
    ocr_engine *ocr;
    worker_models *models;
    pcm_f32 audio; /* ask: the question as heard */
} model_job;

void vision_job_free(void *p);
/* The text in the picture (OCR). */
char *read_job(void *p, const appliance_job_ctx *ctx);

void worker_models_free(worker_models *m);

void model_job_free(void *p);
/* One sentence about the picture: the VLM, else light, colours and text. */
char *describe_job(void *p, const appliance_job_ctx *ctx);
/* The command heard in j->audio: its name (voice_command_name), "" when
 * none, or an error line. */
char *command_job(void *p, const appliance_job_ctx *ctx);
/* The question in j->audio (Whisper), answered about the picture. */
char *ask_job(void *p, const appliance_job_ctx *ctx);

#endif
