#!/bin/bash
# Benchmark: `satchel serve` against nginx serving the same files from the same machine, over loopback.
#
#   scripts/bench-serve.sh [ROUNDS] [DURATION] [WORKDIR]
#
#   ROUNDS    wrk runs per server and workload, in alternation (default 3)
#   DURATION  seconds per wrk run (default 10)
#   WORKDIR   where the content, bundle, data directory, configs and logs go (default ./bench-out/serve)
#
# Environment:
#   SKIP_BUILD=1   do not run scripts/build-release.sh (the release build the .deb ships)
#   SATCHEL=PATH   the satchel binary to benchmark (default .build/release/satchel)
#
# Builds a release satchel, makes 200 small files of 10 KB and one 200 MB video, packs, signs and imports them into
# a fresh data directory, then serves them with satchel (127.0.0.1:18481) and with nginx (127.0.0.1:18482, 2 workers,
# sendfile) and measures with wrk:
#   - small files: random one of the 200 per request, 2 threads, 64 connections -> requests/sec
#   - big file:    the 200 MB video, 1 thread, 4 connections                   -> transfer rate
# It prints the medians, the ratios satchel/nginx (goal >= 0.9 for both) and satchel's peak RSS while under load
# (goal <= 64 MiB). On a machine shared with other work the rates drift from minute to minute, so the ratio judged is
# the median of the rounds' ratios (the two runs of a round are seconds apart); the ratio of the two medians is
# printed beside it. It also prints each server's CPU time per small-file request, which drifts less. Runtime is
# about ROUNDS * 4 * DURATION seconds plus setup.
# Debian packages: nginx-light wrk curl.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"

usage() { echo "usage: scripts/bench-serve.sh [ROUNDS=3] [DURATION=10] [WORKDIR=./bench-out/serve]" >&2; exit 2; }
case "${1:-}" in -h | --help) usage ;; esac
ROUNDS="${1:-3}"
DURATION="${2:-10}"
WORK="${3:-$PWD/bench-out/serve}"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$DURATION" =~ ^[1-9][0-9]*$ ]] || usage

SATCHEL_PORT=18481
NGINX_PORT=18482
SMALL_COUNT=200
SMALL_SIZE=10240                 # 10 KB per small file
BIG_MB=200                       # the big file, in MiB
SATCHEL_BASE="http://127.0.0.1:$SATCHEL_PORT/content/bench"
NGINX_BASE="http://127.0.0.1:$NGINX_PORT"

# --- tools -----------------------------------------------------------------------------------------------------
missing=""
for tool in nginx wrk curl; do
    command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    echo "missing:$missing" >&2
    echo "install them with: apt-get install -y nginx-light wrk curl" >&2
    exit 1
fi

# --- satchel binary ----------------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "building satchel (release) ..."
    scripts/build-release.sh satchel >/dev/null
fi
SATCHEL="${SATCHEL:-.build/release/satchel}"
[ -x "$SATCHEL" ] || { echo "no satchel binary at $SATCHEL (build it, or set SATCHEL=PATH)" >&2; exit 1; }
SATCHEL="$(cd "$(dirname "$SATCHEL")" && pwd)/$(basename "$SATCHEL")"
export SATCHEL_LANG=en

mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
echo "satchel: $SATCHEL"
echo "workdir: $WORK"

# --- cleanup: stop everything this script started ----------------------------------------------------------------
SATCHEL_PID=""
NGINX_PID=""
cleanup() {
    local pid
    for pid in "$SATCHEL_PID" "$NGINX_PID"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            # Give it up to 5 s to exit, then force it.
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "FAIL: $*" >&2; exit 1; }

