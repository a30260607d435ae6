#!/usr/bin/env bash
# A tour of sightline on the bundled assets, with nothing to download:
# installs what is missing (scripts/bootstrap.sh), builds, then runs each mode
# that works without a model. Speech goes to WAV files in demo-out/ (this
# machine may have no sound card).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
ninja -C build app/sightline tests/sightline-gen-model >/dev/null

out=demo-out
mkdir -p "$out"
export SIGHTLINE_DB="$PWD/$out/demo.db"
sl() { echo "\$ sightline $*" >&2; build/app/sightline --db "$SIGHTLINE_DB" "$@"; }

say() { printf '\n== %s ==\n' "$*" >&2; }

rm -f "$out"/demo.db "$out"/demo.db-*  # each demo starts from an empty database
say "sightline $(build/app/sightline --version)"

say "Reading the text in pictures (Tesseract, no download needed)"
for pic in street-sign.png medicine-label-blurred.jpg menu-rotated.jpg receipt.png; do
  sl read "assets/samples/$pic"
done
say "The same, spoken into a WAV file (no sound card needed)"
sl read assets/samples/street-sign-photo.jpg --wav "$out/street-sign.wav"
ls -l "$out/street-sign.wav" >&2
say "For scripts: JSON with confidence and boxes"
sl read assets/samples/street-sign.png --json
say "A picture without text"
sl read assets/samples/garden-photo.jpg || true
say "What the assistant said, newest first"
sl history -n 3
say "A bad input is one clear line and a non-zero exit"
sl read assets/samples/MANIFEST || echo "(exit code $?)" >&2

say "Describing a scene without a vision-language model: light, colours, text"
sl describe assets/samples/garden-photo.jpg
sl describe assets/samples/street-sign-photo.jpg
say "Teaching it the user's mug, then finding it in another picture"
sl -q teach object mug assets/objects/mug-teach1.jpg assets/objects/mug-teach2.jpg \
  assets/objects/mug-teach3.jpg
sl describe assets/objects/mug-right.jpg
say "Personal memory and preferences (all in the local database)"
sl remember the blue door on the left is the kitchen
sl memory search where is the kitchen
sl profile set verbosity brief
sl feedback slower

say "A meeting: import a transcript, search it, summarize it without any model"
sl -q meeting import assets/meeting/budget-meeting.txt --title "Budget meeting"
sl search "laptops"
sl meeting summarize 1

# The inference engine on a random-weight model the project generates, with
# llama.cpp's GPT-2 vocabulary from ../shared when it is there (no download).
vocab=../shared/fixtures/vocab/ggml-vocab-gpt-2.gguf
if [ -f "$vocab" ] && [ -x build/tests/sightline-gen-model ]; then
  say "The LLM engine on a generated random-weight model (the words are noise)"
  build/tests/sightline-gen-model --preset tiny --type q8_0 --vocab-from "$vocab" "$out/tiny.gguf"
  sl model info "$out/tiny.gguf"
  sl tokenize -m "$out/tiny.gguf" "Hello, world"
  sl -q generate -m "$out/tiny.gguf" -p "The blue door" -n 12 --temp 0
fi

say "Without a Whisper model, transcription says what to install"
sl transcribe "$out/street-sign.wav" || echo "(exit code $?)" >&2

# Hand landmarks need the MediaPipe models (bootstrap fetches them from npm).
if [ -f models/mediapipe/hand_landmark_lite.tflite ]; then
  say "Hand landmarks for sign language (MediaPipe's models on our TFLite interpreter)"
  export SIGHTLINE_HAND_MODELS="$PWD/models/mediapipe"
  sl -q hands assets/hands/two-hands.png --overlay "$out/two-hands-landmarks.png" \
    > "$out/two-hands-landmarks.txt"
  head -4 "$out/two-hands-landmarks.txt"
  echo "(all landmarks in $out/two-hands-landmarks.txt, drawn in $out/two-hands-landmarks.png)" >&2
fi

say "Done. Files are in $out/"
