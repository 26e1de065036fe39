#!/bin/bash
# Benchmark: `satchel serve` beside what a school would otherwise run (kiwix-serve, Kolibri) and beside nginx, all
# serving the same files on this machine over loopback, in alternating rounds of one run.
#
#   scripts/bench-serve.sh [ROUNDS] [DURATION] [WORKDIR]
#
#   ROUNDS    rounds; each round runs every server once per workload, in an order that rotates (default 3)
#   DURATION  seconds per wrk run (default 10)
#   WORKDIR   content, bundle, ZIM, Kolibri venv and home, configs and logs (default ./bench-out/serve); the
#             content, ZIM, bundle and venv are kept there and reused by the next run
#
# Environment:
#   SATCHEL_BIN=PATH   the satchel binary to measure (default: scripts/build-release.sh's .build/release/satchel,
#                      built first; SKIP_BUILD=1 skips that build)
#   LESSONS=N          lesson pages (default 2000); VIDEO_MIB=N the big file's size (default 200)
#   KOLIBRI_SPEC=...   what pip installs into the venv (default kolibri==0.19.5)
#
# The content (scripts/bench-serve-content.py) is a school's: LESSONS lesson pages of 5-40 KB of Chinese text, each
# with 1-3 images of 8-64 KB, and one VIDEO_MIB MiB video. Each server gets it its own way:
#   satchel     127.0.0.1:18481  `satchel pack` (one resource per lesson), `satchel import`; /content/lessons/<path>
#   kiwix-serve 127.0.0.1:18483  a ZIM made by zimwriterfs from the same folder; /lessons/<path>; -n (no top bar)
#   Kolibri     127.0.0.1:18484  `kolibri start --foreground` from a venv; each file in its content storage, named
#                                as Kolibri names files: /content/storage/<m>/<d>/<md5>.<ext>
#   nginx       127.0.0.1:18482  2 workers (www-data when run as root), sendfile, no access log; /<path>
# Workloads, with wrk:
#   pages: every lesson page and its images in turn (the lessons in a shuffled order), 2 threads, 64 connections,
#          scripts/bench-serve-pages.lua walking the server's own URL list -> requests/s
#   big:   the video, 1 thread, 4 connections -> MB/s
# Printed per server: requests/s and MB/s (medians of the rounds), the median of the per-round ratios satchel/server,
# server CPU time per page request (utime + stime of all its processes over its page runs / their requests), idle RSS
# a second after start, and peak RSS under the load (VmHWM, reset through /proc/PID/clear_refs before the rounds);
# both summed over a server's processes (nginx's master and workers). Goals judged: pages >= 3x kiwix-serve and
# >= 3x Kolibri and >= 0.5x nginx, the video >= 0.9x nginx, satchel's peak RSS <= kiwix-serve's.
#
# Runtime: ROUNDS * 8 * DURATION seconds plus setup; the first run on a machine also makes the content (~1 min), the
# ZIM (~2 min on 2 cores), the bundle, and installs Kolibri into the venv (~1 min). Missing Debian packages
# (nginx-light wrk curl procps kiwix-tools zim-tools python3-venv) are installed with apt-get when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"

usage() { echo "usage: scripts/bench-serve.sh [ROUNDS=3] [DURATION=10] [WORKDIR=./bench-out/serve]" >&2; exit 2; }
case "${1:-}" in -h | --help) usage ;; esac
ROUNDS="${1:-3}"
DURATION="${2:-10}"
WORK="${3:-$PWD/bench-out/serve}"
LESSONS="${LESSONS:-2000}"
VIDEO_MIB="${VIDEO_MIB:-200}"
KOLIBRI_SPEC="${KOLIBRI_SPEC:-kolibri==0.19.5}"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$DURATION" =~ ^[1-9][0-9]*$ && "$LESSONS" =~ ^[1-9][0-9]*$ ]] || usage
[[ "$VIDEO_MIB" =~ ^[1-9][0-9]*$ ]] || usage