# --- content: 200 small text files and one big binary file ------------------------------------------------------
if [ ! -f "$WORK/src/.complete" ]; then
    echo "making the test content in $WORK/src ..."
    rm -rf "$WORK/src" "$WORK/bench.tar.zst"
    mkdir -p "$WORK/src/small" "$WORK/src/big"
    # Random-ish text: base64 of random bytes, cut into files of exactly SMALL_SIZE bytes (f-000.html ... f-199.html).
    # (Via a temporary file: a truncating `head` in the middle of a pipe would fail it under pipefail.)
    head -c $((SMALL_COUNT * SMALL_SIZE)) /dev/urandom | base64 -w 100 >"$WORK/small.txt"
    head -c $((SMALL_COUNT * SMALL_SIZE)) "$WORK/small.txt" \
        | split -b "$SMALL_SIZE" -d -a 3 --additional-suffix=.html - "$WORK/src/small/f-"
    rm -f "$WORK/small.txt"
    head -c "${BIG_MB}M" /dev/urandom >"$WORK/src/big/video.mp4"
    [ "$(find "$WORK/src/small" -name 'f-*.html' -size "${SMALL_SIZE}c" | wc -l)" -eq "$SMALL_COUNT" ] \
        || fail "expected $SMALL_COUNT small files of $SMALL_SIZE bytes"
    touch "$WORK/src/.complete"
fi
BIG_SIZE=$(stat -c %s "$WORK/src/big/video.mp4")

# --- key, bundle, data directory ---------------------------------------------------------------------------------
# keygen refuses to overwrite, so an existing key pair is reused; a half pair is replaced (and the bundle re-signed).
if [ ! -f "$WORK/bench.key" ] || [ ! -f "$WORK/bench.key.pub" ]; then
    rm -f "$WORK/bench.key" "$WORK/bench.key.pub" "$WORK/bench.tar.zst"
    "$SATCHEL" keygen --output "$WORK/bench.key" >/dev/null
fi
if [ ! -f "$WORK/bench.tar.zst" ]; then
    echo "packing the bundle ..."
    "$SATCHEL" pack "$WORK/src" --id bench --version 1 --key "$WORK/bench.key" --output "$WORK/bench.tar.zst.tmp" \
        >/dev/null
    mv "$WORK/bench.tar.zst.tmp" "$WORK/bench.tar.zst"
fi
# The data directory is rebuilt on every run so it always matches the bundle and the binary under test.
echo "importing the bundle into $WORK/data ..."
rm -rf "$WORK/data"
"$SATCHEL" trust add --data "$WORK/data" "$WORK/bench.key.pub" >/dev/null
SATCHEL_DISK_RESERVE_BYTES=0 "$SATCHEL" import --data "$WORK/data" "$WORK/bench.tar.zst" >"$WORK/import.log" 2>&1 \
    || { cat "$WORK/import.log" >&2; fail "satchel import failed"; }

# --- servers ---------------------------------------------------------------------------------------------------
# Refuse to run if something already answers on either port: we would benchmark the wrong server.
for port in "$SATCHEL_PORT" "$NGINX_PORT"; do
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
        fail "something already listens on 127.0.0.1:$port; stop it first"
    fi
done

# Waits until URL answers 200, for at most 30 s, while process PID is alive.
wait_for_200() {
    local url="$1" pid="$2" name="$3" log="$4"
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "$name exited during startup"; }
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = 200 ] && return 0
        sleep 0.2
    done
    cat "$log" >&2
    fail "$name did not answer 200 at $url within 30 s"
}

echo "starting satchel on 127.0.0.1:$SATCHEL_PORT ..."
# MALLOC_ARENA_MAX=2 as the systemd unit (packages/satchel.service) sets it.
MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536 SATCHEL_LOG_LEVEL=warning "$SATCHEL" serve --data "$WORK/data" --port "$SATCHEL_PORT" --host 127.0.0.1 \
    >"$WORK/satchel.log" 2>&1 &
SATCHEL_PID=$!
wait_for_200 "http://127.0.0.1:$SATCHEL_PORT/healthz" "$SATCHEL_PID" satchel "$WORK/satchel.log"

