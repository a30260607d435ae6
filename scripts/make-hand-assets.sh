#!/usr/bin/env bash
# Writes assets/hands/open-hand.png and two-hands.png: the drawn hand of
# tests/vision/hand_sketch.c (no photographs of real hands ship with the
# project). Usage: scripts/make-hand-assets.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
ninja -C "$build" tests/vision/make_hand_pictures >/dev/null
mkdir -p assets/hands
"$build/tests/vision/make_hand_pictures" assets/hands
