#!/bin/sh
# Takes PNG screenshots of Satchel's main pages with headless Chromium, at phone width (360x740) and desktop width
# (1280x800), so the web UI can be looked at as a teacher would see it.
#
# Usage: scripts/screenshots.sh [BASE_URL] [OUTDIR]
#   BASE_URL  a running node (default http://127.0.0.1:8080), e.g. the one `make demo` starts
#   OUTDIR    where the PNG files go (default ./screenshots), named like home-zh-phone.png
#
# The pages are those of the built-in demo content (`satchel demo`).
set -eu

BASE_URL="${1:-http://127.0.0.1:8080}"
BASE_URL="${BASE_URL%/}"
OUTDIR="${2:-./screenshots}"

CHROMIUM=""
for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then
        CHROMIUM="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$CHROMIUM" ]; then
    echo "screenshots: chromium is not installed; run: apt-get install chromium fonts-noto-cjk" >&2
    exit 1
fi

# Chromium refuses to run as root unless its sandbox is turned off.
SANDBOX_FLAG=""
if [ "$(id -u)" -eq 0 ]; then
    SANDBOX_FLAG="--no-sandbox"
fi

# A hung browser must not hang the script: `timeout` ends it after 60 s where coreutils has it.
RUNNER=""
if command -v timeout >/dev/null 2>&1; then
    RUNNER="timeout 60"
fi

if command -v curl >/dev/null 2>&1 && ! curl -fsS -o /dev/null --max-time 10 "$BASE_URL/"; then
    echo "screenshots: no Satchel node answers at $BASE_URL/ (start one with: make demo)" >&2
    exit 1
fi

mkdir -p "$OUTDIR"

failed=0
shot() {
    file="$OUTDIR/$1.png"
    rm -f "$file"
    # shellcheck disable=SC2086 # RUNNER and SANDBOX_FLAG are meant to split into words, or vanish when empty
    $RUNNER "$CHROMIUM" --headless=new $SANDBOX_FLAG --disable-gpu --hide-scrollbars --no-first-run \
        --virtual-time-budget=5000 --window-size="$3" --screenshot="$file" "$2" >/dev/null 2>&1 || true
    if [ -s "$file" ]; then
        echo "screenshots: $file"
    else
        echo "screenshots: FAILED $file ($2)" >&2
        failed=1
    fi
}

# Each line: a name for the files, and the page's path.
while read -r name path; do
    shot "$name-phone" "$BASE_URL$path" 360,740
    shot "$name-desktop" "$BASE_URL$path" 1280,800
done <<PAGES
home-zh /
home-en /?lang=en
bundle /bundles/demo-primary-g3
video /resources/demo-primary-g3/intro-video
lesson /resources/demo-primary-g3/math-fractions
pdf /resources/demo-primary-g3/fractions-worksheet
share /share/demo-primary-g3/math-fractions
PAGES

if [ "$failed" -ne 0 ]; then
    echo "screenshots: some pages could not be captured" >&2
    exit 1
fi
