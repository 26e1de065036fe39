#!/bin/bash
# Benchmark: the national platform with many schools pushing at once (issue 16).
#
#   scripts/bench-platform.sh [NODES] [WORKDIR]
#
# 1. PostgreSQL: two `satchel-platform serve` processes (release build) on one fresh PostgreSQL database, behind
#    nginx (round robin, keep-alive to both). NODES schools (default 10000) get tokens from
#    `satchel-platform token create --schools-file`; scripts/bench-platform-load.py enrols them all through nginx with
#    their own Ed25519 keys, then pushes BATCHES batches per node (default 2) of 200 events, gzip and signed, over
#    CONNECTIONS keep-alive connections (default 64), sending 5 % of the batches twice as a node does after a lost
#    answer.
# 2. SQLite: the same run against one process on the embedded default.
# For each it reports new events per second, p50/p99 push latency, the peak RSS of each platform process (VmHWM), and
# checks in the database that every event is stored exactly once (distinct events == NODES x BATCHES x 200, and every
# node's cursor at its last event). Goal (issue 16): at least 20,000 events/s with p99 at most 500 ms.
#
# Environment: PLATFORM_BIN (default: the release build, built first unless SKIP_BUILD=1), BATCHES, CONNECTIONS,
# STORAGES (default "postgres sqlite"), PORT_BASE (default 18530). Needs sqlite3, nginx-light, postgresql (started by
# scripts/start-test-postgres.sh) and python3-cryptography: apt-get install sqlite3 nginx-light python3-cryptography.
set -euo pipefail
cd "$(dirname "$0")/.."
NODES="${1:-10000}"
WORK="${2:-$PWD/bench-out/platform}"
BATCHES="${BATCHES:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
STORAGES="${STORAGES:-postgres sqlite}"
PORT="${PORT_BASE:-18530}"
if [ -z "${PLATFORM_BIN:-}" ] && [ "${SKIP_BUILD:-0}" != 1 ]; then scripts/build-release.sh satchel-platform >/dev/null; fi
PLATFORM="${PLATFORM_BIN:-$PWD/.build/release/satchel-platform}"
SCRIPTS="$PWD/scripts"
rm -rf "$WORK" && mkdir -p "$WORK"
export SATCHEL_LOG_LEVEL=warning
python3 -c "print('\n'.join('BENCH-%05d' % n for n in range($NODES)))" >"$WORK/schools.txt"

