#!/bin/bash
# Benchmark: Satchel's search beside kiwix-serve's (Xapian, ICU word breaking) on the same 100,000 resources.
#
#   scripts/bench-search-kiwix.sh [WORKDIR]
#
# Run scripts/bench-catalog.sh first with the same WORKDIR (default ./bench-out/catalog): it leaves the packed
# catalog's sources (src/N/bundle.json) and a node data folder (data/) with them imported, and the stripped release
# satchel in bin/. This script writes each resource as one HTML page (its title, description, classification and
# tags: what Satchel indexes) into a ZIM with zimwriterfs's full-text index, serves it with kiwix-serve, and sends the
# same query list as bench-catalog.sh to both servers over a keep-alive connection, alternating query by query in one
# run: latency p50/p95/p99 of each and Satchel's as a ratio of kiwix-serve's (below 1 is faster), and for each query
# how many results each server reports. Needs kiwix-tools, zim-tools and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${1:-$PWD/bench-out/catalog}"
SATCHEL="$WORK/bin/satchel"
[ -x "$SATCHEL" ] && [ -d "$WORK/data" ] && [ -f "$WORK/src/0/bundle.json" ] ||
    { echo "run scripts/bench-catalog.sh first with WORKDIR $WORK" >&2; exit 1; }
SATCHEL_PORT=18492
KIWIX_PORT=18493
cd "$WORK"

if [ ! -f catalog.zim ]; then
    echo "writing one page per resource and the ZIM with its full-text index (several minutes) ..."
    rm -rf zim-src catalog.zim.tmp && mkdir -p zim-src/r
    python3 - <<'PY'
import html, json
for part in range(10):
    manifest = json.load(open(f"src/{part}/bundle.json", encoding="utf-8"))
    for r in manifest["resources"]:
        fields = [r.get(k, "") for k in ("stage", "grade", "subject", "edition", "term", "type")] + r.get("tags", [])
        page = (f"<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>{html.escape(r['title']['zh'])}"
                f"</title></head><body><h1>{html.escape(r['title']['zh'])}</h1><p>{html.escape(r['title']['en'])}</p>"
                f"<p>{html.escape(r['description']['zh'])}</p><p>{html.escape(r['description']['en'])}</p>"
                f"<p>{html.escape(' '.join(fields))}</p></body></html>")
        open(f"zim-src/r/{r['id']}.html", "w", encoding="utf-8").write(page)
open("zim-src/index.html", "w", encoding="utf-8").write("<!DOCTYPE html><title>目录</title><p>目录</p>")
PY
    # A 48x48 PNG for the illustration zimwriterfs requires.
    python3 -c "
import struct, zlib
raw = b''.join(b'\x00' + b'\x80\x80\x80' * 48 for _ in range(48))
chunk = lambda kind, data: struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
open('zim-src/illustration.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 48, 48, 8, 2, 0, 0, 0))
    + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))"
    zimwriterfs --welcome=index.html --illustration=illustration.png --language=zho --title="大目录" \
        --description="scripts/bench-search-kiwix.sh" --creator=satchel-bench --publisher=satchel-bench \
        --name=catalog zim-src catalog.zim.tmp >zimwriterfs.log 2>&1 || { tail -20 zimwriterfs.log >&2; exit 1; }
    mv catalog.zim.tmp catalog.zim
    rm -rf zim-src
fi

MALLOC_ARENA_MAX=2 SATCHEL_LOG_LEVEL=warning "$SATCHEL" serve --data data --port $SATCHEL_PORT --host 127.0.0.1 &
satchel_pid=$!
kiwix-serve -n --address=127.0.0.1 --port=$KIWIX_PORT catalog.zim >kiwix.log 2>&1 &
kiwix_pid=$!
trap 'kill $satchel_pid $kiwix_pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null http://127.0.0.1:$SATCHEL_PORT/healthz; do sleep 0.05; done
until curl -sf -o /dev/null "http://127.0.0.1:$KIWIX_PORT/search?content=catalog&pattern=x"; do sleep 0.05; done

python3 - $SATCHEL_PORT $KIWIX_PORT <<'PY'
import http.client, json, random, re, statistics, sys, time, urllib.parse
satchel_port, kiwix_port = int(sys.argv[1]), int(sys.argv[2])
queries = ["数学", "语文", "分数", "古诗", "面积", "实验", "数", "诗", "maths", "lesson", "chem", "数学 lesson",
           "分数 maths", "电路 physics", "第12课", "不存在的词", "zzzz", "\"(", "AND OR", "历史地图",
           "三年级数学", "3年级数学", "二年级语文上册", "三上数学", "人教版四年级数学下册", "时分秒", "万以内加减法",
           "20以内进位加法", "长方形周长", "认识钟表视频", "有余数的除法练习", "三年级 鸡兔同笼", "小学语文古诗朗读",
           "部编版六年级语文", "圆柱圆锥 课件", "光合作用"]
servers = {
    "satchel": (http.client.HTTPConnection("127.0.0.1", satchel_port),
                lambda q: "/api/v1/search?q=" + urllib.parse.quote(q)),
    "kiwix-serve": (http.client.HTTPConnection("127.0.0.1", kiwix_port),
                    lambda q: "/search?content=catalog&pattern=" + urllib.parse.quote(q)),
}
def count(name, body):
    if name == "satchel":
        return json.loads(body).get("total", 0)
    match = re.search(rb"of\s+<b>\s*([\d,]+)\s*</b>", body) or re.search(rb"([\d,]+)\s+results?", body)
    return int(match.group(1).replace(b",", b"")) if match else 0
times = {name: [] for name in servers}
found = {name: {} for name in servers}
random.seed(5)
for q in queries:  # one pass first, as bench-catalog.sh's server has had its first searches
    for name, (conn, path) in servers.items():
        conn.request("GET", path(q)); conn.getresponse().read()
for i in range(2000):
    q = random.choice(queries)
    for name, (conn, path) in (servers.items() if i % 2 == 0 else reversed(servers.items())):
        start = time.perf_counter()
        conn.request("GET", path(q))
        body = conn.getresponse().read()
        times[name].append((time.perf_counter() - start) * 1000)
        found[name][q] = count(name, body)
def pct(values, p):
    values = sorted(values)
    return values[max(0, int(len(values) * p) - 1)]
print("| server | p50 ms | p95 ms | p99 ms |")
print("|---|---|---|---|")
for name in servers:
    print(f"| {name} | {pct(times[name], .5):.1f} | {pct(times[name], .95):.1f} | {pct(times[name], .99):.1f} |")
for p, label in ((.5, "p50"), (.95, "p95")):
    print(f"satchel {label} / kiwix-serve {label}: {pct(times['satchel'], p) / pct(times['kiwix-serve'], p):.2f}x")
print()
print("| query | satchel results | kiwix-serve results |")
print("|---|---|---|")
for q in queries:
    print(f"| {q} | {found['satchel'].get(q, '-')} | {found['kiwix-serve'].get(q, '-')} |")
PY