# A minimal nginx: 2 workers (same 2 cores), sendfile, keep-alive, no access log, everything inside WORK.
NGINX_USER=""
[ "$(id -u)" -eq 0 ] && NGINX_USER="user root;"   # workers must be able to read WORK when started as root
mkdir -p "$WORK/nginx-tmp"
cat >"$WORK/nginx.conf" <<EOF
# Written by scripts/bench-serve.sh; regenerated on every run.
$NGINX_USER
worker_processes 2;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx-tmp;
    types {
        text/html html;
        video/mp4 mp4;
    }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/src;
    }
}
EOF
echo "starting nginx on 127.0.0.1:$NGINX_PORT ..."
nginx -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
wait_for_200 "$NGINX_BASE/small/f-000.html" "$NGINX_PID" nginx "$WORK/nginx-error.log"

# --- check that both servers return the same bytes ---------------------------------------------------------------
echo "checking that both servers return the same content ..."
curl -sf --max-time 10 -o "$WORK/check-satchel.html" "$SATCHEL_BASE/small/f-000.html" \
    || fail "satchel did not serve $SATCHEL_BASE/small/f-000.html"
curl -sf --max-time 10 -o "$WORK/check-nginx.html" "$NGINX_BASE/small/f-000.html" \
    || fail "nginx did not serve $NGINX_BASE/small/f-000.html"
cmp -s "$WORK/check-satchel.html" "$WORK/check-nginx.html" || fail "small file f-000.html differs between the servers"
cmp -s "$WORK/check-satchel.html" "$WORK/src/small/f-000.html" || fail "small file f-000.html differs from the source"
rm -f "$WORK/check-satchel.html" "$WORK/check-nginx.html"

content_length() {
    curl -sfI --max-time 10 "$1" | tr -d '\r' | awk -F': *' 'tolower($1) == "content-length" { print $2 }'
}
S_LEN=$(content_length "$SATCHEL_BASE/big/video.mp4")
N_LEN=$(content_length "$NGINX_BASE/big/video.mp4")
[ -n "$S_LEN" ] && [ "$S_LEN" = "$N_LEN" ] && [ "$S_LEN" = "$BIG_SIZE" ] \
    || fail "big file Content-Length: satchel '${S_LEN}', nginx '${N_LEN}', file $BIG_SIZE"
# Fetch the whole big file from both once: checks the bytes and warms the page cache for both copies.
S_SUM=$(curl -sf --max-time 300 "$SATCHEL_BASE/big/video.mp4" | sha256sum | cut -d' ' -f1)
N_SUM=$(curl -sf --max-time 300 "$NGINX_BASE/big/video.mp4" | sha256sum | cut -d' ' -f1)
[ "$S_SUM" = "$N_SUM" ] || fail "big file bytes differ between the servers (sha256 $S_SUM vs $N_SUM)"
echo "ok: f-000.html identical, video.mp4 $BIG_SIZE bytes and sha256 identical"

# --- wrk scripts -------------------------------------------------------------------------------------------------
cat >"$WORK/small.lua" <<EOF
-- Written by scripts/bench-serve.sh: each request asks for a random one of the $SMALL_COUNT small files under the
-- URL's path (http://host:port/BASE -> BASE/small/f-NNN.html).
local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("id", counter)
end

local base = ""
function init(args)
    math.randomseed(os.time() * 100 + (id or 0))
    base = (wrk.path:gsub("/+\$", ""))
end

function request()
    return wrk.format("GET", string.format("%s/small/f-%03d.html", base, math.random(0, $((SMALL_COUNT - 1)))))
end
EOF

# --- measurement helpers -----------------------------------------------------------------------------------------
# CPU time (utime + stime, in clock ticks) the given processes have used so far, all their threads included.
cpu_ticks() {
    local pid total=0
    for pid in "$@"; do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$total"
}
# Microseconds of server CPU per request: TICKS clock ticks over the requests in wrk log LOG.
cpu_us_per_request() {
    awk -v ticks="$1" -v hz="$(getconf CLK_TCK)" '/ requests in / { printf "%.2f\n", ticks * 1e6 / hz / $1 }' "$2"
}

