#!/bin/sh
# bench/meeting: end-to-end real-time factor of `sightline meeting start` on
# the test meeting's recording (scripts/make-meeting-audio.sh, 3.4 min) at 2
# threads: energy VAD, Whisper per utterance and a committed row per segment,
# with random-weight models of tiny.en's and base.en's shapes (F16). Random
# weights decode noise, so the number of decoded tokens per utterance is not
# a real model's: read the figure as the cost of the pipeline, not a quality.
#   bench/meeting.sh SIGHTLINE
set -eu
prog=${1:?usage: meeting.sh SIGHTLINE}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SIGHTLINE_SHARED:-$here/../shared}
gen="$shared/tools/gen_tiny_whisper.py"
if [ ! -r "$gen" ] || ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null; then
  echo "meeting: skipped (needs $gen, espeak-ng and sox)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/scripts/make-meeting-audio.sh" "$work/meeting.wav"
audio_s=$(soxi -D "$work/meeting.wav")
for preset in ${MEETING_BENCH_PRESETS:-tiny.en base.en}; do
  /usr/bin/python3 "$gen" --preset "$preset" "$work/$preset.bin" >/dev/null
  t0=$(date +%s.%N)
  "$prog" --threads 2 -q --db "$work/$preset.db" meeting start "$work/meeting.wav" \
    -m "$work/$preset.bin" > "$work/$preset.out"
  t1=$(date +%s.%N)
  segs=$(($(wc -l < "$work/$preset.out") - 1))
  awk -v a="$t0" -v b="$t1" -v s="$audio_s" -v p="$preset" -v n="$segs" 'BEGIN {
    printf "meeting_%s_wall: %.2f s\n", p, b - a
    printf "meeting_%s_segments: %d segments\n", p, n
    printf "meeting_%s_rtf: %.3f x\n", p, (b - a) / s }'
  rm -f "$work/$preset.bin"
done
