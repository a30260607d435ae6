#!/bin/sh
# Renders the test meeting's script (assets/meeting/budget-meeting.txt) to a
# 16 kHz mono WAV: one espeak-ng voice per speaker, each line starting at its
# scripted time (silence between lines; a line that runs long pushes the
# next one later). The recording is about 3.5 minutes (6.6 MB), too big to
# commit: tests render it when they need it.
#   scripts/make-meeting-audio.sh OUT.wav [LINES]   (LINES: only the first LINES lines)
# Also writes OUT.wav.speakers, the answer key of speaker labelling: one line
# per rendered line, "START_MS END_MS SPEAKER" where the voice really is in
# the recording (a long line pushes the next one past its scripted time).
# MEETING_VOICES="Alice=en-us+f2 Ben=..." and MEETING_RATE (words per minute,
# default 165) render the same script with other voices: a second recording
# that speaker-labelling thresholds were not tuned on.
# Needs espeak-ng and sox.
set -eu
out=${1:?usage: make-meeting-audio.sh OUT.wav [LINES]}
limit=${2:-1000000}
here=$(cd "$(dirname "$0")/.." && pwd)
script="$here/assets/meeting/budget-meeting.txt"
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "make-meeting-audio.sh: $tool is not installed" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

voice_of() {
  for pair in ${MEETING_VOICES:-}; do
    if [ "${pair%%=*}" = "$1" ]; then
      echo "${pair#*=}"
      return
    fi
  done
  case "$1" in
    Alice) echo "en-us+f3" ;;
    Ben) echo "en-gb+m3" ;;
    Carla) echo "en-gb-scotland+f4" ;;
    Dev) echo "en-us+m7" ;;
    *) echo "en" ;;
  esac
}

n=0
pos=0 # samples written so far
list=""
rate=${MEETING_RATE:-165}
: > "$out.speakers"
grep '^\[' "$script" | head -n "$limit" > "$work/lines"
while IFS= read -r line; do
  n=$((n + 1))
  t=$(printf '%s' "$line" | sed 's/^\[\([0-9:]*\)\].*/\1/')
  rest=$(printf '%s' "$line" | sed 's/^\[[0-9:]*\] *//')
  who=${rest%%:*}
  text=${rest#*: }
  start=$(printf '%s' "$t" | awk -F: '{ print ($1 * 3600 + $2 * 60 + $3) * 16000 }')
  gap=$((start - pos))
  if [ "$gap" -gt 0 ]; then
    sox -n -r 16000 -c 1 -b 16 "$work/s$n.wav" trim 0 "$(awk "BEGIN { printf \"%.4f\", $gap / 16000 }")" </dev/null
    list="$list $work/s$n.wav"
    pos=$start
  fi
  espeak-ng -v "$(voice_of "$who")" -s "$rate" -w "$work/raw$n.wav" "$text" </dev/null
  sox "$work/raw$n.wav" -r 16000 -c 1 -b 16 "$work/v$n.wav" </dev/null
  len=$(soxi -s "$work/v$n.wav")
  echo "$((pos / 16)) $(((pos + len) / 16)) $who" >> "$out.speakers"
  pos=$((pos + len))
  list="$list $work/v$n.wav"
done < "$work/lines"
# One second of silence at the end.
sox -n -r 16000 -c 1 -b 16 "$work/end.wav" trim 0 1
# shellcheck disable=SC2086
sox $list "$work/end.wav" "$out"
