/* The inference engine's public interface: the one header other folders
 * include. It gathers the engine's parts; each part has its own header. */
#ifndef SIGHTLINE_LLM_H
#define SIGHTLINE_LLM_H

#include "llm/error.h"
#include "llm/tensor_type.h"
#include "llm/threadpool.h"
#include "llm/cpu_features.h"
#include "llm/fp16.h"
#include "llm/quant.h"
#include "llm/matmul.h"
#include "llm/attn_f16.h"
#include "llm/gguf.h"
#include "llm/tokenizer.h"
#include "llm/chat_template.h"
#include "llm/model.h"
#include "llm/sampling.h"
#include "llm/generate.h"

#endif
