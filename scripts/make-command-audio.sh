#!/bin/sh
# Speaks voice-command test audio with espeak-ng and sox, for trying
# `sightline command FILE` by hand (the test, tests/speech/test_voice_command.c,
# makes the same kind of audio in memory):
#   scripts/make-command-audio.sh OUTDIR [VOICE [RATE [SNR_DB]]]
# writes OUTDIR/<phrase>.wav, 16 kHz mono, 0.3 s of silence either side, one
# file per command's first phrase and a few sentences that are not commands;
# with SNR_DB, white noise at that level below the speech's RMS is mixed in.
set -eu
out=${1:?usage: $0 OUTDIR [VOICE [RATE [SNR_DB]]]}
voice=${2:-en}
rate=${3:-175}
snr=${4:-}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for text in "describe" "read this" "what is this" "what colour is it" "ask a question" \
    "start meeting" "end meeting" "repeat" "stop talking" "speak faster" "speak slower" \
    "help" "sign language mode" "the weather is nice today" "please pass me the salt" \
    "turn left at the next corner"; do
    name=$(printf '%s' "$text" | tr ' ' '-')
    espeak-ng -v "$voice" -s "$rate" -w "$tmp/s.wav" "$text"
    sox "$tmp/s.wav" -r 16000 -c 1 -b 16 "$tmp/c.wav" pad 0.3 0.3
    if [ -n "$snr" ]; then
        rms=$(sox "$tmp/s.wav" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
        amp=$(awk -v r="$rms" -v s="$snr" 'BEGIN { printf "%.6f", r * 10 ^ (-s / 20) * 1.7320508 }')
        len=$(soxi -D "$tmp/c.wav")
        sox -n -r 16000 -c 1 -b 16 "$tmp/n.wav" synth "$len" whitenoise vol "$amp"
        sox -m -v 1 "$tmp/c.wav" -v 1 "$tmp/n.wav" "$out/$name.wav"
    else
        cp "$tmp/c.wav" "$out/$name.wav"
    fi
done
echo "$out: $(ls "$out" | wc -l) files ($voice, $rate wpm${snr:+, SNR $snr dB})"
