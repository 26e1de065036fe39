#!/bin/bash
# Benchmark: search latency and start-up with a large catalog.
#
#   scripts/bench-catalog.sh [RESOURCES] [WORKDIR]
#
# Packs RESOURCES resources (default 100000: one tiny HTML file each, with Chinese and English titles and
# classification) into 10 bundles (a manifest is limited to 16 MiB), imports them with a release satchel, then
#   1. times `satchel serve` from exec to the first 200 from /healthz, five times, and reads its idle RSS;
#   2. sends 2000 search queries (two-character Chinese, single characters, English prefixes, mixed, no-match, and
#      teachers' queries with grades, subjects, editions, kinds and titles typed without 的) over a keep-alive
#      connection and reports p50, p95 and p99 latency, overall and per query (goal p95 <= 30 ms);
#   3. sends usage beacons with wrk at 64 connections for 10 s: events written durably per second (goal >= 20000)
#      and p99 latency (goal <= 10 ms).
# Needs python3 and wrk (apt-get install python3 wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
RESOURCES="${1:-100000}"
WORK="${2:-$PWD/bench-out/catalog}"
export PATH="$PATH:/opt/swift/usr/bin"
[ "${SKIP_BUILD:-0}" = 1 ] || scripts/build-release.sh satchel >/dev/null
SATCHEL="${SATCHEL:-$PWD/.build/release/satchel}"
PORT=18491
mkdir -p "$WORK"
# The .deb ships scripts/build-release.sh's binary, stripped: measure that. It keeps the name `satchel`: imports run
# in a worker process, the same program found beside it by that name.
mkdir -p "$WORK/bin"
cp "$SATCHEL" "$WORK/bin/satchel" && strip "$WORK/bin/satchel" && SATCHEL="$WORK/bin/satchel"
cd "$WORK"

# The packed bundles are kept between runs, for the same number of resources only.
if [ ! -f catalog-9.tar.zst ] || [ "$(cat resources.txt 2>/dev/null)" != "$RESOURCES" ]; then
    rm -f catalog-*.tar.zst
    echo "making $RESOURCES resources ..."
    rm -rf src && mkdir -p src
    python3 - "$RESOURCES" <<'PY'
import json, os, random, sys
n = int(sys.argv[1]); random.seed(3)
stages = ["小学", "初中", "高中"]; grades = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
subjects = [("数学", "maths"), ("语文", "chinese"), ("英语", "english"), ("科学", "science"), ("物理", "physics"),
            ("化学", "chemistry"), ("历史", "history"), ("地理", "geography"), ("音乐", "music"), ("美术", "art")]
topics = ["分数", "面积", "古诗", "阅读", "实验", "电路", "植物", "地图", "节奏", "色彩", "方程", "几何", "朗读", "写作",
          "时、分、秒", "万以内的加法和减法", "20以内的进位加法", "长方形和正方形的周长", "认识钟表", "有余数的除法",
          "小蝌蚪找妈妈", "静夜思", "草船借箭", "鸡兔同笼", "植树问题", "圆柱与圆锥"]
editions = ["人教版", "统编版", "北师大版", "苏教版"]; terms = ["上册", "下册"]
types = ["html", "html", "video", "exercise", "document"]
# A publisher's long description: the classification, tags and the lesson's own words come after 200 characters.
filler = ("本资源配合教材使用，适合一课时的教学，包含情境导入、新知探究、合作交流、课堂练习和课堂小结五个环节，每个环节都附有"
          "教学建议和时间安排，教师可以根据班级学情调整顺序或删减内容。所有图片、动画和音频都已保存在本机，没有网络的教室也能"
          "直接使用；练习题配有参考答案和常见错误分析，便于教师当堂反馈。")
resources = [[] for _ in range(10)]
for i in range(n):
    part = i * 10 // n
    folder = f"r/{i // 1000:03d}"
    os.makedirs(f"src/{part}/" + folder, exist_ok=True)
    path = f"{folder}/{i:06d}.html"
    with open(f"src/{part}/" + path, "w") as f:
        f.write(f"<p>{i}</p>")
    zh, en = random.choice(subjects); topic = random.choice(topics)
    resources[part].append({"id": f"r{i:06d}", "title": {"zh": f"{zh}：{topic}第{i % 97 + 1}课", "en": f"{en} lesson {i}"},
                      "type": random.choice(types), "stage": random.choice(stages), "grade": random.choice(grades),
                      "subject": zh, "edition": random.choice(editions), "term": random.choice(terms),
                      "entry": path, "description": {"zh": f"{filler}本课内容：{topic}的练习与讲解。", "en": f"practice on {en}"},
                      "tags": [topic]})
