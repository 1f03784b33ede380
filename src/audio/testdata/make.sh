#!/usr/bin/env bash
# Regenerates the G.711 reference files: every one of the 256 codes, as a
# µ-law / A-law WAVE file and as 16-bit PCM decoded by SoX (an independent
# G.711 decoder), so the tests can compare vxb's expansion code by code.
# Needs sox (Debian: apt-get install sox) and python3.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' > "$tmp/codes.raw"
for law in u-law a-law; do
  short=${law/-law/law}
  sox -D -R -t raw -r 8000 -c 1 -e "$law" -b 8 "$tmp/codes.raw" "all-codes.$short.wav"
  sox -D -R -t raw -r 8000 -c 1 -e "$law" -b 8 "$tmp/codes.raw" -e signed-integer -b 16 "all-codes.$short.sox.wav"
done
ls -l ./*.wav
