#!/usr/bin/env bash
# A cache HIT through `vxb proxy` side by side with nginx's `proxy_cache`
# serving the same cached 4 KB file from the same origin (`vxb serve`), on
# loopback, measured with wrk in one run, alternately.
#
#   benches/proxy_vs_nginx.sh            # as root: installs nginx and wrk if missing
#
# Knobs (environment): THREADS (vxb proxy --threads = nginx's worker_processes;
# default: the number of CPUs), WRK_THREADS (2), CONNECTIONS (64), DURATION
# (10s), ROUNDS (3), BASE_PORT (18480: origin, +1 vxb, +2 nginx, +3 nginx+).
#
# Exit status: 0 when vxb's median requests/s is at least that of nginx as the
# issue describes it (nginx+, tuned, is reported alongside), 1 otherwise or on
# any failure.
#
# A benchmark, not a test: neither `cargo test` nor CI runs it. See
# benches/README.md for what it measures and why it is set up this way.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-$(nproc)}
WRK_THREADS=${WRK_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
BASE_PORT=${BASE_PORT:-18480}
ORIGIN_PORT=$BASE_PORT
VXB_PORT=$((BASE_PORT + 1))
NGINX_PORT=$((BASE_PORT + 2))
NGINX_TUNED_PORT=$((BASE_PORT + 3))

say() { printf '== %s\n' "$*"; }
die() { printf 'proxy_vs_nginx: %s\n' "$*" >&2; exit 1; }

# ---- tools ---------------------------------------------------------------------
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "needs ${missing[*]} (apt-get install ${missing[*]}, as root)"
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package from starting the system nginx on port 80: the
  # benchmark runs its own.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

say "cargo build --release"
cargo build --release --quiet --bin vxb
VXB=$PWD/target/release/vxb

# ---- processes, cleaned up whatever happens -------------------------------------
TMP=$(mktemp -d /tmp/proxy_vs_nginx.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$TMP/site"
head -c 4096 /dev/urandom > "$TMP/site/file.bin"
cat > "$TMP/rules.toml" <<EOF
[[rule]]
path = "/**"
headers = { "Cache-Control" = "max-age=3600" }
EOF

wait_for() { # URL: until it answers, at most 10 s
  for _ in $(seq 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  die "nothing answers at $1"
}

"$VXB" serve "$TMP/site" --listen "127.0.0.1:$ORIGIN_PORT" --rules "$TMP/rules.toml" \
  > "$TMP/origin.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$ORIGIN_PORT/"

"$VXB" proxy --quiet --threads "$THREADS" --origin "http://127.0.0.1:$ORIGIN_PORT" \
  --listen "127.0.0.1:$VXB_PORT" > "$TMP/vxb.log" 2>&1 &
PIDS+=($!)
PID_vxb=$!

# nginx twice, on two ports: "nginx" as Debian ships it plus what a cache in
# front of an origin needs, and "nginx+" tuned for this very case
# (open_file_cache keeps the cache file open, so a hit does not open() and
# close() it; sendfile off, because for a 4 KB body a pread into the buffer
# costs less than sendfile's extra call). Each: its own prefix, pid, temp and
# cache paths; no daemon; no access log (vxb --quiet logs nothing either);
# keep-alive to the origin; client keep-alive without a request cap (vxb has
# none; nginx's default of 1000 would make wrk reconnect and charge nginx).
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
start_nginx() { # NAME PORT EXTRA-HTTP-DIRECTIVES
  local dir="$TMP/$1"
  mkdir -p "$dir"
  cat > "$dir/nginx.conf" <<EOF
$user_line
worker_processes $THREADS;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 65;
    keepalive_requests 10000000;
    $3
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy_temp;
    fastcgi_temp_path $dir/fastcgi_temp;
    uwsgi_temp_path $dir/uwsgi_temp;
    scgi_temp_path $dir/scgi_temp;
    proxy_cache_path $dir/cache levels=1:2 keys_zone=bench:10m max_size=100m inactive=1h use_temp_path=off;
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$2;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache bench;
            proxy_cache_valid 200 1h;
            add_header X-Cache \$upstream_cache_status;
        }
    }
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" > "$dir/stdout.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$1" '%s' "$!"
}
start_nginx nginx "$NGINX_PORT" "sendfile on; tcp_nopush on;"
start_nginx nginx_tuned "$NGINX_TUNED_PORT" "sendfile off; open_file_cache max=1000 inactive=1h;"

VXB_URL="http://127.0.0.1:$VXB_PORT/file.bin"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/file.bin"
NGINX_TUNED_URL="http://127.0.0.1:$NGINX_TUNED_PORT/file.bin"
wait_for "$VXB_URL"
wait_for "$NGINX_URL"
wait_for "$NGINX_TUNED_URL"

# ---- warm each, and check that it answers HIT with the file --------------------
check_hit() { # NAME URL EXPECTED-X-CACHE
  curl -s -o /dev/null "$2"
  curl -s -D "$TMP/headers" -o "$TMP/body" "$2"
  grep -qi "^x-cache: $3" "$TMP/headers" \
    || die "$1 does not answer X-Cache: $3: $(tr -d '\r' < "$TMP/headers" | tr '\n' '|')"
  cmp -s "$TMP/body" "$TMP/site/file.bin" || die "$1 does not serve the file"
  say "$1: $(grep -i '^x-cache' "$TMP/headers" | tr -d '\r'), $(wc -c < "$TMP/body") bytes"
}
check_hit "vxb   " "$VXB_URL" hit
check_hit "nginx " "$NGINX_URL" HIT
check_hit "nginx+" "$NGINX_TUNED_URL" HIT
origin_before=$(grep -c . "$TMP/origin.log")

# ---- measure, alternately --------------------------------------------------------
# Requests/s depends on what else the machine runs; CPU time per request (user
# + system of the server's own processes, from /proc) much less so, and it is
# what a hit costs. Both are reported.
TICKS=$(getconf CLK_TCK)
cpu_ticks() { # PID: user and system ticks of the process and its children
  local user=0 sys=0 p u t
  for p in "$1" $(pgrep -P "$1" || true); do
    read -r u t < <(awk '{print $14, $15}' "/proc/$p/stat")
    user=$((user + u))
    sys=$((sys + t))
  done
  echo "$user $sys"
}
label() { case $1 in nginx_tuned) echo "nginx+" ;; *) echo "$1" ;; esac; }
declare -A RPS LAT P99 CPU
run_wrk() { # NAME URL ROUND
  local out="$TMP/wrk-$1-$3.txt" pid_var="PID_$1" u0 s0 u1 s1 requests
  read -r u0 s0 < <(cpu_ticks "${!pid_var}")
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2" > "$out"
  read -r u1 s1 < <(cpu_ticks "${!pid_var}")
  if grep -q "Non-2xx\|Socket errors" "$out"; then
    cat "$out" >&2
    die "$1: errors under load"
  fi
  requests=$(awk '/requests in/ {print $1}' "$out")
  per_request() { awk -v t="$1" -v hz="$TICKS" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}'; }
  RPS[$1.$3]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  LAT[$1.$3]=$(awk '$1 == "Latency" {print $2; exit}' "$out")
  P99[$1.$3]=$(awk '$1 == "99%" {print $2}' "$out")
  CPU[$1.$3]=$(per_request $((u1 - u0 + s1 - s0)))
  printf '   %-6s round %d: %9s req/s   latency avg %7s p99 %7s   CPU %4s us/req (user %4s, system %4s)\n' \
    "$(label "$1")" "$3" "${RPS[$1.$3]}" "${LAT[$1.$3]}" "${P99[$1.$3]}" "${CPU[$1.$3]}" \
    "$(per_request $((u1 - u0)))" "$(per_request $((s1 - s0)))"
}

