#!/bin/sh
# Takes PNG screenshots of Satchel's main pages with headless Chromium, at phone width (360x740) and desktop width
# (1280x800), so the web UI can be looked at as a teacher would see it.
#
# Usage: scripts/screenshots.sh [BASE_URL] [OUTDIR]
#   BASE_URL  a running node (default http://127.0.0.1:8080), e.g. the one `make demo` starts
#   OUTDIR    where the PNG files go (default ./screenshots), named like home-zh-phone.png
#
# The pages are those of the built-in demo content (`satchel demo`). With TEACHER=username:password (an account
# made with `satchel teachers add`), a teacher's own pages are captured too.
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

# A teacher's own pages (收藏, 最近浏览, 备课篮) need a login: with TEACHER=username:password, the script logs in with
# curl, opens two resources, keeps one, makes a lesson plan of both (each run adds one), saves each page's HTML with
# a <base> pointing at the node, and has Chromium draw the saved page (a fresh browser profile has no login).
if [ -n "${TEACHER:-}" ]; then
    work=$(mktemp -d)
    jar="$work/cookies"
    user="${TEACHER%%:*}"
    password="${TEACHER#*:}"
    curl -fsS -o /dev/null -c "$jar" --data-urlencode "username=$user" --data-urlencode "password=$password" \
        "$BASE_URL/login" || { echo "screenshots: could not log in as $user" >&2; exit 1; }
    page=$(curl -fsS -b "$jar" "$BASE_URL/resources/demo-primary-g3/intro-video")
    csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
    curl -fsS -o /dev/null -b "$jar" "$BASE_URL/resources/demo-primary-g3/math-fractions"
    curl -fsS -o /dev/null -b "$jar" --data "csrf=$csrf&favourite=1" "$BASE_URL/me/favourites/demo-primary-g3/intro-video"
    plan=$(curl -sS -o /dev/null -w '%{redirect_url}' -b "$jar" --data-urlencode "csrf=$csrf" \
        --data-urlencode "title=《认识分数》第一课时" --data-urlencode "className=三年级（2）班" \
        --data "bundle=demo-primary-g3&resource=intro-video" "$BASE_URL/me/lessons")
    plan="/${plan#*://*/}"
    curl -fsS -o /dev/null -b "$jar" --data "csrf=$csrf&plan=${plan##*/}&bundle=demo-primary-g3&resource=math-fractions" \
        "$BASE_URL/me/lessons/add"
    while read -r name path; do
        saved="$work/$name.html"
        curl -fsS -b "$jar" "$BASE_URL$path" | sed "s|<head>|<head><base href=\"$BASE_URL$path\">|" >"$saved"
        shot "$name-phone" "file://$saved" 360,740
        shot "$name-desktop" "file://$saved" 1280,800
    done <<TEACHER_PAGES
home-teacher /
favourites /me/favourites
recent /me/recent
lesson-plans /me/lessons
lesson-plan $plan
present $plan/present/2
training /training
lesson-teacher /resources/demo-primary-g3/math-fractions
TEACHER_PAGES
    rm -rf "$work"
fi

if [ "$failed" -ne 0 ]; then
    echo "screenshots: some pages could not be captured" >&2
    exit 1
fi
