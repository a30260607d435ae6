#!/bin/sh
# bench/meeting: end-to-end real-time factor of `sightline meeting start` on
# the test meeting's recording (scripts/make-meeting-audio.sh, 3.4 min) at 2
# threads: energy VAD, Whisper per utterance and a committed row per segment,
# with random-weight models of tiny.en's and base.en's shapes (F16). Random
# weights decode noise, so the number of decoded tokens per utterance is not
# a real model's: read the figure as the cost of the pipeline, not a quality.
# Also printed: the CPU seconds the run took (user + system, less sensitive
# than wall time to other programs sharing the machine) and the load average
# before it, to say how noisy the wall figures are.
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
  load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%U %S' -o "$work/$preset.cpu" "$prog" --threads 2 -q \
      --db "$work/$preset.db" meeting start "$work/meeting.wav" -m "$work/$preset.bin" \
      > "$work/$preset.out"
  else
    "$prog" --threads 2 -q --db "$work/$preset.db" meeting start "$work/meeting.wav" \
      -m "$work/$preset.bin" > "$work/$preset.out"
    echo "0 0" > "$work/$preset.cpu"
  fi
  t1=$(date +%s.%N)
  cpu=$(awk '{ print $1 + $2 }' "$work/$preset.cpu")
  segs=$(($(wc -l < "$work/$preset.out") - 1))
  awk -v a="$t0" -v b="$t1" -v s="$audio_s" -v p="$preset" -v n="$segs" -v c="$cpu" \
    -v l="$load" 'BEGIN {
    printf "meeting_%s_load_before: %.2f processes\n", p, l
    printf "meeting_%s_wall: %.2f s\n", p, b - a
    printf "meeting_%s_cpu: %.2f s\n", p, c
    printf "meeting_%s_segments: %d segments\n", p, n
    printf "meeting_%s_rtf: %.3f x\n", p, (b - a) / s }'
  rm -f "$work/$preset.bin"
done