# Runs wrk with the given arguments, keeps its output in LOG, fails on non-2xx/3xx answers.
run_wrk() {
    local log="$1"
    shift
    timeout $((DURATION + 60)) wrk "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "wrk failed: wrk $*"; }
    if grep -q "Non-2xx or 3xx responses" "$log"; then
        cat "$log" >&2
        fail "wrk saw error responses: wrk $*"
    fi
}
# Requests/sec from a wrk log.
requests_per_sec() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
# Transfer/sec from a wrk log, in MB/s (wrk's units are binary: 1 MB = 1048576 bytes).
transfer_mb_per_sec() {
    awk '/^Transfer\/sec:/ {
        v = $2; n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024; else if (u == "B") n /= 1048576
        printf "%.1f\n", n
    }' "$1"
}
# The 99th percentile latency line of a wrk --latency log.
p99() { awk '$1 == "99%" { print $2 }' "$1"; }
# Socket errors (connect/read/write/timeout), or 0.
socket_errors() { awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10; f = 1 } END { if (!f) print 0 }' "$1"; }

median() { printf "%s\n" "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v goal="$2" -v op="$3" 'BEGIN {
    if (v == "n/a") print "n/a"; else if ((op == ">=" && v + 0 >= goal) || (op == "<=" && v + 0 <= goal)) print "ok"; else print "BELOW GOAL" }'; }

# --- the rounds --------------------------------------------------------------------------------------------------
IDLE_RSS=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SATCHEL_PID/status")
# Satchel's peak RSS under the load is its VmHWM after the rounds, with the mark reset to the current RSS first
# (clear_refs 5): exact, and nothing runs beside the servers to sample it.
HWM_RESET=yes
echo 5 >"/proc/$SATCHEL_PID/clear_refs" 2>/dev/null || HWM_RESET=no
NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
[ -n "$NGINX_WORKERS" ] || fail "no nginx worker processes under pid $NGINX_PID"
s_small=(); n_small=(); s_big=(); n_big=(); s_cpu=(); n_cpu=(); r_small=(); r_big=()
echo
echo "running $ROUNDS rounds of 4 wrk runs x ${DURATION}s (about $((ROUNDS * 4 * DURATION)) s) ..."
for round in $(seq 1 "$ROUNDS"); do
    L="$WORK/wrk-r$round"

    before=$(cpu_ticks "$SATCHEL_PID")
    run_wrk "$L-small-satchel.txt" -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/small.lua" "$SATCHEL_BASE"
    s_cpu+=("$(cpu_us_per_request $(($(cpu_ticks "$SATCHEL_PID") - before)) "$L-small-satchel.txt")")
    # shellcheck disable=SC2086 # one argument per worker
    before=$(cpu_ticks $NGINX_WORKERS)
    run_wrk "$L-small-nginx.txt" -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/small.lua" "$NGINX_BASE"
    # shellcheck disable=SC2086
    n_cpu+=("$(cpu_us_per_request $(($(cpu_ticks $NGINX_WORKERS) - before)) "$L-small-nginx.txt")")

    run_wrk "$L-big-satchel.txt" -t1 -c4 -d"${DURATION}s" --timeout 30s "$SATCHEL_BASE/big/video.mp4"
    run_wrk "$L-big-nginx.txt" -t1 -c4 -d"${DURATION}s" --timeout 30s "$NGINX_BASE/big/video.mp4"

    s_small+=("$(requests_per_sec "$L-small-satchel.txt")")
    n_small+=("$(requests_per_sec "$L-small-nginx.txt")")
    s_big+=("$(transfer_mb_per_sec "$L-big-satchel.txt")")
    n_big+=("$(transfer_mb_per_sec "$L-big-nginx.txt")")
    for value in "${s_small[-1]}" "${n_small[-1]}" "${s_big[-1]}" "${n_big[-1]}"; do
        [[ "$value" =~ ^[0-9.]+$ ]] || fail "could not parse the wrk output in $L-*.txt"
    done
    r_small+=("$(ratio "${s_small[-1]}" "${n_small[-1]}")")
    r_big+=("$(ratio "${s_big[-1]}" "${n_big[-1]}")")
    printf "round %d: small req/s satchel %10.1f (p99 %s, socket errors %s)  nginx %10.1f (p99 %s, socket errors %s)  ratio %s\n" \
        "$round" "${s_small[-1]}" "$(p99 "$L-small-satchel.txt")" "$(socket_errors "$L-small-satchel.txt")" \
        "${n_small[-1]}" "$(p99 "$L-small-nginx.txt")" "$(socket_errors "$L-small-nginx.txt")" "${r_small[-1]}"
    printf "round %d: small CPU   satchel %7s us/request                  nginx %7s us/request\n" \
        "$round" "${s_cpu[-1]}" "${n_cpu[-1]}"
    printf "round %d: big MB/s    satchel %10.1f                              nginx %10.1f  ratio %s\n" \
        "$round" "${s_big[-1]}" "${n_big[-1]}" "${r_big[-1]}"