for part in range(10):
    json.dump({"title": {"zh": f"大目录 {part}", "en": f"Large catalog {part}"}, "resources": resources[part]},
              open(f"src/{part}/bundle.json", "w"), ensure_ascii=False)
PY
    rm -f bench.key bench.key.pub
    "$SATCHEL" keygen --output bench.key >/dev/null
    for part in 0 1 2 3 4 5 6 7 8 9; do
        "$SATCHEL" pack src/$part --id catalog-$part --version 1 --key bench.key --output catalog-$part.tar.zst >/dev/null
    done
    echo "$RESOURCES" >resources.txt
fi
rm -rf data && mkdir data
"$SATCHEL" trust add --data data bench.key.pub >/dev/null
SATCHEL_LANG=en SATCHEL_DISK_RESERVE_BYTES=0 "$SATCHEL" import --data data catalog-*.tar.zst | tail -1

echo "start-up to first /healthz 200 (5 runs):"
for run in 1 2 3 4 5; do
    start=$(date +%s%N)
    MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536 SATCHEL_LOG_LEVEL=warning "$SATCHEL" serve --data data --port $PORT --host 127.0.0.1 &
    pid=$!
    until curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz; do sleep 0.005; done
    end=$(date +%s%N)
    sleep 1
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    echo "  run $run: ready in $(( (end - start) / 1000000 )) ms, idle RSS $((rss / 1024)) MiB"
    if [ $run -lt 5 ]; then kill $pid; wait $pid 2>/dev/null || true; fi
done
trap 'kill $pid 2>/dev/null || true' EXIT
# The same server after its first pages: the home page, a search, a content file.
for path in / "/search?q=%E6%95%B0%E5%AD%A6" /content/catalog-0/r/000/000001.html /api/v1/search?q=maths; do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT$path"
done
sleep 1
echo "  idle RSS after a home page, two searches and a content file: $(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) MiB"

python3 - $PORT <<'PY'
import http.client, random, statistics, sys, time, urllib.parse
port = int(sys.argv[1]); random.seed(5)
queries = ["数学", "语文", "分数", "古诗", "面积", "实验", "数", "诗", "maths", "lesson", "chem", "数学 lesson",
           "分数 maths", "电路 physics", "第12课", "不存在的词", "zzzz", "\"(", "AND OR", "历史地图",
           # As teachers type them: classification words, lesson titles without 的 or punctuation, kinds.
           "三年级数学", "3年级数学", "二年级语文上册", "三上数学", "人教版四年级数学下册", "时分秒", "万以内加减法",
           "20以内进位加法", "长方形周长", "认识钟表视频", "有余数的除法练习", "三年级 鸡兔同笼", "小学语文古诗朗读",
           "部编版六年级语文", "圆柱圆锥 课件", "光合作用"]
conn = http.client.HTTPConnection("127.0.0.1", port)
times = []
by_query = {}
for i in range(2000):
    q = random.choice(queries)
    start = time.perf_counter()
    conn.request("GET", "/api/v1/search?q=" + urllib.parse.quote(q))
    body = conn.getresponse().read()
    times.append((time.perf_counter() - start) * 1000)
    by_query.setdefault(q, []).append(times[-1])
for q, spent in sorted(by_query.items(), key=lambda item: -statistics.median(item[1]))[:8]:
    print(f"  slowest: {q!r} median {statistics.median(spent):.1f} ms over {len(spent)}")
times.sort()
pct = lambda p: times[int(len(times) * p) - 1]
print(f"search over the catalog: p50 {pct(0.50):.1f} ms, p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms "
      f"(goal p95 <= 30 ms)")
PY

cat > beacon.lua <<'LUA'
wrk.method = "POST"
wrk.body = '{"bundleId": "catalog-0", "resourceId": "r000001", "seconds": 30}'
wrk.headers["Content-Type"] = "application/json"
LUA
before=$(curl -s http://127.0.0.1:$PORT/healthz | python3 -c 'import json,sys; print(json.load(sys.stdin)["eventsPending"])')
wrk -t2 -c64 -d10s --latency -s beacon.lua http://127.0.0.1:$PORT/api/v1/beacon > wrk-beacon.txt
after=$(curl -s http://127.0.0.1:$PORT/healthz | python3 -c 'import json,sys; print(json.load(sys.stdin)["eventsPending"])')
rps=$(awk '/Requests\/sec/ {print $2}' wrk-beacon.txt)
p99=$(awk '/ 99%/ {print $2}' wrk-beacon.txt)
non2xx=$(awk '/Non-2xx/ {print $NF}' wrk-beacon.txt)
echo "event writes: $rps acknowledged/s at 64 connections, p99 $p99 (goals >= 20000/s, p99 <= 10 ms);" \
     "events stored during the run: $((after - before)); non-2xx: ${non2xx:-0}"
