#!/usr/bin/env bash
# A tour of sightline on the bundled assets, with nothing to download:
# installs what is missing (scripts/bootstrap.sh), builds, then runs each mode
# that works without a model. Speech goes to WAV files in demo-out/ (this
# machine may have no sound card).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
ninja -C build sightline >/dev/null

out=demo-out
mkdir -p "$out"
export SIGHTLINE_DB="$PWD/$out/demo.db"
sl() { echo "\$ sightline $*" >&2; build/app/sightline --db "$SIGHTLINE_DB" "$@"; }

say() { printf '\n== %s ==\n' "$*" >&2; }

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
