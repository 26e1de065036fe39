#!/bin/bash
# Benchmark: what a node writes to its SD card on a school day and on an idle day.
#
#   scripts/bench-sd-writes.sh [WORKDIR]
#
# A node enrolled with a local satchel-platform (background sync on) serves a school's lessons (400 lesson pages made
# by scripts/bench-serve-content.py) and a 20-module training course. Time is compressed 30 times (SCALE, IDLE_SCALE;
# 30 because the node's shortest sync interval is 30 s): a school day (8 h) runs in 16 minutes, an idle day (24 h) in
# 48, and every interval of the node is divided the same way (sync every 900 s, usage written every 60 s, modules
# asking 30 minutes), compaction too: every 60/SCALE minutes, at least one (the setting is in whole minutes), so
# every 2 minutes at SCALE 30, the hourly default compressed; at a larger SCALE it runs more often than the default.
# The node's own settings are otherwise its defaults. The workload (scripts/bench-sd-day.py): 40 teachers log in, 2,000 lesson views with their
# pages' beacons, 300 searches, 20 training modules completed; the idle day has no requests at all.
# Reported for each day: the bytes the `satchel serve` process wrote (write_bytes of /proc/PID/io: what it sent to
# the block device, WAL and checkpoints included) and the database's growth (satchel.sqlite plus its WAL).
# Goals: at most 50 MB written on a school day, at most 1 MB on an idle day.
#
# Environment: SATCHEL_BIN, PLATFORM_BIN (default: release builds from scripts/build-release.sh, built first;
# SKIP_BUILD=1 skips the build), SCALE, IDLE_SCALE; DAYS=school|idle|both (default both, one after the other);
# IDLE_HOURS (default 24: the idle day is measured whole); PORT_BASE (default 18511, the node; the platform is +1),
# so that two runs in different folders can go side by side. Needs python3 and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
WORK="${1:-$PWD/bench-out/sd}"
SCALE="${SCALE:-30}"
IDLE_SCALE="${IDLE_SCALE:-30}"
if [ -z "${SATCHEL_BIN:-}" ] || [ -z "${PLATFORM_BIN:-}" ]; then
    if [ "${SKIP_BUILD:-0}" != 1 ]; then
        scripts/build-release.sh satchel >/dev/null
        scripts/build-release.sh satchel-platform >/dev/null
    fi
fi
SATCHEL="${SATCHEL_BIN:-$PWD/.build/release/satchel}"
PLATFORM="${PLATFORM_BIN:-$PWD/.build/release/satchel-platform}"
SCRIPTS="$PWD/scripts"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
DAYS="${DAYS:-both}"
IDLE_HOURS="${IDLE_HOURS:-24}"
NODE_PORT="${PORT_BASE:-18511}"
PLATFORM_PORT=$((NODE_PORT + 1))
export SATCHEL_LANG=zh SATCHEL_DISK_RESERVE_BYTES=0 SATCHEL_LOG_LEVEL=warning

echo "making the content and the course ..."
python3 "$SCRIPTS/bench-serve-content.py" content 400 1 >/dev/null
mkdir -p course
python3 - "$SCALE" <<'PY'
import json, os, sys
scale = float(sys.argv[1])
modules = []
for number in range(1, 21):
    os.makedirs("course/m%02d" % number, exist_ok=True)
    with open("course/m%02d/index.html" % number, "w", encoding="utf-8") as page:
        page.write("<h1>单元 %d：信息技术与课堂教学</h1><p>%s</p>" % (number, "课堂教学设计与多媒体应用。" * 200))
    modules.append({"id": "m%02d" % number, "title": {"zh": "单元 %d" % number, "en": "Module %d" % number},
                    "type": "course-module", "entry": "m%02d/index.html" % number, "creditHours": 0.5,
                    "minimumMinutes": 30 / scale})
json.dump({"title": {"zh": "信息技术应用能力提升培训", "en": "ICT skills course"}, "kind": "training",
           "resources": modules}, open("course/bundle.json", "w", encoding="utf-8"), ensure_ascii=False)
