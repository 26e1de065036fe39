#!/bin/bash
# Regenerates packages/satchel.order.gz: the functions `satchel serve` runs to start and to answer its first pages,
# which scripts/build-release.sh asks lld to lay out first in the binary.
#
#   scripts/profile-order.sh
#
# Why: the binary holds about 25 MB of code, of which the server runs about 2 MB to start and serve. Left in link
# order those functions are spread over the whole file, and the kernel maps every 64 KB neighbourhood (and every
# page-cache folio) a function sits in, so about 18 MB of code stayed resident. Laid out together they fill a few
# MB. See docs/performance.md for the measurements.
#
# How: builds a release satchel with scripts/build-release.sh, prepares the demo content in a temporary directory,
# runs `satchel serve` under valgrind's callgrind (exact, not sampled: every function that ran at least once),
# requests the pages a teacher's first visit touches, stops the server, and keeps the names of the functions in the
# satchel binary that ran. Names defined more than once in the binary (local helpers such as `objectdestroyTm`)
# are left out: lld would move every section that defines them, pulling unrelated code forward.
# Needs valgrind (apt-get install valgrind); takes about two minutes after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
command -v valgrind >/dev/null || { echo "needs valgrind: apt-get install -y valgrind" >&2; exit 1; }

[ "${SKIP_BUILD:-0}" = 1 ] || scripts/build-release.sh satchel
WORK="$(mktemp -d)"
SERVER_PID=""
trap 'if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT
PORT=18497
# valgrind cannot read the DWARF of this binary; the symbol table is enough.
cp .build/release/satchel "$WORK/satchel" && strip --strip-debug "$WORK/satchel"
SATCHEL_LANG=en "$WORK/satchel" demo --data "$WORK/data" --no-serve >/dev/null

SATCHEL_LOG_LEVEL=warning valgrind --tool=callgrind --demangle=no --callgrind-out-file="$WORK/callgrind.out" \
    "$WORK/satchel" serve --data "$WORK/data" --port $PORT --host 127.0.0.1 >"$WORK/valgrind.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" || { cat "$WORK/valgrind.log" >&2; exit 1; }
# A teacher's first visit: home page, a search page, the JSON search, browse, a resource page and its file.
python3 - "$PORT" <<'PY'
import json, sys, urllib.parse, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
get = lambda path: urllib.request.urlopen(base + path).read()
for path in ["/", "/search?q=" + urllib.parse.quote("数学"), "/api/v1/search?q=maths", "/browse", "/api/v1/bundles"]:
    get(path)
resource = json.loads(get("/api/v1/resources?pageSize=1"))["resources"][0]
get(urllib.parse.quote(resource["page"]))
get(resource["url"])
get(resource["url"])
get("/metrics")
PY
sleep 1
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=""

python3 - "$WORK/callgrind.out" "$WORK/satchel" <<'PY' | gzip -9n >packages/satchel.order.gz
import collections, re, subprocess, sys
objects, names, ran, current = {}, {}, set(), None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(c?ob)=\((\d+)\)(?: (.*))?\n", line)
    if m:
        if m.group(3):
            objects[m.group(2)] = m.group(3)
        if m.group(1) == "ob":
            current = objects[m.group(2)]
        continue
    m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?\n", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        if m.group(1) == "fn" and current and current.endswith("/satchel"):
            ran.add(m.group(2))
defined = collections.Counter()
nm = subprocess.run(["nm", "--defined-only", sys.argv[2]], capture_output=True, text=True, check=True).stdout
for line in nm.splitlines():
    parts = line.split(None, 2)
    if len(parts) == 3 and parts[1] in "tTwW":
        defined[parts[2]] += 1
keep = sorted(names[i] for i in ran if defined.get(names[i]) == 1)
print(f"{len(keep)} functions ran once or more (of {len(ran)}; the rest are defined more than once)", file=sys.stderr)
print("\n".join(keep))
PY
echo "wrote packages/satchel.order.gz; rebuild with scripts/build-release.sh to use it"
