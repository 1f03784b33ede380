#!/usr/bin/env bash
# A vxb fleet on this machine: Squid (the shared caching tier, configured by
# `vxb tier squid`), one origin (`vxb serve`) and N vxb browsers, each its own
# process with its own small cache, fetching through the tier. Everything it
# starts is stopped when it exits, Ctrl-C included.
#
#   scripts/fleet.sh N [APP_DIR] [START] [INPUT]
#   CALLS=20 scripts/fleet.sh 8 vxml-samples/bank index.vxml '"12","1234"'
#
# Each browser runs CALLS calls (default 5) of START (a path under APP_DIR)
# with the caller input INPUT (TOML strings). At the end it prints the
# requests that reached the origin and the tier's hits. VXB names the vxb
# binary (default: target/release/vxb, else target/debug/vxb, else vxb).
set -euo pipefail

n=${1:?usage: scripts/fleet.sh N [APP_DIR] [START] [INPUT]}
app=${2:-vxml-samples/bank}
start=${3:-index.vxml}
input=${4:-'"12", "1234"'}
calls=${CALLS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)

vxb=${VXB:-}
if [ -z "$vxb" ]; then
  for candidate in "$root/target/release/vxb" "$root/target/debug/vxb"; do
    if [ -x "$candidate" ]; then vxb=$candidate; break; fi
  done
fi
vxb=${vxb:-vxb}
squid=$(command -v squid || echo /usr/sbin/squid)
[ -x "$squid" ] || { echo "fleet: squid is not installed (apt-get install squid)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vxb-fleet-XXXXXX")
chmod 0777 "$work"      # squid, started as root, writes its logs as its own user
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "fleet: nothing listens on 127.0.0.1:$1 ($2)" >&2
  exit 1
}

tier_port=$(free_port)
origin_port=$(free_port)
"$vxb" tier squid --listen "127.0.0.1:$tier_port" --state-dir "$work" --memory-mb 64 >"$work/squid.conf"
chmod 0644 "$work/squid.conf"
"$squid" -N -f "$work/squid.conf" &
pids+=($!)
"$vxb" serve "$app" --listen "127.0.0.1:$origin_port" >"$work/origin.log" 2>&1 &
pids+=($!)
wait_port "$tier_port" squid
wait_port "$origin_port" origin

cat >"$work/browser.toml" <<TOML
[fetch]
proxy = "http://127.0.0.1:$tier_port"
# A small cache per browser: most of what it needs comes from the tier.
[cache.document]
max_bytes = 20_000
[cache.audio]
max_bytes = 100_000
TOML
{
  echo "config = \"browser.toml\""
  for _ in $(seq "$calls"); do
    printf '[[step]]\ncall = "http://127.0.0.1:%s/%s"\ninput = [%s]\n' "$origin_port" "$start" "$input"
  done
} >"$work/calls.toml"

echo "fleet: squid on 127.0.0.1:$tier_port, origin on 127.0.0.1:$origin_port, $n browsers x $calls calls"
browsers=()
for i in $(seq "$n"); do
  "$vxb" simulate "$work/calls.toml" --json "$work/browser-$i.json" >"$work/browser-$i.log" 2>&1 &
  browsers+=($!)
done
failed=0
for i in "${!browsers[@]}"; do
  if ! wait "${browsers[$i]}"; then
    failed=1
    echo "fleet: browser $((i + 1)) failed:" >&2
    tail -n 5 "$work/browser-$((i + 1)).log" >&2
  fi
done

origin_requests=$(grep -c ' -> ' "$work/origin.log" || true)
tier_requests=$(grep -c 'TCP_' "$work/access.log" || true)
tier_hits=$(grep -c '_HIT/' "$work/access.log" || true)
echo "fleet: $((n * calls)) calls; origin requests: $origin_requests; tier requests: $tier_requests, tier hits: $tier_hits"
exit "$failed"
