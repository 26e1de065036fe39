#!/bin/bash
# Power cuts on a real, booted Debian 12 (issue 19, item 3). A sibling of scripts/vm-install-test.sh: the same
# debootstrapped Debian 12 in QEMU, the .deb built from this checkout installed by provisioning/install.sh against a
# real `satchel-platform` on the host (10.0.2.2 from the guest). Then the machine is hard-reset from the QEMU monitor
# (`system_reset`: the disk keeps what reached it, the guest loses its page cache and everything in flight) during
#   import  an import of a large signed bundle (about 300 MB, made by `satchel pack`);
#   events  teachers' enrolments posted over HTTP under load (scripts/vm-power-cut-helper.py load; every request
#           the node acknowledged is recorded);
#   sync    a push of many pending events to the platform (the platform was down while they were written);
#   upgrade satchel-upgrade installing a release (upgrade_round below; runs only when given a release).
# After every cut it checks what a school would notice: the node serves (/healthz 200), `satchel bundles verify`
# passes, no acknowledged event is missing on the node, and after a sync completes the platform holds every one of
# the node's enrolment events exactly once (same event ids, no sequence number twice).
#
#   scripts/vm-power-cut-test.sh [WORKDIR]        (as root; default WORKDIR ./bench-out/vm-power-cut)
#
# Environment:
#   CUTS_IMPORT, CUTS_EVENTS, CUTS_SYNC  cuts per scenario (default 7 each; 0 skips one)
#   MIN_CUTS      the fewest cuts in all for a PASS (default 20)
#   SYNC_EVENTS   events pending before each sync cut (default 4000)
#   SYNC_KBPS     the node's sync bandwidth cap during the test (default 256), so that a push lasts long enough to cut
#   VM_ACCEL      kvm (default; falls back to tcg when the guest prints nothing) or tcg (software emulation)
#   PORT_BASE     the node's port on the host (default 18980); the agent's is one more, the platform's 11 more
#   SKIP_BUILD=1  reuse WORKDIR's .deb and .build/release
#   UPGRADE_BUNDLE, UPGRADE_KEY  a release and its key, for the upgrade cuts (see upgrade_round; CUTS_UPGRADE, 6)
# Needs: debootstrap qemu-system-x86 e2fsprogs socat python3, network access to deb.debian.org for the first run
# (the Debian tree is kept in WORKDIR/rootfs and reused), and the tools that build the .deb. 20 cuts took 52 minutes
# under software emulation on the 2-core development machine (nested KVM aborts there). Not part of `make test`. Prints a PASS or FAIL line per check and a summary per scenario; exits 1 on any
# FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
. scripts/vm-debian.sh
WORK="${1:-$PWD/bench-out/vm-power-cut}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
ROOTFS="$WORK/rootfs"
CONTENT="$WORK/content"
HELPER="$PWD/scripts/vm-power-cut-helper.py"
CONSOLE="$WORK/console.log"
MONITOR="$WORK/monitor.sock"
RESULTS="$WORK/power-cut-results.txt"
ACKS="$WORK/acks.jsonl"
PLATFORM_DATA="$WORK/platform-data"
# Host ports: the node's HTTP and the agent (forwarded into the guest), the platform. PORT_BASE lets two runs share a
# machine.
PORT_BASE=${PORT_BASE:-18980}
NODE_PORT=$PORT_BASE
AGENT_PORT=$((PORT_BASE + 1))
PLATFORM_PORT=$((PORT_BASE + 11))
CUTS_IMPORT=${CUTS_IMPORT:-7}
CUTS_EVENTS=${CUTS_EVENTS:-7}
CUTS_SYNC=${CUTS_SYNC:-7}
CUTS_UPGRADE=${CUTS_UPGRADE:-6}
MIN_CUTS=${MIN_CUTS:-20}
SYNC_EVENTS=${SYNC_EVENTS:-4000}
SYNC_KBPS=${SYNC_KBPS:-256}
UPGRADE_BUNDLE=${UPGRADE_BUNDLE:-}
TEACHERS=12
GUEST=/srv/satchel-test
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, chroot and mkfs need it)" >&2; exit 1; }
for tool in debootstrap qemu-system-x86_64 mkfs.ext4 socat python3 curl; do
    command -v "$tool" >/dev/null || {
        echo "missing $tool: apt-get install debootstrap qemu-system-x86 e2fsprogs socat python3 curl" >&2
        exit 1
    }
done