say "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), $("$VXB" --version), $THREADS worker(s) each; vxb $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
say "wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds, alternating"
for round in $(seq "$ROUNDS"); do
  run_wrk vxb "$VXB_URL" "$round"
  run_wrk nginx "$NGINX_URL" "$round"
  run_wrk nginx_tuned "$NGINX_TUNED_URL" "$round"
done

origin_after=$(grep -c . "$TMP/origin.log")
[ "$origin_after" = "$origin_before" ] \
  || die "the origin was asked $((origin_after - origin_before)) time(s) during the runs: not all hits"

median() { # ARRAY NAME: the median over the rounds (robust to a round that
  # another process on the machine spoiled)
  local -n values=$1
  local round
  for round in $(seq "$ROUNDS"); do echo "${values[$2.$round]}"; done | sort -g \
    | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
verdict=0
for other in nginx nginx_tuned; do
  rps_ratio=$(awk -v a="$(median RPS vxb)" -v b="$(median RPS "$other")" 'BEGIN {printf "%.2f", a / b}')
  cpu_ratio=$(awk -v a="$(median CPU vxb)" -v b="$(median CPU "$other")" 'BEGIN {printf "%.2f", a / b}')
  say "vxb vs $(label "$other") (medians): $(median RPS vxb) vs $(median RPS "$other") req/s (x$rps_ratio), $(median CPU vxb) vs $(median CPU "$other") CPU us/req (x$cpu_ratio)"
  if awk -v r="$rps_ratio" 'BEGIN {exit !(r >= 1.0)}'; then
    say "verdict: requests/s: a HIT through vxb proxy is at least as fast as $(label "$other")'s proxy_cache"
  else
    say "verdict: requests/s: a HIT through vxb proxy is SLOWER than $(label "$other")'s proxy_cache"
    # The issue's bar is nginx as it describes it; nginx+ is reported.
    if [ "$other" = nginx ]; then verdict=1; fi
  fi
  if awk -v r="$cpu_ratio" 'BEGIN {exit !(r <= 1.0)}'; then
    say "verdict: CPU: a HIT through vxb proxy costs no more than through $(label "$other")"
  else
    say "verdict: CPU: a HIT through vxb proxy costs MORE than through $(label "$other")"
  fi
done
exit $verdict