SERVERS=(satchel kiwix kolibri nginx)
declare -A PORT=([satchel]=18481 [nginx]=18482 [kiwix]=18483 [kolibri]=18484)
KOLIBRI_ZIP_PORT=18485          # Kolibri's second (sandboxed HTML5 app) server; unused here but always started
declare -A LABEL=([satchel]=satchel [kiwix]=kiwix-serve [kolibri]=Kolibri [nginx]=nginx)
declare -A PID=()
BUNDLE_ID=lessons
PYTHON=/usr/bin/python3         # Debian's, which python3-venv completes (not a pyenv or other python on the PATH)

fail() { echo "FAIL: $*" >&2; exit 1; }

# --- tools -----------------------------------------------------------------------------------------------------
install_missing() {
    local missing=()
    command -v nginx >/dev/null || missing+=(nginx-light)
    command -v wrk >/dev/null || missing+=(wrk)
    command -v curl >/dev/null || missing+=(curl)
    command -v pgrep >/dev/null || missing+=(procps)
    command -v kiwix-serve >/dev/null || missing+=(kiwix-tools)
    command -v zimwriterfs >/dev/null || missing+=(zim-tools)
    [ -x "$PYTHON" ] && "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || fail "missing Debian packages; run: sudo apt-get install -y ${missing[*]}"
    echo "installing ${missing[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
install_missing

# --- satchel binary ----------------------------------------------------------------------------------------------
if [ -z "${SATCHEL_BIN:-}" ]; then
    if [ "${SKIP_BUILD:-0}" != 1 ]; then
        echo "building satchel (release) ..."
        scripts/build-release.sh satchel >/dev/null
    fi
    SATCHEL_BIN=.build/release/satchel
fi
[ -x "$SATCHEL_BIN" ] || fail "no satchel binary at $SATCHEL_BIN (build it, or set SATCHEL_BIN=PATH)"
SATCHEL_BIN="$(cd "$(dirname "$SATCHEL_BIN")" && pwd)/$(basename "$SATCHEL_BIN")"
export SATCHEL_LANG=en

mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
echo "satchel: $SATCHEL_BIN"
echo "workdir: $WORK"

# --- cleanup: stop every server this script started ------------------------------------------------------------
# The PIDs of a process and all its descendants (nginx's workers; anything Kolibri starts).
tree_pids() {
    local child
    kill -0 "$1" 2>/dev/null || return 0
    echo "$1"
    for child in $(pgrep -P "$1" || true); do tree_pids "$child"; done
}
stop_server() {
    local pid="${PID[$1]:-}" pids
    [ -n "$pid" ] || return 0
    pids=$(tree_pids "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    # Up to 15 s to exit (Kolibri shuts its bus down in steps), then force it and whatever it started.
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    # shellcheck disable=SC2086 # one argument per PID
    kill -KILL $pids 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    PID[$1]=""
}
cleanup() {
    local server
    for server in "${SERVERS[@]}"; do stop_server "$server"; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- content -----------------------------------------------------------------------------------------------------
SRC="$WORK/src"
if [ ! -f "$WORK/src.complete" ] || [ "$(cat "$WORK/src.complete")" != "$LESSONS $VIDEO_MIB" ]; then
    echo "making $LESSONS lesson pages and a $VIDEO_MIB MiB video in $SRC ..."
    rm -rf "$SRC" "$SRC.pages" "$SRC.png" "$WORK/src.complete" "$WORK/$BUNDLE_ID.tar.zst" "$WORK/$BUNDLE_ID.zim" \
        "$WORK/kolibri-home/content/storage" "$WORK/kolibri.pages"
    "$PYTHON" scripts/bench-serve-content.py "$SRC" "$LESSONS" "$VIDEO_MIB"
    echo "$LESSONS $VIDEO_MIB" >"$WORK/src.complete"
fi
BIG=video/lesson-video.mp4
BIG_SIZE=$(stat -c %s "$SRC/$BIG")
PAGE_COUNT=$(wc -l <"$SRC.pages")
echo "content: $PAGE_COUNT pages and images ($(du -sh --exclude=video "$SRC" | cut -f1)), video $BIG_SIZE bytes"

# Where each server answers for a content path, and its URL list for the pages workload.
url_base() { echo "http://127.0.0.1:${PORT[$1]}"; }
declare -A BIG_PATH=([satchel]="/content/$BUNDLE_ID/$BIG" [kiwix]="/$BUNDLE_ID/$BIG" [nginx]="/$BIG")

# --- waiting for a server ----------------------------------------------------------------------------------------
# Waits until URL answers 200 while the server's process lives, for at most SECONDS.
wait_for_200() {
    local server="$1" url="$2" seconds="$3" log="$4" deadline=$((SECONDS + $3))
    while [ "$SECONDS" -lt "$deadline" ]; do
        kill -0 "${PID[$server]}" 2>/dev/null || { tail -20 "$log" >&2; fail "$server exited during startup"; }
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = 200 ] && return 0
        sleep 0.2
    done
    tail -20 "$log" >&2
    fail "$server did not answer 200 at $url within $seconds s"
}
check_port_free() {
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"; then
        fail "something already listens on 127.0.0.1:$1; stop it first"
    fi
}

# --- satchel -----------------------------------------------------------------------------------------------------
setup_satchel() {
    # keygen refuses to overwrite, so a key pair is reused; a half pair is replaced (and the bundle re-signed).
    if [ ! -f "$WORK/bench.key" ] || [ ! -f "$WORK/bench.key.pub" ]; then
        rm -f "$WORK/bench.key" "$WORK/bench.key.pub" "$WORK/$BUNDLE_ID.tar.zst"
        "$SATCHEL_BIN" keygen --output "$WORK/bench.key" >/dev/null
    fi
    if [ ! -f "$WORK/$BUNDLE_ID.tar.zst" ]; then
        echo "satchel: packing the bundle ..."
        "$SATCHEL_BIN" pack "$SRC" --id "$BUNDLE_ID" --version 1 --key "$WORK/bench.key" \
            --output "$WORK/$BUNDLE_ID.tar.zst.tmp" >/dev/null
        mv "$WORK/$BUNDLE_ID.tar.zst.tmp" "$WORK/$BUNDLE_ID.tar.zst"
    fi
    # The data directory is made anew on every run, so it always matches the bundle and the binary under test.
    echo "satchel: importing the bundle ..."
    rm -rf "$WORK/satchel-data" && mkdir -p "$WORK/satchel-data"
    "$SATCHEL_BIN" trust add --data "$WORK/satchel-data" "$WORK/bench.key.pub" >/dev/null
    SATCHEL_DISK_RESERVE_BYTES=0 "$SATCHEL_BIN" import --data "$WORK/satchel-data" "$WORK/$BUNDLE_ID.tar.zst" \
        >"$WORK/satchel-import.log" 2>&1 || { cat "$WORK/satchel-import.log" >&2; fail "satchel import failed"; }
    sed "s|^|/content/$BUNDLE_ID/|" "$SRC.pages" >"$WORK/satchel.pages"
}
start_satchel() {
    # MALLOC_ARENA_MAX=2 as the systemd unit (packages/satchel.service) sets it.
    MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536 SATCHEL_LOG_LEVEL=warning \
        "$SATCHEL_BIN" serve --data "$WORK/satchel-data" --port "${PORT[satchel]}" --host 127.0.0.1 \
        >"$WORK/satchel.log" 2>&1 &
    PID[satchel]=$!
    wait_for_200 satchel "$(url_base satchel)/healthz" 30 "$WORK/satchel.log"
}

# --- kiwix-serve -------------------------------------------------------------------------------------------------
setup_kiwix() {
    if [ ! -f "$WORK/$BUNDLE_ID.zim" ]; then
        echo "kiwix: making $BUNDLE_ID.zim with zimwriterfs (no full-text index) ..."
        # zimwriterfs wants its illustration inside the folder: pack a hard-linked copy of it with the PNG added.
        rm -rf "$WORK/zim-src" "$WORK/$BUNDLE_ID.zim.tmp"
        cp -al "$SRC" "$WORK/zim-src"
        cp "$SRC.png" "$WORK/zim-src/illustration.png"
        zimwriterfs --withoutFTIndex --welcome=lesson-0001/index.html --illustration=illustration.png \
            --language=zho --title="小学课堂教案" --description="scripts/bench-serve.sh content" \
            --creator=satchel-bench --publisher=satchel-bench --name="$BUNDLE_ID" \
            "$WORK/zim-src" "$WORK/$BUNDLE_ID.zim.tmp" >"$WORK/zimwriterfs.log" 2>&1 \
            || { tail -20 "$WORK/zimwriterfs.log" >&2; fail "zimwriterfs failed"; }
        rm -rf "$WORK/zim-src"
        mv "$WORK/$BUNDLE_ID.zim.tmp" "$WORK/$BUNDLE_ID.zim"
    fi
    # kiwix-serve names the book after the file: /lessons/<path>.
    sed "s|^|/$BUNDLE_ID/|" "$SRC.pages" >"$WORK/kiwix.pages"
}
start_kiwix() {
    # -n: no search bar spliced into every page (it still adds one <link> to each HTML head).
    kiwix-serve -n --address=127.0.0.1 --port="${PORT[kiwix]}" "$WORK/$BUNDLE_ID.zim" >"$WORK/kiwix.log" 2>&1 &
    PID[kiwix]=$!
    wait_for_200 kiwix "$(url_base kiwix)/$BUNDLE_ID/lesson-0001/fig-1.jpg" 60 "$WORK/kiwix.log"
}

# --- Kolibri -----------------------------------------------------------------------------------------------------
KOLIBRI_VENV="$WORK/kolibri-venv"
export KOLIBRI_HOME="$WORK/kolibri-home"
setup_kolibri() {
    if [ ! -x "$KOLIBRI_VENV/bin/kolibri" ] || [ "$(cat "$KOLIBRI_VENV/spec" 2>/dev/null)" != "$KOLIBRI_SPEC" ]; then
        echo "kolibri: installing $KOLIBRI_SPEC into $KOLIBRI_VENV ..."
        rm -rf "$KOLIBRI_VENV"
        "$PYTHON" -m venv "$KOLIBRI_VENV"
        "$KOLIBRI_VENV/bin/pip" install -q --disable-pip-version-check "$KOLIBRI_SPEC" >"$WORK/kolibri-pip.log" 2>&1 \
            || { tail -20 "$WORK/kolibri-pip.log" >&2; fail "pip install $KOLIBRI_SPEC failed"; }
        echo "$KOLIBRI_SPEC" >"$KOLIBRI_VENV/spec"
    fi
    # Kolibri keeps content files as content/storage/<first hex digit>/<second>/<md5>.<ext> and serves them at
    # /content/storage/... (its DynamicWhiteNoise, before Django). Hard links put the same files there.
    if [ ! -f "$WORK/kolibri.pages" ] || [ ! -d "$KOLIBRI_HOME/content/storage" ]; then
        echo "kolibri: linking the files into its content storage ..."
        rm -rf "$KOLIBRI_HOME/content/storage"
        { cat "$SRC.pages"; echo "$BIG"; } | (cd "$SRC" && xargs -d '\n' md5sum) >"$WORK/kolibri.md5"
        local md5 path name
        mkdir -p "$KOLIBRI_HOME/content/storage"
        (cd "$KOLIBRI_HOME/content/storage" && mkdir -p {0..9} {a..f} && for d in */; do (cd "$d" && mkdir -p {0..9} {a..f}); done)
        : >"$WORK/kolibri.pages.tmp"
        while read -r md5 path; do
            name="${md5:0:1}/${md5:1:1}/$md5.${path##*.}"
            ln -f "$SRC/$path" "$KOLIBRI_HOME/content/storage/$name"
            if [ "$path" = "$BIG" ]; then
                echo "/content/storage/$name" >"$WORK/kolibri.big"
            else
                echo "/content/storage/$name" >>"$WORK/kolibri.pages.tmp"
            fi
        done <"$WORK/kolibri.md5"
        mv "$WORK/kolibri.pages.tmp" "$WORK/kolibri.pages"
    fi
    BIG_PATH[kolibri]=$(cat "$WORK/kolibri.big")
}
start_kolibri() {
    # Loopback only; no zeroconf (mDNS) and no ping home. The rest as Kolibri ships (its CherryPy thread pool is
    # sized from the machine's memory).
    KOLIBRI_HTTP_PORT="${PORT[kolibri]}" KOLIBRI_ZIP_CONTENT_PORT="$KOLIBRI_ZIP_PORT" \
        KOLIBRI_LISTEN_ADDRESS=127.0.0.1 KOLIBRI_ZEROCONF_ENABLED=False KOLIBRI_DISABLE_PING=True \
        "$KOLIBRI_VENV/bin/kolibri" start --foreground >"$WORK/kolibri.log" 2>&1 &
    PID[kolibri]=$!
    # The first start migrates its databases; wait for its public info API to answer.
    wait_for_200 kolibri "$(url_base kolibri)/api/public/info/" 900 "$WORK/kolibri.log"
}

# --- nginx -------------------------------------------------------------------------------------------------------
setup_nginx() {
    local user=""
    if [ "$(id -u)" -eq 0 ]; then
        # Started as root, nginx runs its workers as www-data: they must be able to read the files.
        user="user www-data;"
        chmod -R a+rX "$SRC"
        runuser -u www-data -- test -r "$SRC/$BIG" \
            || fail "www-data cannot read $SRC (a folder above it is closed); give a WORKDIR it can reach"
    fi
    mkdir -p "$WORK/nginx-tmp"
    cat >"$WORK/nginx.conf" <<EOF
# Written by scripts/bench-serve.sh; made anew on every run.
$user
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
        image/jpeg jpg;
        video/mp4 mp4;
    }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:${PORT[nginx]};
        root $SRC;
    }
}
EOF
    sed "s|^|/|" "$SRC.pages" >"$WORK/nginx.pages"
}
start_nginx() {
    nginx -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
    PID[nginx]=$!
    wait_for_200 nginx "$(url_base nginx)/lesson-0001/index.html" 30 "$WORK/nginx-error.log"
}

