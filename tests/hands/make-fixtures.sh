#!/usr/bin/env bash
# Regenerates tests/fixtures/hands/: five 224x224 pictures (ImageMagick's
# built-in photo `rose:`, drawing `wizard:` and texture `granite:`, and
# assets/hands/open-hand.png and assets/samples/garden-photo.jpg) and the
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
# Pictures from assets/: the drawn hand (what the landmark models are for) and
# a photograph.
convert "$root/assets/hands/open-hand.png" -resize '224x224!' -depth 8 -strip \
  "ppm:$out/open-hand.ppm"
convert "$root/assets/samples/garden-photo.jpg" -resize '224x224!' -depth 8 -strip \
  "ppm:$out/garden-photo.ppm"
node "$root/tests/hands/reference.js" "$tmp/package/wasm" "$models" "$out"
