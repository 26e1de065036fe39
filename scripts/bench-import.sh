#!/bin/bash
# Benchmark: `satchel import` against `bsdtar -xf` + `sha256sum` of every extracted file, same archive, same disk.
#
#   scripts/bench-import.sh [ROUNDS] [WORKDIR]
#
# Builds a release satchel, makes a bundle of at least 500 MB (thousands of small files and a few large ones),
# then times both pipelines ROUNDS times in alternation (default 5) and prints the median times, the speed ratio
# (baseline time / satchel time: above 1 means satchel is faster) and satchel's peak RSS.
# Satchel also flushes what it wrote to disk (syncfs) before committing; the plain pipeline does not, so a second
# baseline with a final `sync` is reported beside it for a like-for-like durable comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-5}"
WORK="${2:-$PWD/bench-out/import}"
export PATH="$PATH:/opt/swift/usr/bin"

for tool in bsdtar sha256sum /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install libarchive-tools coreutils time" >&2; exit 1; }
done

scripts/build-release.sh satchel >/dev/null
SATCHEL="$PWD/.build/release/satchel"
mkdir -p "$WORK"
cd "$WORK"

if [ ! -f bundle.tar.zst ]; then
    echo "making the test content in $WORK/src ..."
    rm -rf src && mkdir -p src/lessons src/video
    # 6000 small lessons of 8-64 KB (compressible text) and 4 large videos of 80 MB (incompressible).
    python3 - <<'PY'
import os, random
random.seed(7)
words = ["分数", "数学", "语文", "古诗", "lesson", "fraction", "课堂", "练习", "实验", "科学"]
for i in range(6000):
    size = random.randint(8 * 1024, 64 * 1024)
    folder = f"src/lessons/unit-{i // 100:02d}"
    os.makedirs(folder, exist_ok=True)
    text = " ".join(random.choice(words) for _ in range(size // 6)).encode()[:size]
    with open(f"{folder}/page-{i:04d}.html", "wb") as f:
        f.write(text + os.urandom(size // 8))
for i in range(4):
    with open(f"src/video/part-{i}.mp4", "wb") as f:
        for _ in range(80):
            f.write(os.urandom(1024 * 1024))
PY
    rm -f bench.key bench.key.pub
    "$SATCHEL" keygen --output bench.key >/dev/null
    "$SATCHEL" pack src --id bench --version 1 --key bench.key --output bundle.tar.zst >/dev/null
fi
UNPACKED=$(du -sb src | cut -f1)
PACKED=$(stat -c %s bundle.tar.zst)
FILES=$(find src -type f | wc -l)
echo "bundle: $FILES files, $((UNPACKED / 1048576)) MiB unpacked, $((PACKED / 1048576)) MiB packed (tar.zst)"

now() { date +%s.%N; }
satchel_times=(); baseline_times=(); durable_times=(); rss=()
for round in $(seq 1 "$ROUNDS"); do
    rm -rf data out && sync && mkdir data
    "$SATCHEL" trust add --data data bench.key.pub >/dev/null
    start=$(now)
    /usr/bin/time -f "%M" -o rss.txt env SATCHEL_LANG=en "$SATCHEL" import --data data bundle.tar.zst >/dev/null
    end=$(now)
    satchel_times+=("$(echo "$end - $start" | bc -l)")
    rss+=("$(cat rss.txt)")

    rm -rf data out && sync && mkdir out
    start=$(now)
    bsdtar -xf bundle.tar.zst -C out
    find out -type f -print0 | xargs -0 sha256sum >/dev/null
    end=$(now)
    baseline_times+=("$(echo "$end - $start" | bc -l)")
    sync
    rm -rf out && sync && mkdir out
    start=$(now)
    bsdtar -xf bundle.tar.zst -C out
    find out -type f -print0 | xargs -0 sha256sum >/dev/null
    sync
    end=$(now)
    durable_times+=("$(echo "$end - $start" | bc -l)")
    printf "round %d: satchel %.2f s (peak RSS %d KiB), bsdtar+sha256sum %.2f s, with sync %.2f s\n" "$round" \
        "${satchel_times[-1]}" "${rss[-1]}" "${baseline_times[-1]}" "${durable_times[-1]}"
done
rm -rf data out

median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
S=$(median "${satchel_times[@]}"); B=$(median "${baseline_times[@]}"); D=$(median "${durable_times[@]}")
R=$(median "${rss[@]}"); MAXR=$(printf "%s\n" "${rss[@]}" | sort -n | tail -1)
echo
printf "median satchel import:            %6.2f s  (%.0f MB/s unpacked)\n" "$S" "$(echo "$UNPACKED / 1000000 / $S" | bc -l)"
printf "median bsdtar -xf + sha256sum:    %6.2f s\n" "$B"
printf "median bsdtar + sha256sum + sync: %6.2f s\n" "$D"
printf "speed ratio vs bsdtar+sha256sum:        %.2fx (goal >= 0.8x)\n" "$(echo "$B / $S" | bc -l)"
printf "speed ratio vs bsdtar+sha256sum+sync:   %.2fx\n" "$(echo "$D / $S" | bc -l)"
printf "satchel peak RSS: median %d KiB, max %d KiB (goal <= 65536 KiB)\n" "$R" "$MAXR"
