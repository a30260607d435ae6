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

echo "== sightline demo: reading text aloud ==" >&2
sl --version

# Hand landmarks need the MediaPipe models (bootstrap fetches them from npm).
if [ -f models/mediapipe/hand_landmark_lite.tflite ]; then
  echo "== sightline demo: hand landmarks ==" >&2
  export SIGHTLINE_HAND_MODELS="$PWD/models/mediapipe"
  sl -q hands assets/hands/two-hands.png --overlay "$out/two-hands-landmarks.png" \
    > "$out/two-hands-landmarks.txt"
  head -4 "$out/two-hands-landmarks.txt"
  echo "(all landmarks in $out/two-hands-landmarks.txt, drawn in $out/two-hands-landmarks.png)" >&2
fi
