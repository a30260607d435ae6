#!/usr/bin/env bash
# Install MediaPipe's hand models (Apache-2.0, npm package @mediapipe/hands) into
# models/mediapipe/ under the repository, or into $SIGHTLINE_HAND_MODELS.
#
# The package ships the two landmark models as plain files; the two palm
# detectors are packed into hands_solution_packed_assets.data, at the byte
# ranges that hands_solution_packed_assets_loader.js lists. We read those ranges
# from the loader rather than hard-coding them, and check every file's SHA-256.
#
# Idempotent: when every file is present with the expected digest, nothing is
# downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

pkg="@mediapipe/hands"
version="0.4.1675469240"
dest="${SIGHTLINE_HAND_MODELS:-$PWD/models/mediapipe}"

# Digests of the files of $pkg@$version (the palm detectors after extraction).
declare -A sha256=(
  [hand_landmark_full.tflite]=8c026882c9ec059ce0f8e75266bee5a9a23c341a40e0000df755374d3d1b9b68
  [hand_landmark_lite.tflite]=d7fde8ac11f8ce03f8663775bfc323f4fc9f2a38062b4f4efa142874ef5b2a48
  [palm_detection_full.tflite]=2f25e740121983f68ffc05f99991d524dc0ea812134f6316a26125816941ee85
  [palm_detection_lite.tflite]=e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18
)
files=(hand_landmark_full.tflite hand_landmark_lite.tflite palm_detection_full.tflite
       palm_detection_lite.tflite)

have() { [ -f "$dest/$1" ] && [ "$(sha256sum "$dest/$1" | cut -d' ' -f1)" = "${sha256[$1]}" ]; }

all=1
for f in "${files[@]}"; do have "$f" || all=0; done
if ((all)); then
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch-hand-models: npm is not installed" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "fetch-hand-models: node is not installed" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-hand-models: downloading $pkg@$version" >&2
(cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
src="$tmp/package"
mkdir -p "$dest"

for f in hand_landmark_full.tflite hand_landmark_lite.tflite; do
  install -m 0644 "$src/$f" "$dest/$f.part"
  mv "$dest/$f.part" "$dest/$f"
done

# The loader calls loadPackage({"files": [{"filename": ..., "start": N, "end": M}, ...]}).
# Node parses that JSON; the byte ranges are then copied with dd.
node -e '
  const fs = require("fs");
  const js = fs.readFileSync(process.argv[1], "utf8");
  const m = js.match(/loadPackage\((\{"files".*?\})\);/);
  if (!m) { console.error("fetch-hand-models: no loadPackage({...}) in the loader"); process.exit(1); }
  const meta = JSON.parse(m[1]);
  for (const f of meta.files) {
    const base = f.filename.split("/").pop();
    if (base.endsWith(".tflite")) console.log(base, f.start, f.end);
  }
' "$src/hands_solution_packed_assets_loader.js" > "$tmp/ranges"

data="$src/hands_solution_packed_assets.data"
size=$(stat -c %s "$data")
while read -r name start end; do
  case "$name" in palm_detection_full.tflite|palm_detection_lite.tflite) ;; *) continue ;; esac
  if ! [[ $start =~ ^[0-9]+$ && $end =~ ^[0-9]+$ ]] || ((end <= start || end > size)); then
    echo "fetch-hand-models: bad byte range $start-$end for $name (archive is $size bytes)" >&2
    exit 1
  fi
  dd if="$data" of="$dest/$name.part" bs=1M iflag=skip_bytes,count_bytes \
     skip="$start" count=$((end - start)) status=none
  mv "$dest/$name.part" "$dest/$name"
done < "$tmp/ranges"

for f in "${files[@]}"; do
  if ! have "$f"; then
    echo "fetch-hand-models: $dest/$f is missing or its SHA-256 differs from $pkg@$version's" >&2
    exit 1
  fi
done
echo "fetch-hand-models: installed ${#files[@]} models in $dest" >&2