PLATFORM_PID=""
QEMU_PID=""
LOAD_PID=""
cleanup() {
    for pid in "$LOAD_PID" "$QEMU_PID" "$PLATFORM_PID"; do [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
started=$SECONDS
log() { printf '[%4ds] %s\n' "$((SECONDS - started))" "$*"; }
die() { log "ERROR: $*"; summary; exit 1; }

# wait_until WHAT SECONDS COMMAND...: runs COMMAND until it succeeds; gives up after SECONDS, or at once if the VM
# has stopped.
wait_until() {
    local what=$1 limit=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if [ -n "$QEMU_PID" ] && ! kill -0 "$QEMU_PID" 2>/dev/null; then
            log "QEMU exited while waiting for $what"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "gave up after ${limit}s waiting for $what"
            return 1
        fi
        sleep 0.3
    done
}

# A random number of seconds between the Python expressions $1 and $2, for where a cut lands.
random_between() { python3 -c "import random; print(f'{random.uniform($1, $2):.2f}')"; }

# --- results ---------------------------------------------------------------------------------------------------------
: >"$RESULTS"
: >"$ACKS"
rm -f "$WORK/compare-node.json" "$WORK/compare-platform.json"
# check SCENARIO ROUND NAME STATUS DETAIL: STATUS 0 is PASS.
check() {
    local verdict=PASS
    [ "$4" = 0 ] || verdict=FAIL
    printf '%s %s %s %s %s\n' "$1" "$2" "$3" "$verdict" "$5" >>"$RESULTS"
    printf 'CHECK %-8s cut %-2s %-16s %s %s\n' "$1" "$2" "$3" "$verdict" "$5"
}
summary() {
    echo
    echo "=== power cuts: summary ==="
    local scenario made survived total_made=0 total_survived=0
    for scenario in import events sync upgrade; do
        made=$(awk -v s="$scenario" '$1 == s && $3 == "cut" {n++} END {print n + 0}' "$RESULTS")
        survived=$(awk -v s="$scenario" '$1 == s && $3 == "cut" {c[$2] = 1} $1 == s && $4 == "FAIL" {f[$2] = 1}
            END {n = 0; for (k in c) if (!(k in f)) n++; print n}' "$RESULTS")
        if [ "$scenario" = upgrade ] && [ "$made" = 0 ]; then
            echo "upgrade: SKIP (no UPGRADE_BUNDLE; see upgrade_round in the script)"
            continue
        fi
        echo "$scenario: cuts made $made, cuts survived $survived"
        total_made=$((total_made + made))
        total_survived=$((total_survived + survived))
    done
    echo "total: cuts made $total_made, cuts survived $total_survived"
    grep ' FAIL ' "$RESULTS" | sed 's/^/FAIL: /' || true
    if [ "$total_made" -ge "$MIN_CUTS" ] && [ "$total_made" = "$total_survived" ] && ! grep -q ' FAIL ' "$RESULTS"; then
        echo "PASS: every cut survived"
    else
        echo "FAIL: $((total_made - total_survived)) of $total_made cuts not survived (at least $MIN_CUTS needed)"
    fi
}

# --- the package, the platform and the test content, from this checkout ---------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building the .deb and satchel-platform ..."
    rm -f "$WORK"/satchel_*.deb
    packages/build-deb.sh --output "$WORK" >"$WORK/build-deb.log" 2>&1 || { cat "$WORK/build-deb.log" >&2; exit 1; }
    scripts/build-release.sh satchel-platform >"$WORK/build-platform.log" 2>&1 || {
        cat "$WORK/build-platform.log" >&2
        exit 1
    }
fi
DEB=$(ls "$WORK"/satchel_*.deb | tail -n 1)
SATCHEL="$PWD/.build/release/satchel"
PLATFORM_BIN="$PWD/.build/release/satchel-platform"

mkdir -p "$CONTENT/training"
[ -f "$CONTENT/test.key" ] || "$SATCHEL" keygen --output "$CONTENT/test.key" >/dev/null
if [ ! -f "$CONTENT/big.tar.zst" ]; then
    log "making the large bundle (about 300 MB) ..."
    rm -rf "$CONTENT/big-src" && mkdir -p "$CONTENT/big-src"
    # 1500 lessons of 8-64 KB (text with some noise) and three videos of 80 MB (incompressible).
    python3 - "$CONTENT/big-src" <<'PY'
import os, random, sys
random.seed(19)
root = sys.argv[1]
words = ["分数", "数学", "语文", "古诗", "lesson", "fraction", "课堂", "练习", "实验", "科学"]
for i in range(1500):
    size = random.randint(8 * 1024, 64 * 1024)
    folder = f"{root}/lessons/unit-{i // 100:02d}"
    os.makedirs(folder, exist_ok=True)
    text = " ".join(random.choice(words) for _ in range(size // 6)).encode()[:size]
    with open(f"{folder}/page-{i:04d}.html", "wb") as f:
        f.write(text + os.urandom(size // 8))
os.makedirs(f"{root}/video", exist_ok=True)
for i in range(3):
    with open(f"{root}/video/part-{i}.mp4", "wb") as f:
        for _ in range(80):
            f.write(os.urandom(1024 * 1024))
PY
    "$SATCHEL" pack "$CONTENT/big-src" --id big --version 1 --key "$CONTENT/test.key" \
        --output "$CONTENT/big.tar.zst" >/dev/null
    rm -rf "$CONTENT/big-src"
fi
# One small training course per cut of the events and sync scenarios (and one for the warm-up), so that every
# (teacher, course) pair names the enrolments of one cut.
training_ids() {
    echo cutwarm
    for i in $(seq "$CUTS_EVENTS"); do printf 'cutb%02d\n' "$i"; done
    for i in $(seq "$CUTS_SYNC"); do printf 'cutc%02d\n' "$i"; done
}
for id in $(training_ids); do
    [ -f "$CONTENT/training/$id.tar.zst" ] && continue
    rm -rf "$CONTENT/src-$id" && mkdir -p "$CONTENT/src-$id"
    printf '{"title": {"zh": "断电测试课程 %s", "en": "Power cut course %s"}, "kind": "training"}\n' "$id" "$id" \
        >"$CONTENT/src-$id/bundle.json"
    printf '<!doctype html><title>%s</title><p>断电测试 · power cut test</p>\n' "$id" >"$CONTENT/src-$id/lesson.html"
    "$SATCHEL" pack "$CONTENT/src-$id" --id "$id" --version 1 --key "$CONTENT/test.key" \
        --output "$CONTENT/training/$id.tar.zst" >/dev/null
    rm -rf "$CONTENT/src-$id"
done
: >"$CONTENT/teachers"
for i in $(seq "$TEACHERS"); do printf 'cut%02d cut-pass-%02d\n' "$i" "$i" >>"$CONTENT/teachers"; done

start_platform() {
    "$PLATFORM_BIN" serve --data "$PLATFORM_DATA" --host 127.0.0.1 --port "$PLATFORM_PORT" >>"$WORK/platform.log" 2>&1 &
    PLATFORM_PID=$!
    wait_until "the platform to answer" 120 curl -sf -o /dev/null "http://127.0.0.1:$PLATFORM_PORT/healthz"
}
stop_platform() {
    kill "$PLATFORM_PID"
    wait "$PLATFORM_PID" || true
    PLATFORM_PID=""
}
platform_report() { python3 "$HELPER" platform --db "$PLATFORM_DATA/platform.sqlite"; }
platform_received() { platform_report | python3 -c 'import json, sys; print(json.load(sys.stdin)["received"])'; }
rm -rf "$PLATFORM_DATA"
TOKEN=$("$PLATFORM_BIN" token create --data "$PLATFORM_DATA" --school VM-CUT-01)
start_platform

# --- a fresh Debian 12 with the test's agent ------------------------------------------------------------------------
debian_rootfs "$ROOTFS" "$WORK/debootstrap.log"
if [ ! -f "$ROOTFS/.power-cut-tools" ]; then
    # socat runs the agent; sqlite3 reads the node's event log (as the satchel user) for the checks.
    log "adding socat and sqlite3 to the Debian tree ..."
    chroot "$ROOTFS" apt-get update -qq >"$WORK/apt-tools.log" 2>&1
    chroot "$ROOTFS" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends socat sqlite3 \
        >>"$WORK/apt-tools.log" 2>&1
    chroot "$ROOTFS" apt-get clean
    touch "$ROOTFS/.power-cut-tools"
fi
IMAGE_TREE="$WORK/image"
debian_image_tree "$ROOTFS" "$IMAGE_TREE"
T="$IMAGE_TREE$GUEST"
mkdir -p "$T/upgrade"
cp -a provisioning "$T/"
cp "$DEB" "$T/satchel.deb"
cp "$CONTENT/big.tar.zst" "$CONTENT/test.key.pub" "$CONTENT/teachers" "$T/"
cp -a "$CONTENT/training" "$T/"
[ -z "$UPGRADE_BUNDLE" ] || cp "$UPGRADE_BUNDLE" "$T/upgrade/"
[ -z "${UPGRADE_KEY:-}" ] || cp "$UPGRADE_KEY" "$T/upgrade/"
echo "$TOKEN" >"$T/token"
printf 'vm-tech-pass-1\n' >"$T/admin-password"
# The agent: one command per TCP connection (forwarded from the host), as base64 on one line; the answer is the
# command's output followed by __RC__=<exit status>.
cat >"$T/agent-one.sh" <<'AGENT'
#!/bin/bash
read -r line
command=$(printf '%s' "$line" | base64 -d)
out=$(bash -c "$command" 2>&1 </dev/null)
rc=$?
printf '%s\n__RC__=%d' "$out" "$rc"
AGENT
# What the agent's commands use.
cat >"$T/lib.sh" <<'LIB'
export SATCHEL_LANG=en
CONFIG=/etc/satchel/satchel.json
DB=/var/lib/satchel/satchel.sqlite
sat() { runuser -u satchel -- satchel "$@" --config "$CONFIG"; }
# SQL on the node's database as the service's user, so that no file of it ever belongs to root.
nodesql() { runuser -u satchel -- sqlite3 -batch "$DB" "$1"; }
TEACHER_HEX="CASE typeof(t.id) WHEN 'blob' THEN lower(hex(t.id)) ELSE lower(replace(t.id, '-', '')) END"
# user|bundle|count of enrolment events, per teacher and course.
enrol_counts() {
    nodesql "SELECT t.username || '|' || json_extract(e.payload, '$.bundleId') || '|' || COUNT(*) FROM event e
             JOIN teacher t ON $TEACHER_HEX = lower(replace(json_extract(e.payload, '$.teacherId'), '-', ''))
             WHERE e.type = 'enrol' GROUP BY t.username, json_extract(e.payload, '$.bundleId')"
}
teacher_ids() { nodesql "SELECT t.username || '|' || $TEACHER_HEX FROM teacher t"; }
enrol_digest() { nodesql "SELECT lower(id) FROM event WHERE type = 'enrol' ORDER BY 1" | sha256sum | cut -d' ' -f1; }
enrol_total() { nodesql "SELECT COUNT(*) FROM event WHERE type = 'enrol'"; }
# Starts "$@" in the background, detached from the agent; its output in /var/tmp/$NAME.log, its pid in .pid.
background() {
    local name=$1
    shift
    setsid nohup "$@" >"/var/tmp/$name.log" 2>&1 </dev/null &
    echo $! >"/var/tmp/$name.pid"
}
running() { kill -0 "$(cat "/var/tmp/$1.pid")" 2>/dev/null && echo yes || echo no; }
LIB
chmod -R a+rX "$T"
chmod 755 "$T/agent-one.sh"
chmod 600 "$T/token" "$T/admin-password"
cat >"$IMAGE_TREE/etc/systemd/system/satchel-test-agent.service" <<UNIT
[Unit]
Description=Satchel power-cut test agent
After=network.target

[Service]
# One line per boot on the serial console: the host waits for it after every cut.
ExecStartPre=/bin/sh -c 'echo "SATCHEL-AGENT-UP \$(cat /proc/sys/kernel/random/boot_id)" >/dev/ttyS0'
# -t: a command may run for long after the host has sent its line (socat's default waits half a second).
ExecStart=/usr/bin/socat -t 86400 TCP-LISTEN:7000,fork,reuseaddr EXEC:$GUEST/agent-one.sh
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/satchel-test-agent.service \
    "$IMAGE_TREE/etc/systemd/system/multi-user.target.wants/satchel-test-agent.service"

log "making the disk image ..."
rm -f "$WORK/disk.img"
truncate -s 6G "$WORK/disk.img"
mkfs.ext4 -q -F -d "$IMAGE_TREE" "$WORK/disk.img"
rm -rf "$IMAGE_TREE"

# --- the machine ------------------------------------------------------------------------------------------------------
start_vm() {
    local accel
    if [ "$1" = kvm ]; then accel=(-enable-kvm -cpu host); else accel=(-accel tcg); fi
    : >"$CONSOLE"
    rm -f "$MONITOR"
    qemu-system-x86_64 "${accel[@]}" -m 1024 -smp 2 -display none \
        -kernel "$ROOTFS/vmlinuz" -initrd "$ROOTFS/initrd.img" \
        -append "root=/dev/vda rw console=ttyS0 systemd.show_status=0" \
        -drive file="$WORK/disk.img",format=raw,if=virtio \
        -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$NODE_PORT-:8080,hostfwd=tcp:127.0.0.1:$AGENT_PORT-:7000" \
        -serial "file:$CONSOLE" -monitor "unix:$MONITOR,server,nowait" >"$WORK/qemu.log" 2>&1 &
    QEMU_PID=$!
}
BOOTS=0
# Boots seen so far: distinct boot ids in the agent's lines (the agent may restart within one boot).
boot_seen() { [ "$(grep -a 'SATCHEL-AGENT-UP' "$CONSOLE" | awk '{print $2}' | sort -u | wc -l)" -ge "$1" ]; }

# agent SECONDS COMMAND: runs the bash COMMAND in the guest as root; prints its output and returns its status (255
# when the agent did not answer).
agent() {
    local limit=$1 reply status
    shift
    reply=$(printf '%s\n' "$(printf '%s' "$*" | base64 -w0)" |
        timeout "$limit" socat -t "$limit" - "TCP:127.0.0.1:$AGENT_PORT" 2>/dev/null) || true
    status=${reply##*__RC__=}
    if [ "$status" = "$reply" ] || ! [[ "$status" =~ ^[0-9]+$ ]]; then return 255; fi
    printf '%s' "${reply%__RC__=*}"
    return "$status"
}
on_guest() { agent "$1" ". $GUEST/lib.sh; $2"; }

# Waits for the next boot's line on the serial console, then for the agent to answer.
wait_boot() {
    local want=$((BOOTS + 1))
    wait_until "boot $want's agent line on the serial console" "$BOOT_LIMIT" boot_seen "$want" || return 1
    BOOTS=$want
    wait_until "the agent to answer" 120 agent 10 true
}
node_healthy() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$NODE_PORT/healthz")" = 200 ]
}

ACCEL=${VM_ACCEL:-kvm}
BOOT_LIMIT=300
if [ "$ACCEL" = kvm ] && [ -e /dev/kvm ]; then
    log "booting Debian 12 with KVM; console in $CONSOLE ..."
    start_vm kvm
    # Nested KVM can hang before the kernel prints anything: then software emulation.
    if ! wait_until "the kernel's first line with KVM" 60 grep -aq 'Linux version' "$CONSOLE"; then
        log "no output with KVM: falling back to software emulation (tcg)"
        kill "$QEMU_PID" 2>/dev/null || true
        wait "$QEMU_PID" || true
        ACCEL=tcg
    fi
else
    ACCEL=tcg
fi
if [ "$ACCEL" = tcg ]; then
    BOOT_LIMIT=900
    log "booting Debian 12 under software emulation (tcg); console in $CONSOLE ..."
    start_vm tcg
fi
wait_boot || die "the machine did not come up"
log "booted ($ACCEL); installing satchel with provisioning/install.sh ..."
install_out=$(on_guest 1800 "cd $GUEST && for _ in \$(seq 60); do ip route | grep -q default && break; sleep 1; done
    bash provisioning/install.sh --deb $GUEST/satchel.deb --platform http://10.0.2.2:$PLATFORM_PORT \
        --token \$(cat token) --school VM-CUT-01 --admin-user tech --admin-password-file $GUEST/admin-password --yes") ||
    { printf '%s\n' "$install_out" >"$WORK/install.log"; die "install.sh failed; see $WORK/install.log"; }
printf '%s\n' "$install_out" >"$WORK/install.log"
# The node's own sync is capped too, so that the pushes it starts by itself last as long as the test's.
setup_out=$(on_guest 600 "set -e
    mkdir -p /etc/systemd/system/satchel.service.d
    printf '[Service]\nEnvironment=SATCHEL_SYNC_SCHOOL_HOURS_KBPS=$SYNC_KBPS SATCHEL_SYNC_OTHER_KBPS=$SYNC_KBPS\n' \
        >/etc/systemd/system/satchel.service.d/power-cut-test.conf
    systemctl daemon-reload
    systemctl restart satchel
    sat trust add $GUEST/test.key.pub
    sat import $GUEST/training
    while read -r user password; do
        printf '%s\n' \"\$password\" >/run/cut-password
        sat teachers add \"\$user\" --name \"\$user\" --password-file /run/cut-password
    done <$GUEST/teachers
    rm -f /run/cut-password") || { printf '%s\n' "$setup_out" >&2; die "setting up the node failed"; }
printf '%s\n' "$setup_out" >>"$WORK/install.log"
wait_until "the node's /healthz" 120 node_healthy || die "the node does not answer after installation"
log "node installed and serving"

# --- after every cut --------------------------------------------------------------------------------------------------
# Compares the node's enrolment events with what the load generator was acknowledged; with 1 as $3, after a sync, the
# platform's with the node's. A check fails when something got worse since the same check after the previous cut.
compare_events() {
    local scenario=$1 round=$2 with_platform=$3 counts teachers digest total detail status
    counts=$(on_guest 120 enrol_counts) || {
        check "$scenario" "$round" events-node 1 "could not read the node's events"
        return 1
    }
    printf '%s\n' "$counts" >"$WORK/node-counts.txt"
    if [ "$with_platform" = 0 ]; then
        detail=$(python3 "$HELPER" compare --acks "$ACKS" --node-counts "$WORK/node-counts.txt" \
            --state "$WORK/compare-node.json") && status=0 || status=1
        check "$scenario" "$round" events-node "$status" "$detail"
        return "$status"
    fi
    teachers=$(on_guest 60 teacher_ids) && digest=$(on_guest 60 enrol_digest) && total=$(on_guest 60 enrol_total) || {
        check "$scenario" "$round" events-platform 1 "could not read the node's events"
        return 1
    }
    printf '%s\n' "$teachers" >"$WORK/node-teachers.txt"
    detail=$(python3 "$HELPER" compare --acks "$ACKS" --node-counts "$WORK/node-counts.txt" \
        --state "$WORK/compare-platform.json" --teachers "$WORK/node-teachers.txt" \
        --platform-db "$PLATFORM_DATA/platform.sqlite" --node-digest "$digest" --node-total "$total") &&
        status=0 || status=1
    check "$scenario" "$round" events-platform "$status" "$detail"
    return "$status"
}

# Runs sync sessions (without the test's bandwidth cap) until the platform has acknowledged every event.
sync_to_completion() {
    local attempt pending
    for attempt in 1 2 3 4 5 6 7 8; do
        on_guest 900 "SATCHEL_SYNC_SCHOOL_HOURS_KBPS=0 SATCHEL_SYNC_OTHER_KBPS=0 sat sync" >>"$WORK/sync.log" 2>&1 || true
        pending=$(on_guest 60 "sat status --json" |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["eventsPending"])' 2>/dev/null) || pending="?"
        [ "$pending" = 0 ] && { echo "$attempt"; return 0; }
    done
    echo "$attempt sessions, $pending still pending"
    return 1
}

# after_cut SCENARIO ROUND [booted]: the checks every cut gets (after waiting for the boot, unless "booted").
after_cut() {
    local scenario=$1 round=$2 detail status
    if [ "${3:-}" != booted ] && ! wait_boot; then
        check "$scenario" "$round" boot 1 "the machine did not come back"
        summary
        exit 1
    fi
    wait_until "the node's /healthz" 300 node_healthy && status=0 || status=1
    check "$scenario" "$round" healthz "$status" "HTTP 200 $((SECONDS - CUT_AT)) s after the cut"
    detail=$(on_guest 600 "sat bundles verify" 2>&1) && status=0 || status=1
    # The damaged bundles' lines when there are any, else the last one.
    detail=$( (printf '%s\n' "$detail" | grep -v 'files intact\|^20[0-9-]*T' || printf '%s\n' "$detail" | tail -n 1) |
        tr '\n' ' ' | cut -c1-400)
    check "$scenario" "$round" bundles-verify "$status" "$detail"
    compare_events "$scenario" "$round" 0 || true
    detail=$(sync_to_completion) && status=0 || status=1
    check "$scenario" "$round" sync-complete "$status" "sessions: $detail"
    compare_events "$scenario" "$round" 1 || true
}

CUT_AT=0
cut_power() {
    printf 'system_reset\n' | socat -t 2 - "UNIX-CONNECT:$MONITOR" >/dev/null
    CUT_AT=$SECONDS
    check "$1" "$2" cut 0 "$3"
}

# --- (a) during an import of a large bundle ---------------------------------------------------------------------------
if [ "$CUTS_IMPORT" -gt 0 ]; then
    log "warm-up import of the large bundle, to time it ..."
    t0=$(date +%s.%N)
    out=$(on_guest 1800 "sat import $GUEST/big.tar.zst") || die "the uncut import failed: $out"
    IMPORT_SECONDS=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" \
        "$t0" "$(date +%s.%N)")
    log "an uncut import takes ${IMPORT_SECONDS}s: $out"
    for round in $(seq "$CUTS_IMPORT"); do
        log "import cut $round/$CUTS_IMPORT"
        on_guest 600 "if sat bundles list | grep -q '^big\b'; then sat bundles remove big; fi" >/dev/null ||
            die "could not remove the large bundle before cut $round"
        on_guest 30 "background import runuser -u satchel -- env SATCHEL_LANG=en \
            satchel import --config \$CONFIG $GUEST/big.tar.zst" ||
            die "could not start the import"
        delay=$(random_between "$IMPORT_SECONDS * 0.1" "$IMPORT_SECONDS * 0.9")
        # The one deliberate pause: where in the import the power goes.
        sleep "$delay"
        state=$(on_guest 10 "running import") || state="?"
        cut_power import "$round" "${delay}s into the import (import still running: $state)"
        after_cut import "$round"
        listed=$(on_guest 60 "sat bundles list" | grep -c '^big' || true)
        out=$(on_guest 1800 "sat import $GUEST/big.tar.zst && sat bundles verify big &&
            ls -A /var/lib/satchel/staging | wc -l" 2>&1) && status=0 || status=1
        [ "$(printf '%s' "$out" | tail -n 1)" = 0 ] || status=1
        detail="after the cut the bundle was $([ "$listed" = 1 ] && echo installed || echo absent);"
        detail+=" import again, verify and empty staging: $(printf '%s' "$out" | grep -v '^20[0-9-]*T' | tr '\n' ' ' |
            cut -c1-400)"
        check import "$round" import-again "$status" "$detail"
    done

    # The large bundle was checked whole after every import cut; without it the other scenarios' verifies are quick.
    on_guest 600 "sat bundles remove big" >/dev/null || die "could not remove the large bundle"
fi

# --- (b) during event writes under load ------------------------------------------------------------------------------
# run_load TAG BUNDLE [--total N]: posts enrolments; the records go to $ACKS.
run_load_start() {
    rm -f "$WORK/load-progress" "$WORK/load-out.jsonl"
    python3 "$HELPER" load --port "$NODE_PORT" --users "$CONTENT/teachers" --bundle "$1" \
        --out "$WORK/load-out.jsonl" --progress "$WORK/load-progress" "${@:2}" 2>>"$WORK/load.log" &
    LOAD_PID=$!
}
run_load_finish() {
    wait "$LOAD_PID" || true
    LOAD_PID=""
    python3 -c 'import json, sys
for line in open(sys.argv[1]):
    record = json.loads(line); record["scenario"] = sys.argv[2]; record["round"] = sys.argv[3]; print(json.dumps(record))' \
        "$WORK/load-out.jsonl" "$1" "$2" >>"$ACKS"
}
acked_at_least() { [ -f "$WORK/load-progress" ] && [ "$(cat "$WORK/load-progress")" -ge "$1" ]; }
for round in $(seq "$CUTS_EVENTS"); do
    log "events cut $round/$CUTS_EVENTS"
    bundle=$(printf 'cutb%02d' "$round")
    run_load_start "$bundle"
    wait_until "the first acknowledged enrolments" 300 acked_at_least 50 || die "the load generator got no answers"
    delay=$(random_between 0.5 5)
    sleep "$delay"
    before=$(cat "$WORK/load-progress")
    cut_power events "$round" "${delay}s into the load ($before acknowledged by then)"
    run_load_finish events "$round"
    acked=$(python3 -c 'import json, sys; print(sum(json.loads(l)["acked"] for l in open(sys.argv[1])))' \
        "$WORK/load-out.jsonl")
    log "  $acked enrolments acknowledged in this cut's load"
    after_cut events "$round"
done

# --- (c) during a sync push with many events pending -----------------------------------------------------------------
# pending_events BUNDLE: writes SYNC_EVENTS enrolments while the platform is down, then brings the platform back.
pending_events() {
    stop_platform
    run_load_start "$1" --total "$SYNC_EVENTS"
    run_load_finish "$2" "$3"
    start_platform
}
push_start() {
    on_guest 30 "background sync runuser -u satchel -- env SATCHEL_LANG=en SATCHEL_SYNC_SCHOOL_HOURS_KBPS=$SYNC_KBPS \
        SATCHEL_SYNC_OTHER_KBPS=$SYNC_KBPS satchel sync --config \$CONFIG"
}
received_above() { [ "$(platform_received)" -gt "$1" ]; }
push_done() { [ "$(on_guest 10 "running sync")" = no ]; }
if [ "$CUTS_SYNC" -gt 0 ]; then
    log "warm-up push of $SYNC_EVENTS events at $SYNC_KBPS kbit/s, to time it ..."
    pending_events cutwarm sync-warm 0
    t0=$SECONDS
    push_start >/dev/null || die "could not start the sync"
    wait_until "the uncut push to finish" 1800 push_done || die "the uncut push did not finish"
    PUSH_SECONDS=$((SECONDS - t0))
    log "an uncut push of $SYNC_EVENTS events takes ${PUSH_SECONDS}s"
fi
for round in $(seq "$CUTS_SYNC"); do
    log "sync cut $round/$CUTS_SYNC"
    bundle=$(printf 'cutc%02d' "$round")
    pending_events "$bundle" sync "$round"
    base=$(platform_received)
    push_start >/dev/null || die "could not start the sync"
    if [ $((round % 2)) = 1 ]; then
        # Anywhere in the push.
        delay=$(random_between 0.5 "$PUSH_SECONDS * 0.9 + 0.6")
        sleep "$delay"
        how="${delay}s into the push"
    else
        # Right after the platform committed a batch: the node may not have recorded the acknowledgement yet.
        wait_until "the platform to commit a batch of this push" 900 received_above "$base" ||
            die "the platform received nothing from the push"
        how="just after the platform committed a batch ($(platform_received) events received)"
    fi
    state=$(on_guest 10 "running sync") || state="?"
    cut_power sync "$round" "$how (push still running: $state)"
    after_cut sync "$round"
done

# --- (d) during an upgrade --------------------------------------------------------------------------------------------
# upgrade_round ROUND: cuts while satchel-upgrade (packages/satchel-upgrade, started by satchel-upgrade.path) installs
# a staged release. Written against that unit's interface but not yet run: the .deb this test was first run with
# predates it. Run with UPGRADE_BUNDLE=a release made by `satchel pack-release --deb NEWER.deb --key release.key
# --version N` and UPGRADE_KEY=release.key.pub (both copied into the guest's $GUEST/upgrade/). Each round:
#   1. UPGRADE_RESET puts this run's package back (dpkg -i as root may go back a version; satchel-upgrade never does),
#      so that every round upgrades;
#   2. UPGRADE_START installs the release from the folder, as from a USB stick, in the background;
#   3. the power goes at a random point while the unit runs (UPGRADE_RUNNING answers "yes" while it does);
#   4. after the boot, a request left by the cut starts the installer again: the test waits until no request is left
#      and the unit has finished, then runs after_cut's checks, and checks that dpkg --audit reports nothing
#      half-installed, satchel.service is active, and the version is this run's or the release's, with the outcome.
# The variables replace any step, should the interface change.
UPGRADE_KEY=${UPGRADE_KEY:-}
UPGRADE_RESET=${UPGRADE_RESET:-"dpkg -i $GUEST/satchel.deb >/dev/null && systemctl restart satchel"}
UPGRADE_START=${UPGRADE_START:-"background upgrade satchel upgrade install $GUEST/upgrade"}
# A oneshot unit is "activating", not "active", while it runs: is-active says no then.
UPGRADE_RUNNING=${UPGRADE_RUNNING:-"[ \"\$(systemctl show -p ActiveState --value satchel-upgrade)\" = activating ] &&
    echo yes || echo no"}
UPGRADE_SETTLED=${UPGRADE_SETTLED:-"[ ! -e /var/lib/satchel/upgrade/request ] &&
    [ \"\$(systemctl show -p ActiveState --value satchel-upgrade)\" != activating ]"}
UPGRADE_SECONDS=${UPGRADE_SECONDS:-30}
upgrade_round() {
    local round=$1 delay state out status
    on_guest 600 "$UPGRADE_RESET" >/dev/null || die "could not reinstall the old package before upgrade cut $round"
    on_guest 60 "$UPGRADE_START" >/dev/null || die "could not start the upgrade"
    delay=$(random_between 0.5 "$UPGRADE_SECONDS")
    sleep "$delay"
    state=$(on_guest 10 "$UPGRADE_RUNNING") || state="?"
    cut_power upgrade "$round" "${delay}s into the upgrade (satchel-upgrade running: $state)"
    wait_boot || die "the machine did not come back after upgrade cut $round"
    wait_until "the interrupted upgrade to settle" 900 on_guest 10 "$UPGRADE_SETTLED" && status=0 || status=1
    check upgrade "$round" upgrade-settled "$status" "no request left and satchel-upgrade finished"
    after_cut upgrade "$round" booted
    out=$(on_guest 60 "[ -z \"\$(dpkg --audit)\" ] && systemctl is-active --quiet satchel &&
        dpkg-query -W -f '\${Version} ' satchel && tr '\n' ' ' </var/lib/satchel/upgrade/outcome") && status=0 || status=1
    check upgrade "$round" package-state "$status" "dpkg --audit clean, satchel active; version and outcome: ${out:-?}"
}
if [ -n "$UPGRADE_BUNDLE" ] && [ "$CUTS_UPGRADE" -gt 0 ]; then
    if [ -n "$UPGRADE_KEY" ]; then
        on_guest 60 "satchel trust add --release $GUEST/upgrade/$(basename "$UPGRADE_KEY") --config \$CONFIG" \
            >/dev/null || die "could not trust the release key"
    fi
    for round in $(seq "$CUTS_UPGRADE"); do
        log "upgrade cut $round/$CUTS_UPGRADE"
        upgrade_round "$round"
    done
fi

log "shutting the machine down"
on_guest 10 "systemctl --no-block poweroff" >/dev/null || true
qemu_gone() { ! kill -0 "$QEMU_PID" 2>/dev/null; }
wait_until "the machine to power off" 300 qemu_gone || kill "$QEMU_PID" 2>/dev/null || true
wait "$QEMU_PID" || true
QEMU_PID=""
summary
log "done in $((SECONDS - started))s; results in $RESULTS"
grep -q ' FAIL ' "$RESULTS" && exit 1
[ "$(grep -c ' cut PASS ' "$RESULTS")" -ge "$MIN_CUTS" ] || exit 1
exit 0
