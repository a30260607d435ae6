#!/usr/bin/env bash
# Prepare a fresh Debian 12 machine for sightline: Debian packages, the MediaPipe
# hand models from npm, and the two build folders (build/ and build-san/).
# Safe to run again: every step checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  build-essential meson ninja-build pkg-config clang
  # frames and audio files
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-libav
  # audio devices (alsa-lib for silencing its probe errors)
  portaudio19-dev libasound2-dev libsoxr-dev
  # JACK's client library headers: speech/ silences its messages when PortAudio probes for it
  libjack-jackd2-dev
  # screen
  libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core xvfb xauth
  # storage
  libsqlite3-dev libsqlcipher-dev
  # tests
  libcmocka-dev
  # text reading
  tesseract-ocr tesseract-ocr-eng libtesseract-dev libleptonica-dev zlib1g-dev
  # speech out and voice commands
  espeak-ng libespeak-ng-dev pocketsphinx pocketsphinx-en-us libpocketsphinx-dev
  libsphinxbase-dev
  # NEON kernels: cross-compile and run under qemu (scripts/check-neon.sh)
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  # asset and fixture generation; unicode-data for scripts/gen-unicode-tables.sh,
  # fonts-dejavu-extra for tests/vision/make-ocr-heldout.sh
  imagemagick sox python3-numpy unicode-data fonts-dejavu-extra
  # hand models from npm
  nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# nodejs/npm may come from outside Debian on some machines: accept any working npm.
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing ${#missing[@]} Debian packages" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/fetch-hand-models.sh || echo "bootstrap: hand models not installed (sign mode will say so)" >&2

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release -Dwerror=true >/dev/null
fi
if [ ! -f build-san/build.ninja ]; then
  meson setup build-san --buildtype=debug -Dwerror=true -Db_sanitize=address,undefined \
    -Db_lundef=false >/dev/null
fi
echo "bootstrap: ready" >&2