done

# --- summary -----------------------------------------------------------------------------------------------------

MS_SMALL=$(median "${s_small[@]}"); MN_SMALL=$(median "${n_small[@]}")
MS_BIG=$(median "${s_big[@]}"); MN_BIG=$(median "${n_big[@]}")
R_SMALL=$(ratio "$MS_SMALL" "$MN_SMALL"); R_BIG=$(ratio "$MS_BIG" "$MN_BIG")
MR_SMALL=$(printf "%.2f" "$(median "${r_small[@]}")"); MR_BIG=$(printf "%.2f" "$(median "${r_big[@]}")")
MS_CPU=$(median "${s_cpu[@]}"); MN_CPU=$(median "${n_cpu[@]}")
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SATCHEL_PID/status")
HWM_MIB=$(awk -v k="$HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')
IDLE_MIB=$(awk -v k="$IDLE_RSS" 'BEGIN { printf "%.1f", k / 1024 }')

echo
echo "summary ($ROUNDS rounds, ${DURATION}s per run, medians; satchel $SATCHEL)"
# The verdict is on the median of the per-round ratios: the two runs of a round are seconds apart, while the two
# medians of a ratio of medians may come from different minutes of a machine whose speed drifts.
printf "small files (10 KB, -t2 -c64): satchel %10.1f req/s   nginx %10.1f req/s   ratio %s (goal >= 0.9: %s; ratio of the medians %s)\n" \
    "$MS_SMALL" "$MN_SMALL" "$MR_SMALL" "$(verdict "$MR_SMALL" 0.9 '>=')" "$R_SMALL"
printf "big file (200 MB, -t1 -c4):    satchel %10.1f MB/s    nginx %10.1f MB/s    ratio %s (goal >= 0.9: %s; ratio of the medians %s)\n" \
    "$MS_BIG" "$MN_BIG" "$MR_BIG" "$(verdict "$MR_BIG" 0.9 '>=')" "$R_BIG"
printf "small files, server CPU:       satchel %7s us/request   nginx %7s us/request   ratio %s\n" \
    "$MS_CPU" "$MN_CPU" "$(ratio "$MS_CPU" "$MN_CPU")"
if [ "$HWM_RESET" = yes ]; then
    printf "satchel RSS: idle %s MiB, peak under load (VmHWM) %s MiB (goal <= 64: %s)\n" \
        "$IDLE_MIB" "$HWM_MIB" "$(verdict "$HWM_MIB" 64 '<=')"
else
    printf "satchel RSS: idle %s MiB, peak since start (VmHWM; could not reset it) %s MiB (goal <= 64: %s)\n" \
        "$IDLE_MIB" "$HWM_MIB" "$(verdict "$HWM_MIB" 64 '<=')"
fi
echo "wrk logs and nginx.conf are in $WORK"
