#!/usr/bin/env bash
# Regenerates the spoken prompts and tones in this folder.
# Needs espeak-ng, sox, lame, oggenc and opusenc (Debian: apt-get install
# espeak-ng sox libsox-fmt-all lame vorbis-tools opus-tools).
# Output is committed, so running this is only needed to change a prompt.
set -euo pipefail
cd "$(dirname "$0")"

for tool in espeak-ng sox soxi lame oggenc opusenc; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make.sh: $tool is not installed (Debian: apt-get install espeak-ng sox libsox-fmt-all lame vorbis-tools opus-tools)" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# -D: no dither and -R: repeatable, so regenerating gives byte-identical files.
SOX=(sox -D -R)

# name -> what is said
declare -A prompts=(
  [welcome]="Welcome to the pizza line."
  [goodbye]="Thank you for calling. Goodbye."
  [main-menu]="For pizza press 1, for drinks press 2."
  [enter-pin]="Please enter your four digit PIN, followed by the pound key."
  [thank-you]="Thank you."
  [please-hold]="Please hold while we connect your call."
)

# Telephony formats: 8 kHz G.711 mu-law for every prompt, 8 kHz 16-bit PCM
# for the same prompt, so tests can compare the two decodings.
for name in "${!prompts[@]}"; do
  espeak-ng -v en-us -s 160 -w "$tmp/$name.wav" "${prompts[$name]}"
  "${SOX[@]}" "$tmp/$name.wav" -r 8000 -c 1 -e signed-integer -b 16 "$name.wav"
  "${SOX[@]}" "$tmp/$name.wav" -r 8000 -c 1 -e u-law "$name.ulaw.wav"
done

# One A-law prompt (the European G.711 law).
"${SOX[@]}" "$tmp/welcome.wav" -r 8000 -c 1 -e a-law welcome.alaw.wav

# The other formats VoiceXML platforms meet, all of the welcome prompt:
# headerless G.711 (.ul, .al), Sun .au (mu-law, and 16-bit PCM of "goodbye"),
# MP3 at espeak-ng's own 22.05 kHz (64 kbit/s: a smaller frame has no room for
# the LAME tag that gives the gapless length) and Ogg Vorbis at 16 kHz (so playing them
# on an 8 kHz line resamples), and Ogg Opus, which vxb recognizes but cannot
# decode (its fallback plays).
"${SOX[@]}" "$tmp/welcome.wav" -r 8000 -c 1 -t ul welcome.ul
"${SOX[@]}" "$tmp/welcome.wav" -r 8000 -c 1 -t al welcome.al
"${SOX[@]}" "$tmp/welcome.wav" -r 8000 -c 1 -e u-law welcome.au
"${SOX[@]}" "$tmp/goodbye.wav" -r 8000 -c 1 -e signed-integer -b 16 goodbye.au
lame --quiet -m m -b 64 "$tmp/welcome.wav" welcome.mp3
"${SOX[@]}" "$tmp/welcome.wav" -r 16000 -c 1 "$tmp/welcome16k.wav"
oggenc --quiet -q 2 --serial 1 -o welcome.ogg "$tmp/welcome16k.wav"
opusenc --quiet --serial 1 "$tmp/welcome16k.wav" welcome.opus

# What sox decodes each of them to (16-bit PCM WAVE): the tests compare
# vxb's decoding with these.
ref=../src/audio/testdata
for f in welcome.ul welcome.al welcome.au goodbye.au welcome.mp3 welcome.ogg; do
  "${SOX[@]}" "$f" -e signed-integer -b 16 "$ref/$f.sox.wav"
done
# The length of the audio the MP3 and Ogg files encode, in frames.
soxi -s "$tmp/welcome.wav" >"$ref/welcome.22050.frames"
soxi -s "$tmp/welcome16k.wav" >"$ref/welcome.16000.frames"

# Tones: a 1 kHz beep (0.25 s) and a short three-note hold jingle (1.5 s).
"${SOX[@]}" -n -r 8000 -c 1 -e signed-integer -b 16 beep.wav synth 0.25 sine 1000 vol 0.5
"${SOX[@]}" -n -r 8000 -c 1 -e u-law beep.ulaw.wav synth 0.25 sine 1000 vol 0.5
i=0
for freq in 523.25 659.25 783.99; do
  "${SOX[@]}" -n -r 8000 -c 1 -e signed-integer -b 16 "$tmp/note$i.wav" synth 0.5 sine "$freq" fade 0.02 0.5 0.05 vol 0.4
  i=$((i + 1))
done
"${SOX[@]}" "$tmp/note0.wav" "$tmp/note1.wav" "$tmp/note2.wav" -e u-law hold-music.ulaw.wav

ls -l ./*.wav ./*.ul ./*.al ./*.au ./*.mp3 ./*.ogg ./*.opus