pids=()
nginx_pid=
cleanup() {
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
    for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_for() { until curl -sf -o /dev/null "$1/healthz"; do sleep 0.05; done; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

echo "| storage | nodes | pushes | new events/s | p50 ms | p99 ms | duplicates reported | events stored | peak RSS MiB per process | enrolment s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for storage in $STORAGES; do
    dir="$WORK/$storage"
    mkdir -p "$dir"
    pids=()
    if [ "$storage" = postgres ]; then
        server=$(sh "$SCRIPTS/start-test-postgres.sh" 2>/dev/null)
        name="satchel_bench_$$"
        psql "$server" -q -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" \
            -c "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
        # The password goes by PGPASSWORD, never on a command line.
        export PGPASSWORD=satchel
        database="${server%/postgres}/$name"
        database="${database/satchel:satchel@/satchel@}"
        set -- --database "$database"
        processes=2
    else
        set --
        processes=1
    fi
    # One data folder for the platform key and archives, shared by the processes, as docs/platform.md describes.
    for index in $(seq 1 $processes); do
        "$PLATFORM" serve --data "$dir/data" "$@" --host 127.0.0.1 --port $((PORT + index)) >"$dir/platform-$index.log" 2>&1 &
        pids+=($!)
    done
    for index in $(seq 1 $processes); do wait_for "http://127.0.0.1:$((PORT + index))"; done
    "$PLATFORM" token create --data "$dir/data" "$@" --schools-file "$WORK/schools.txt" --region 甘肃省/定西市 \
        >"$dir/tokens.tsv"
    target="http://127.0.0.1:$((PORT + 1))"
    if [ "$processes" -gt 1 ]; then
        mkdir -p "$dir/nginx"
        {
            echo "daemon off; worker_processes 1; pid $dir/nginx/nginx.pid; error_log $dir/nginx/error.log warn;"
            echo "events { worker_connections 4096; }"
            echo "http { access_log off; client_max_body_size 1m; client_body_buffer_size 1m;"
            echo "  client_body_temp_path $dir/nginx; proxy_temp_path $dir/nginx;"
            echo "  upstream platform { keepalive 64;"
            for index in $(seq 1 $processes); do echo "    server 127.0.0.1:$((PORT + index));"; done
            echo "  }"
            echo "  server { listen 127.0.0.1:$PORT;"
            echo "    location / { proxy_pass http://platform; proxy_http_version 1.1; proxy_set_header Connection \"\";"
            echo "      proxy_set_header Host \$host; } } }"
        } >"$dir/nginx/nginx.conf"
        nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" &
        nginx_pid=$!
        wait_for "http://127.0.0.1:$PORT"
        target="http://127.0.0.1:$PORT"
    fi

    echo "$storage: $NODES nodes, $processes platform process(es), $BATCHES batches of 200 events each ..." >&2
    result=$(python3 "$SCRIPTS/bench-platform-load.py" "$target" "$dir/tokens.tsv" --batches "$BATCHES" \
        --connections "$CONNECTIONS")
    rss=""
    for pid in "${pids[@]}"; do rss="$rss $(peak_rss_mib "$pid")"; done

    # The operators' monitoring pages over what was just pushed: a national operator's API token, each page asked
    # five times through the same entry point, the median time taken.
    echo bench-operator-pw >"$dir/operator.pw"
    "$PLATFORM" operator add nation --name 中央电化教育馆 --role national --password-file "$dir/operator.pw" \
        --data "$dir/data" "$@" >/dev/null
    operator_token=$("$PLATFORM" operator token nation --data "$dir/data" "$@")
    pages=""
    for page in "usage?by=region" "usage?by=school" "usage?by=week" resources searches "training?by=county" fleet; do
        median=$(for run in 1 2 3 4 5; do
            curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $operator_token" "$target/monitoring/$page"
        done | sort -n | sed -n 3p)
        pages="$pages ${page%%\?*}$(echo "$page" | grep -o '=.*' | tr = :) $(python3 -c "print(round($median * 1000))")ms;"
    done
    echo "$storage monitoring pages (median of 5):$pages"

    expected=$((NODES * BATCHES * 200))
    if [ "$storage" = postgres ]; then
        query() { psql "$database" -tA -c "$1"; }
        stored=$(query "SELECT COUNT(*) FROM received_event")
        distinct=$(query "SELECT COUNT(DISTINCT id) FROM received_event")
        cursors=$(query "SELECT COUNT(*) FROM node WHERE acknowledged = $((BATCHES * 200))")
    else
        query() { sqlite3 "$dir/data/platform.sqlite" "$1"; }
        stored=$(query "SELECT COUNT(*) FROM receivedEvent")
        distinct=$(query "SELECT COUNT(DISTINCT id) FROM receivedEvent")
        cursors=$(query "SELECT COUNT(*) FROM node WHERE acknowledged = $((BATCHES * 200))")
    fi
    [ -n "$nginx_pid" ] && kill "$nginx_pid" && wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
    for pid in "${pids[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
    if [ "$storage" = postgres ]; then
        psql "$server" -q -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
    fi
    python3 - "$storage" "$result" "$expected" "$stored" "$distinct" "$cursors" "$NODES" "$rss" <<'PY'
import json, sys
storage, result, expected, stored, distinct, cursors, nodes, rss = sys.argv[1:]
r = json.loads(result)
once = int(stored) == int(distinct) == int(expected) and int(cursors) == int(nodes) and r["errors"] == 0
print(f"| {storage} | {r['nodes']} | {r['batches']} | {r['eventsPerSecond']:,} | {r['p50ms']} | {r['p99ms']} | "
      f"{r['duplicates']:,} | {stored} of {expected} ({'exactly once' if once else 'NOT exactly once'}) | "
      f"{rss.strip()} | {r['enrolSeconds']} |")
PY
done
echo "goal: >= 20,000 new events/s with p99 <= 500 ms"
