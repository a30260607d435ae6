#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing
# (scripts/bootstrap.sh), builds, then runs every test twice — as built, and
# under ASan+UBSan (meson test --setup=sanitize).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
ninja -C build
meson test -C build --print-errorlogs --num-processes "$(nproc)"
meson test -C build --setup=sanitize --print-errorlogs --num-processes "$(nproc)"
