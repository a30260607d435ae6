#!/usr/bin/env bash
# Regenerates tests/fixtures/hands/: three 224x224 pictures (ImageMagick's
# built-in photo `rose:`, drawing `wizard:` and texture `granite:`) and the
# outputs TensorFlow Lite gives for them with the four hand models
# (reference.js). Needs node, npm and ImageMagick; the models come from
# scripts/fetch-hand-models.sh. CI does not run this: it checks the recorded
# outputs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/tests/fixtures/hands"
models="${SIGHTLINE_HAND_MODELS:-$root/models/mediapipe}"
"$root/scripts/fetch-hand-models.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @tensorflow/tfjs-tflite@0.0.1-alpha.10 >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"

mkdir -p "$out"
rm -f "$out"/*.ppm "$out"/*.f32
for name in rose wizard granite; do
  convert "$name:" -resize '224x224!' -depth 8 -strip "ppm:$out/$name.ppm"
done
node "$root/tests/hands/reference.js" "$tmp/package/wasm" "$models" "$out"
