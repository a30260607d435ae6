#!/usr/bin/env bash
# Downloads the optional models into sightline's models folder, where every
# command finds them without flags (see `sightline help describe`).
#
#   scripts/get-models.sh [--dir DIR] [--list] SET...
#
# Sets (sizes are the downloads):
#   vlm-256m      SmolVLM-256M-Instruct, Q8_0 text + Q8_0 mmproj   (~280 MB)  describe, ask
#   vlm-500m      SmolVLM-500M-Instruct, Q8_0 text + Q8_0 mmproj   (~550 MB)  describe, ask (better)
#   llm-360m      SmolLM2-360M-Instruct, Q8_0                      (~390 MB)  summaries, answers
#   whisper-base  whisper.cpp ggml-base.en.bin                     (~150 MB)  transcribe, meeting, ask by voice
#   whisper-tiny  whisper.cpp ggml-tiny.en.bin                     (~75 MB)   the same, faster, less accurate
#   vad           Silero VAD v6.2.0 in whisper.cpp's format        (~1 MB)    utterance detection
#   all           vlm-256m llm-360m whisper-base vad
#
# The files come from Hugging Face: ggml-org's GGUF conversions of
# HuggingFaceTB's SmolVLM and SmolLM2 (Apache-2.0), whisper.cpp's models
# (MIT) and its Silero VAD conversion (MIT). Nothing else is downloaded.
# No model is needed for read (Tesseract), speech (espeak-ng), hands and
# signs (MediaPipe's models, fetched by scripts/fetch-hand-models.sh).
set -euo pipefail

hf=https://huggingface.co
dir=${SIGHTLINE_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/sightline/models}

files_for() {
  case $1 in
    vlm-256m) echo "ggml-org/SmolVLM-256M-Instruct-GGUF SmolVLM-256M-Instruct-Q8_0.gguf"
              echo "ggml-org/SmolVLM-256M-Instruct-GGUF mmproj-SmolVLM-256M-Instruct-Q8_0.gguf" ;;
    vlm-500m) echo "ggml-org/SmolVLM-500M-Instruct-GGUF SmolVLM-500M-Instruct-Q8_0.gguf"
              echo "ggml-org/SmolVLM-500M-Instruct-GGUF mmproj-SmolVLM-500M-Instruct-Q8_0.gguf" ;;
    llm-360m) echo "HuggingFaceTB/SmolLM2-360M-Instruct-GGUF smollm2-360m-instruct-q8_0.gguf" ;;
    whisper-base) echo "ggerganov/whisper.cpp ggml-base.en.bin" ;;
    whisper-tiny) echo "ggerganov/whisper.cpp ggml-tiny.en.bin" ;;
    vad) echo "ggml-org/whisper-vad ggml-silero-v6.2.0.bin" ;;
    all) for s in vlm-256m llm-360m whisper-base vad; do files_for $s; done ;;
    *) echo "get-models: unknown set '$1' (see --help)" >&2; return 1 ;;
  esac
}

sets=()
while (($#)); do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --list) sed -n '/^# Sets/,/^# The files/p' "$0" | sed 's/^# \{0,1\}//' | head -n -1; exit 0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//' | head -n -1; exit 0 ;;
    *) sets+=("$1"); shift ;;
  esac
done
((${#sets[@]})) || { echo "usage: scripts/get-models.sh [--dir DIR] SET... (--list shows the sets)" >&2; exit 2; }
command -v curl >/dev/null || { echo "get-models: curl is missing (apt-get install curl)" >&2; exit 1; }

for set in "${sets[@]}"; do files_for "$set" >/dev/null || exit 2; done
mkdir -p "$dir"
for set in "${sets[@]}"; do
  files_for "$set" | while read -r repo file; do
    if [ -s "$dir/$file" ]; then
      echo "have $dir/$file"
      continue
    fi
    echo "downloading $hf/$repo/resolve/main/$file"
    # To a temporary name first: an interrupted download is never taken for a model.
    curl -fL --retry 3 -o "$dir/$file.part" "$hf/$repo/resolve/main/$file"
    mv "$dir/$file.part" "$dir/$file"
  done
done
echo "models are in $dir"
