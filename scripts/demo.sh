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