PY
"$SATCHEL" keygen --output pub.key >/dev/null
"$SATCHEL" pack content --id lessons --version 1 --key pub.key --output lessons.tar.zst >/dev/null
"$SATCHEL" pack course --id course --version 1 --key pub.key --output course.tar.zst >/dev/null
mkdir -p node
"$SATCHEL" trust add --data node pub.key.pub >/dev/null
"$SATCHEL" import --data node lessons.tar.zst >/dev/null
"$SATCHEL" import --data node course.tar.zst >/dev/null
echo bench-pass > password
for number in $(seq -w 1 40); do
    "$SATCHEL" teachers add "t$number" --name "教师$number" --password-file password --data node >/dev/null
done

"$PLATFORM" serve --data platform --port $PLATFORM_PORT >platform.log 2>&1 &
platform_pid=$!
node_pid=
trap 'kill $platform_pid $node_pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null http://127.0.0.1:$PLATFORM_PORT/healthz; do sleep 0.05; done
TOKEN=$("$PLATFORM" token create --school BENCH --data platform)
"$SATCHEL" provision --platform http://127.0.0.1:$PLATFORM_PORT --token "$TOKEN" --school BENCH --data node \
    --config node.json >/dev/null

# Starts the node with every interval divided by $1; sets node_pid.
start_node() {
    local scale=$1
    SATCHEL_SYNC_INTERVAL_SECONDS=$(python3 -c "print(max(30, round(900 / $scale)))") \
    SATCHEL_USAGE_WRITE_DELAY_SECONDS=$(python3 -c "print(max(1, round(60 / $scale)))") \
    SATCHEL_COMPACTION_INTERVAL_MINUTES=$(python3 -c "print(max(1, round(60 / $scale)))") \
        MALLOC_ARENA_MAX=2 "$SATCHEL" serve --data node --port $NODE_PORT --host 127.0.0.1 >node.log 2>&1 &
    node_pid=$!
    until curl -sf -o /dev/null http://127.0.0.1:$NODE_PORT/healthz; do
        kill -0 $node_pid 2>/dev/null || { cat node.log >&2; exit 1; }
        sleep 0.05
    done
}
written() { awk '/^write_bytes/ {print $2}' /proc/$node_pid/io; }
database() { cat node/satchel.sqlite node/satchel.sqlite-wal 2>/dev/null | wc -c; }
mb() { python3 -c "print('%.1f' % ($1 / 1048576))"; }

w0=0; w1=0; d0=0; d1=0; w2=0; w3=0; d2=0; d3=0; pending="-"; received="-"
if [ "$DAYS" != idle ]; then
    echo "school day: 8 h in $(python3 -c "print(round(8 * 60 / $SCALE, 1))") min ..."
    start_node "$SCALE"
    w0=$(written); d0=$(database)
    python3 "$SCRIPTS/bench-sd-day.py" http://127.0.0.1:$NODE_PORT content/bundle.json "$SCALE"
    # One more sync interval, as the day's last push would come after the last lesson.
    sleep "$(python3 -c "print(max(30, 900 / $SCALE) + 2)")"
    w1=$(written); d1=$(database)
    pending=$(curl -s http://127.0.0.1:$NODE_PORT/healthz | python3 -c 'import json,sys; print(json.load(sys.stdin).get("eventsPending", "?"))')
    kill $node_pid; wait $node_pid 2>/dev/null || true
    received=$(python3 -c "import sqlite3; print(sqlite3.connect('platform/platform.sqlite').execute('select count(*) from receivedEvent').fetchone()[0])" 2>/dev/null || echo "?")
fi
if [ "$DAYS" != school ]; then
    echo "idle: $IDLE_HOURS h in $(python3 -c "print(round($IDLE_HOURS * 60 / $IDLE_SCALE, 1))") min ..."
    start_node "$IDLE_SCALE"
    w2=$(written); d2=$(database)
    sleep "$(python3 -c "print($IDLE_HOURS * 3600 / $IDLE_SCALE)")"
    w3=$(written); d3=$(database)
    kill $node_pid; wait $node_pid 2>/dev/null || true
    node_pid=
fi

echo
echo "| day | written by satchel serve | database growth | goal |"
echo "|---|---|---|---|"
echo "| school day (40 teachers, 2,000 views, 300 searches, 20 modules, sync every 15 min) | $(mb $((w1 - w0))) MB | $(mb $((d1 - d0))) MB | <= 50 MB written |"
echo "| idle, $IDLE_HOURS h measured (no requests, sync every 15 min) | $(mb $((w3 - w2))) MB | $(mb $((d3 - d2))) MB | <= 1 MB written a day |"
echo
echo "events pending at the end of the school day: $pending; events the platform holds: $received"