# --- process figures ---------------------------------------------------------------------------------------------
# CPU time (utime + stime, clock ticks) the server's processes have used so far, all their threads included.
cpu_ticks() {
    local pid total=0
    for pid in $(tree_pids "${PID[$1]}"); do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$total"
}
# A /proc/PID/status field (kB) summed over the server's processes, in MiB.
status_mib() {
    local pid total=0
    for pid in $(tree_pids "${PID[$1]}"); do
        total=$((total + $(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$pid/status")))
    done
    awk -v k="$total" 'BEGIN { printf "%.1f", k / 1024 }'
}
# Resets the peak RSS (VmHWM) of the server's processes to their current RSS.
reset_peak_rss() {
    local pid
    for pid in $(tree_pids "${PID[$1]}"); do echo 5 >"/proc/$pid/clear_refs"; done
}

# --- content checks ----------------------------------------------------------------------------------------------
# Every 97th path of the list and the video: the bytes each server sends must be the source's. kiwix-serve adds
# `<link type="root" href="">` before </head> of each HTML page; that is taken out before comparing.
check_content() {
    local server="$1" list="$WORK/$1.pages" n=0 path url got
    got="$WORK/check.tmp"
    while read -r path; do
        n=$((n + 1))
        [ $((n % 97)) -eq 1 ] || continue
        url="$(url_base "$server")$(sed -n "${n}p" "$list")"
        curl -sf --max-time 10 -o "$got" "$url" || fail "$server did not serve $url"
        [ "$server" = kiwix ] && [[ "$path" == *.html ]] && sed -i 's|<link type="root" href="">||' "$got"
        cmp -s "$got" "$SRC/$path" || fail "$server: $url differs from $SRC/$path"
    done <"$SRC.pages"
    url="$(url_base "$server")${BIG_PATH[$server]}"
    # Fetching the whole video also brings it into the page cache before the rounds.
    got=$(curl -sf --max-time 300 "$url" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$BIG_SHA" ] || fail "$server: $url is not the video (sha256 $got)"
}

# --- wrk ---------------------------------------------------------------------------------------------------------
# Runs wrk with the given arguments, its output into LOG.
run_wrk() {
    local log="$1"
    shift
    timeout $((DURATION + 60)) wrk "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "wrk failed: wrk $*"; }
}
wrk_requests() { awk '/ requests in / { print $1 }' "$1"; }
requests_per_sec() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
# Transfer/sec from a wrk log, in MB/s (wrk's units are binary: 1 MB = 1048576 bytes).
transfer_mb_per_sec() {
    awk '/^Transfer\/sec:/ {
        v = $2; n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024; else if (u == "B") n /= 1048576
        printf "%.1f\n", n
    }' "$1"
}
# Non-2xx/3xx answers plus socket errors (connect, read, write, timeout) in a wrk log.
wrk_errors() {
    awk '/Non-2xx or 3xx/ { n += $5 } /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$1"
}

median() { printf "%s\n" "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
two_places() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.2f", v; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v goal="$2" -v op="$3" 'BEGIN {
    if (v == "n/a" || v == "") print "n/a"; else if ((op == ">=" && v + 0 >= goal) || (op == "<=" && v + 0 <= goal)) print "ok"; else print "MISSED" }'; }

# --- setup and start ---------------------------------------------------------------------------------------------
BIG_SHA=$(sha256sum "$SRC/$BIG" | cut -d' ' -f1)
declare -A IDLE_MIB=()
for server in "${SERVERS[@]}"; do
    "setup_$server"
    check_port_free "${PORT[$server]}"
    [ "$server" = kolibri ] && check_port_free "$KOLIBRI_ZIP_PORT"
    echo "starting ${LABEL[$server]} on 127.0.0.1:${PORT[$server]} ..."
    "start_$server"
    sleep 1
    IDLE_MIB[$server]=$(status_mib "$server" VmRSS)
done
for server in "${SERVERS[@]}"; do
    echo "checking what ${LABEL[$server]} sends ..."
    check_content "$server"
done
echo "ok: every server sends the source's bytes (every 97th page or image, and the video)"

# --- the rounds --------------------------------------------------------------------------------------------------
for server in "${SERVERS[@]}"; do reset_peak_rss "$server"; done
declare -A RPS=() MBS=() TICKS=() REQS=() ERRS=()
echo
echo "setup took $SECONDS s; running $ROUNDS rounds of $((${#SERVERS[@]} * 2)) wrk runs x ${DURATION}s (about $((ROUNDS * ${#SERVERS[@]} * 2 * DURATION)) s) ..."
for round in $(seq 1 "$ROUNDS"); do
    # The order rotates from round to round, so no server always runs right after the same one.
    order=()
    for i in "${!SERVERS[@]}"; do order+=("${SERVERS[$(((i + round - 1) % ${#SERVERS[@]}))]}"); done
    for server in "${order[@]}"; do
        log="$WORK/wrk-r$round-pages-$server.txt"
        before=$(cpu_ticks "$server")
        run_wrk "$log" -t2 -c64 -d"${DURATION}s" --timeout 10s -s scripts/bench-serve-pages.lua \
            "$(url_base "$server")" -- "$WORK/$server.pages" 2
        TICKS[$server]=$((${TICKS[$server]:-0} + $(cpu_ticks "$server") - before))
        REQS[$server]=$((${REQS[$server]:-0} + $(wrk_requests "$log")))
        RPS[$server,$round]=$(requests_per_sec "$log")
        ERRS[$server]=$((${ERRS[$server]:-0} + $(wrk_errors "$log")))

        log="$WORK/wrk-r$round-big-$server.txt"
        run_wrk "$log" -t1 -c4 -d"${DURATION}s" --timeout 30s "$(url_base "$server")${BIG_PATH[$server]}"
        MBS[$server,$round]=$(transfer_mb_per_sec "$log")
        ERRS[$server]=$((${ERRS[$server]:-0} + $(wrk_errors "$log")))
    done
    line="round $round:"
    for server in "${SERVERS[@]}"; do
        line="$line  ${LABEL[$server]} $(printf '%.0f' "${RPS[$server,$round]}") req/s, ${MBS[$server,$round]} MB/s;"
    done
    echo "$line"
done

# --- summary -----------------------------------------------------------------------------------------------------
HZ=$(getconf CLK_TCK)
declare -A M_RPS=() M_MBS=() R_RPS=() R_MBS=() CPU_US=() PEAK_MIB=()
for server in "${SERVERS[@]}"; do
    rps=(); mbs=(); rr=(); rm=()
    for round in $(seq 1 "$ROUNDS"); do
        rps+=("${RPS[$server,$round]}")
        mbs+=("${MBS[$server,$round]}")
        rr+=("$(ratio "${RPS[satchel,$round]}" "${RPS[$server,$round]}")")
        rm+=("$(ratio "${MBS[satchel,$round]}" "${MBS[$server,$round]}")")
    done
    M_RPS[$server]=$(median "${rps[@]}")
    M_MBS[$server]=$(median "${mbs[@]}")
    R_RPS[$server]=$(two_places "$(median "${rr[@]}")")
    R_MBS[$server]=$(two_places "$(median "${rm[@]}")")
    CPU_US[$server]=$(awk -v t="${TICKS[$server]}" -v hz="$HZ" -v n="${REQS[$server]}" \
        'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }')
    PEAK_MIB[$server]=$(status_mib "$server" VmHWM)
done

echo
echo "summary: $ROUNDS rounds x ${DURATION}s, $(date -u '+%Y-%m-%d %H:%M UTC'), satchel $SATCHEL_BIN"
echo "pages: $PAGE_COUNT lesson pages (5-40 KB) and images (8-64 KB), wrk -t2 -c64; video: $BIG_SIZE bytes, wrk -t1 -c4"
echo "satchel/x: median of the per-round ratios; CPU: server utime+stime per page request over all its page runs"
printf "%-12s %12s %10s %10s %10s %10s %10s %10s %7s\n" \
    server "pages req/s" satchel/x "CPU us/req" "video MB/s" satchel/x "idle MiB" "peak MiB" errors
for server in "${SERVERS[@]}"; do
    printf "%-12s %12.0f %10s %10s %10.1f %10s %10s %10s %7s\n" "${LABEL[$server]}" "${M_RPS[$server]}" \
        "${R_RPS[$server]}" "${CPU_US[$server]}" "${M_MBS[$server]}" "${R_MBS[$server]}" "${IDLE_MIB[$server]}" \
        "${PEAK_MIB[$server]}" "${ERRS[$server]}"
done
echo
echo "goals:"
printf "  pages >= 3x kiwix-serve:         %sx  %s\n" "${R_RPS[kiwix]}" "$(verdict "${R_RPS[kiwix]}" 3 '>=')"
printf "  pages >= 3x Kolibri:             %sx  %s\n" "${R_RPS[kolibri]}" "$(verdict "${R_RPS[kolibri]}" 3 '>=')"
printf "  pages >= 0.5x nginx:             %sx  %s\n" "${R_RPS[nginx]}" "$(verdict "${R_RPS[nginx]}" 0.5 '>=')"
printf "  video >= 0.9x nginx:             %sx  %s\n" "${R_MBS[nginx]}" "$(verdict "${R_MBS[nginx]}" 0.9 '>=')"
PEAK_RATIO=$(ratio "${PEAK_MIB[satchel]}" "${PEAK_MIB[kiwix]}")
printf "  peak RSS <= kiwix-serve's:       %s vs %s MiB  %s\n" "${PEAK_MIB[satchel]}" "${PEAK_MIB[kiwix]}" \
    "$(verdict "$PEAK_RATIO" 1 '<=')"
for server in "${SERVERS[@]}"; do
    [ "${ERRS[$server]}" -eq 0 ] || echo "warning: ${LABEL[$server]} had ${ERRS[$server]} error answers or socket errors (see $WORK/wrk-*-$server.txt)"
done
echo "wrk logs, server logs and nginx.conf are in $WORK; the whole run took $SECONDS s"
