#!/bin/bash
# Benchmark: sync over loopback with release builds of satchel and satchel-platform.
#
#   scripts/bench-sync.sh [EVENTS] [WORKDIR]
#
# 1. Records EVENTS usage events (default 1000000) through the node's beacon API with wrk.
# 2. Drains them to the platform with `satchel sync --once` (repeated until nothing is pending) and reports the time
#    and the bytes on the wire per event (gzip batches; goal <= 40 B).
# 3. Publishes a 40-file bundle, syncs it, publishes version 2 with 2 files changed (5 %), syncs again, and reports
#    the bytes the update moved against the bundle's size (goal <= 10 %).
# Needs python3, wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS="${1:-1000000}"
WORK="${2:-$PWD/bench-out/sync}"
export PATH="$PATH:/opt/swift/usr/bin"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    scripts/build-release.sh satchel >/dev/null
    scripts/build-release.sh satchel-platform >/dev/null
fi
SATCHEL="$PWD/.build/release/satchel"
PLATFORM="$PWD/.build/release/satchel-platform"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
NODE_PORT=18501
PLATFORM_PORT=18502
export SATCHEL_LANG=en SATCHEL_DISK_RESERVE_BYTES=0 SATCHEL_LOG_LEVEL=warning

"$PLATFORM" serve --data platform --port $PLATFORM_PORT >/dev/null 2>&1 &
platform_pid=$!
mkdir -p node
MALLOC_ARENA_MAX=2 "$SATCHEL" serve --data node --port $NODE_PORT --host 127.0.0.1 >/dev/null 2>&1 &
node_pid=$!
trap 'kill $platform_pid $node_pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null http://127.0.0.1:$NODE_PORT/healthz; do sleep 0.05; done
until curl -sf -o /dev/null http://127.0.0.1:$PLATFORM_PORT/healthz; do sleep 0.05; done

"$SATCHEL" keygen --output pub.key >/dev/null
mkdir -p lesson && echo "<p>课</p>" > lesson/index.html
"$SATCHEL" pack lesson --id lesson --version 1 --key pub.key --output lesson.tar.zst >/dev/null
"$SATCHEL" trust add --data node pub.key.pub >/dev/null
"$SATCHEL" import --data node lesson.tar.zst >/dev/null
TOKEN=$("$PLATFORM" token create --school BENCH --data platform)
"$SATCHEL" provision --platform http://127.0.0.1:$PLATFORM_PORT --token "$TOKEN" --school BENCH --data node \
    --config node.json >/dev/null

echo "recording $EVENTS usage events through the beacon API ..."
cat > beacon.lua <<'LUA'
wrk.method = "POST"
wrk.body = '{"bundleId": "lesson", "resourceId": "index", "seconds": 42}'
wrk.headers["Content-Type"] = "application/json"
LUA
pending() { curl -s http://127.0.0.1:$NODE_PORT/healthz | python3 -c 'import json,sys; print(json.load(sys.stdin)["eventsPending"])'; }
while [ "$(pending)" -lt "$EVENTS" ]; do wrk -t2 -c64 -d5s -s beacon.lua http://127.0.0.1:$NODE_PORT/api/v1/beacon >/dev/null; done
kill $node_pid; wait $node_pid 2>/dev/null || true
RECORDED=$(python3 -c "import sqlite3; print(sqlite3.connect('node/satchel.sqlite').execute('select count(*) from event').fetchone()[0])")
echo "events recorded: $RECORDED"

start=$(date +%s%N)
bytes=0
sessions=0
while true; do
    out=$("$SATCHEL" sync --once --data node --config node.json 2>&1 | tail -1)
    sessions=$((sessions + 1))
    b=$(echo "$out" | sed -n 's/.*events (\([0-9]*\) bytes).*/\1/p')
    bytes=$((bytes + ${b:-0}))
    left=$(python3 -c "import sqlite3; c=sqlite3.connect('node/satchel.sqlite'); a=c.execute(\"select coalesce((select cast(value as integer) from syncState where key='ackedSequence'),0)\").fetchone()[0]; print(c.execute('select count(*) from event where seq > ?', (a,)).fetchone()[0])")
    [ "$left" -eq 0 ] && break
    [ $sessions -gt 20 ] && { echo "gave up after $sessions sessions"; exit 1; }
done
end=$(date +%s%N)
received=$("$PLATFORM" status --json --data platform | python3 -c 'import json,sys; print(json.load(sys.stdin)["eventsReceived"])')
echo "drained $RECORDED events in $(( (end - start) / 1000000 )) ms over $sessions sessions; platform received $received"
python3 -c "print(f'bytes on the wire per event: {$bytes / $RECORDED:.1f} B (gzip batches; goal <= 40 B)')"

echo "delta update ..."
mkdir -p course
python3 - <<'PY'
import os
for i in range(40):
    with open(f"course/l{i:02d}.bin", "wb") as f: f.write(os.urandom(256 * 1024))
PY
"$SATCHEL" pack course --id course --version 1 --key pub.key --output course-1.tar.zst >/dev/null
"$PLATFORM" publish course-1.tar.zst --trust pub.key.pub --data platform >/dev/null
first=$("$SATCHEL" sync --once --data node --config node.json 2>&1 | tail -1)
python3 - <<'PY'
import os
for i in (0, 1):
    with open(f"course/l{i:02d}.bin", "wb") as f: f.write(os.urandom(256 * 1024))
PY
"$SATCHEL" pack course --id course --version 2 --key pub.key --output course-2.tar.zst >/dev/null
"$PLATFORM" publish course-2.tar.zst --data platform >/dev/null
second=$("$SATCHEL" sync --once --data node --config node.json 2>&1 | tail -1)
echo "  first install: $first"
echo "  update (2 of 40 files changed): $second"
echo "  bundle size: $(du -sb course | cut -f1) bytes"
