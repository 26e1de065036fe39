#!/bin/bash
# The technician's path on a real, booted Debian 12 with systemd: a virtual machine (QEMU; see VM_ACCEL below) gets
# a fresh Debian 12 made with debootstrap, the .deb built from this checkout and the provisioning folder. On its first
# boot it runs provisioning/install.sh with a platform URL, school code, one-time token and admin credentials, exactly
# as docs/provisioning.md tells a technician, against a real `satchel-platform` on the host. Then it checks what a
# technician would look at, upgrades, removes and purges the package, and powers off.
#
#   scripts/vm-install-test.sh [WORKDIR]        (as root; default WORKDIR ./bench-out/vm)
#
# Needs: debootstrap qemu-system-x86 e2fsprogs (apt-get install debootstrap qemu-system-x86 e2fsprogs), network
# access to deb.debian.org for the first run (the Debian tree is kept in WORKDIR/rootfs and reused), and the tools
# that build the .deb (packages/build-deb.sh). Takes 10-20 minutes under software emulation.
# Not part of `make test`: CI machines may have neither KVM nor the time. Prints PASS or FAIL per check and exits 1 on
# any FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
. scripts/vm-debian.sh
WORK="${1:-$PWD/bench-out/vm}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
ROOTFS="$WORK/rootfs"
PLATFORM_PORT=18990
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap and mkfs need it)" >&2; exit 1; }
for tool in debootstrap qemu-system-x86_64 mkfs.ext4; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install debootstrap qemu-system-x86 e2fsprogs" >&2; exit 1; }
done

PLATFORM_PID=""
cleanup() { [ -z "$PLATFORM_PID" ] || kill "$PLATFORM_PID" 2>/dev/null || true; }
trap cleanup EXIT

# --- the package and the platform, from this checkout --------------------------------------------------------------
echo "building the .deb and satchel-platform ..."
rm -f "$WORK"/satchel_*.deb
packages/build-deb.sh --version 1.0.0 --output "$WORK" >"$WORK/build-deb.log" 2>&1 ||
    { cat "$WORK/build-deb.log" >&2; exit 1; }
DEB=$(ls "$WORK"/satchel_*.deb)
SATCHEL_BIN="$PWD/.build/release/satchel"
scripts/build-release.sh satchel-platform >/dev/null
PLATFORM_BIN="$PWD/.build/release/satchel-platform"
rm -rf "$WORK/platform-data"
TOKEN=$("$PLATFORM_BIN" token create --data "$WORK/platform-data" --school VM-TEST-01)
# Guests reach the host's loopback as 10.0.2.2 through QEMU's user network.
"$PLATFORM_BIN" serve --data "$WORK/platform-data" --host 127.0.0.1 --port "$PLATFORM_PORT" >"$WORK/platform.log" 2>&1 &
PLATFORM_PID=$!

# --- releases (issue 19): a release key the platform names at enrolment, and releases made by pack-release --------
# 1.1.0 is the same binary as a newer version, published on the platform; 1.2.0's binary exits at once, so it fails
# its health check and must be rolled back; 1.0.0 is the installed version again (a downgrade); the last is 1.1.0
# signed by a key nobody trusts. The last three travel on a "USB stick" (a folder in the machine).
RELEASES="$WORK/releases"
rm -rf "$RELEASES"
mkdir -p "$RELEASES/good" "$RELEASES/stick/bad" "$RELEASES/stick/old" "$RELEASES/stick/forged"
"$SATCHEL_BIN" keygen --output "$RELEASES/release.key" >/dev/null
"$SATCHEL_BIN" keygen --output "$RELEASES/stranger.key" >/dev/null
packages/build-deb.sh --no-build --version 1.1.0 --output "$RELEASES/good" >>"$WORK/build-deb.log" 2>&1
GOOD_DEB=$(ls "$RELEASES"/good/satchel_*.deb)
dpkg-deb -R "$GOOD_DEB" "$RELEASES/bad-tree"
printf '#!/bin/sh\necho "broken on purpose" >&2\nexit 1\n' >"$RELEASES/bad-tree/usr/bin/satchel"
sed -i 's/^Version: .*/Version: 1.2.0-1/' "$RELEASES/bad-tree/DEBIAN/control"
(cd "$RELEASES/bad-tree" && find usr lib -type f | LC_ALL=C sort | xargs md5sum >DEBIAN/md5sums)
dpkg-deb --root-owner-group -b "$RELEASES/bad-tree" "$RELEASES/satchel_1.2.0-1_bad.deb" >/dev/null
pack_release() { "$SATCHEL_BIN" pack-release --deb "$1" --key "$2" --version "$3" --output "$4" >/dev/null; }
pack_release "$GOOD_DEB" "$RELEASES/release.key" 2 "$RELEASES/satchel-1.1.0.tar.zst"
pack_release "$RELEASES/satchel_1.2.0-1_bad.deb" "$RELEASES/release.key" 3 "$RELEASES/stick/bad/satchel-1.2.0.tar.zst"
pack_release "$DEB" "$RELEASES/release.key" 4 "$RELEASES/stick/old/satchel-1.0.0.tar.zst"
pack_release "$GOOD_DEB" "$RELEASES/stranger.key" 5 "$RELEASES/stick/forged/satchel-1.1.0.tar.zst"
"$PLATFORM_BIN" publish --data "$WORK/platform-data" --trust-release "$RELEASES/release.key.pub" \
    "$RELEASES/satchel-1.1.0.tar.zst" >/dev/null

# --- a fresh Debian 12 -------------------------------------------------------------------------------------------
debian_rootfs "$ROOTFS" "$WORK/debootstrap.log"
IMAGE_TREE="$WORK/image"
debian_image_tree "$ROOTFS" "$IMAGE_TREE"
cp /etc/apt/sources.list.d/debian.sources "$IMAGE_TREE/etc/apt/sources.list.d/" 2>/dev/null || true
mkdir -p "$IMAGE_TREE/root/satchel"
cp -a provisioning "$IMAGE_TREE/root/satchel/"
cp "$DEB" "$IMAGE_TREE/root/satchel/satchel.deb"
mkdir -p "$IMAGE_TREE/media"
cp -a "$RELEASES/stick" "$IMAGE_TREE/media/stick"
echo "$TOKEN" >"$IMAGE_TREE/root/satchel/token"
printf 'vm-tech-pass-1\n' >"$IMAGE_TREE/root/satchel/admin-password"

# What runs inside, once, on the first boot. Every check prints "CHECK <name> PASS|FAIL <detail>".
cat >"$IMAGE_TREE/root/satchel/inside.sh" <<'INSIDE'
#!/bin/bash
cd /root/satchel
exec > >(tee -a /root/satchel/inside.log) 2>&1
check() { if [ "$2" = 0 ]; then echo "CHECK $1 PASS $3"; else echo "CHECK $1 FAIL $3"; fi; }
for _ in $(seq 60); do ip route | grep -q default && break; sleep 1; done
bash provisioning/install.sh --deb /root/satchel/satchel.deb --platform http://10.0.2.2:18990 \
    --token "$(cat token)" --school VM-TEST-01 --admin-user tech --admin-password-file /root/satchel/admin-password \
    --yes
check install $? "install.sh exit status"
check service "$(systemctl is-active --quiet satchel; echo $?)" "$(systemctl show satchel -p Type -p ActiveState -p SubState | tr '\n' ' ')"
check user "$(id satchel >/dev/null 2>&1; echo $?)" "$(id satchel 2>&1)"
check data-owner "$([ "$(stat -c %U:%a /var/lib/satchel)" = satchel:750 ]; echo $?)" "$(stat -c '%U %a' /var/lib/satchel)"
doctor=$(runuser -u satchel -- satchel doctor --config /etc/satchel/satchel.json)
check doctor $? "satchel doctor exit status"
echo "$doctor"
check enrolled "$(echo "$doctor" | grep -q '^OK   enrolment.*node-'; echo $?)" "doctor's enrolment line"
check enabled "$(systemctl is-enabled --quiet satchel; echo $?)" "systemctl is-enabled"
health=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/healthz)
check healthz "$([ "$health" = 200 ]; echo $?)" "HTTP $health"
status=$(runuser -u satchel -- satchel status --json --config /etc/satchel/satchel.json)
echo "$status"
check status-json "$(echo "$status" | grep -q '"eventsPending"'; echo $?)" "status --json"
page=$(curl -s http://127.0.0.1:8080/)
check home-page "$(echo "$page" | grep -q '学习资源'; echo $?)" "the home page in Chinese"
systemctl show satchel -p ProtectSystem -p NoNewPrivileges -p User | tr '\n' ' '; echo
touch /var/lib/satchel/keep-me
dpkg -i /root/satchel/satchel.deb >/dev/null 2>&1
check upgrade-keeps-data "$([ -f /var/lib/satchel/keep-me ] && systemctl is-active --quiet satchel; echo $?)" "reinstall"

# Releases (issue 19). 1.1.0 comes from the platform by sync and installs itself through satchel-upgrade.path.
version() { dpkg-query -W -f='${Version}' satchel; }
outcome() { tr '\n' ' ' </var/lib/satchel/upgrade/outcome 2>/dev/null; }
healthz() { curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/healthz; }
check release-key-in-config "$(grep -q releaseKeys /etc/satchel/satchel.json; echo $?)" "install.sh adopted the key the enrolment answer named"
runuser -u satchel -- satchel sync --config /etc/satchel/satchel.json >/dev/null 2>&1 || true
for _ in $(seq 600); do grep -q '^version=1.1.0-1' /var/lib/satchel/upgrade/outcome 2>/dev/null && break; sleep 1; done
check upgrade-from-platform "$([ "$(version)" = 1.1.0-1 ] && grep -q '^result=installed' /var/lib/satchel/upgrade/outcome && [ "$(healthz)" = 200 ]; echo $?)" "$(version); $(outcome)"
# 1.2.0 from the stick cannot serve: rolled back to 1.1.0, which serves again.
satchel upgrade install /media/stick/bad; status=$?
check upgrade-rollback "$([ $status -ne 0 ] && [ "$(version)" = 1.1.0-1 ] && grep -q '^result=rolled-back' /var/lib/satchel/upgrade/outcome && [ "$(healthz)" = 200 ]; echo $?)" "exit $status; $(version); $(outcome)"
satchel upgrade install /media/stick/old; status=$?
check upgrade-no-downgrade "$([ $status -ne 0 ] && [ "$(version)" = 1.1.0-1 ] && grep -q '^result=refused' /var/lib/satchel/upgrade/outcome; echo $?)" "exit $status; $(version); $(outcome)"
satchel upgrade install /media/stick/forged; status=$?
check upgrade-bad-signature "$([ $status -ne 0 ] && [ "$(version)" = 1.1.0-1 ] && [ "$(healthz)" = 200 ]; echo $?)" "exit $status; $(version)"
runuser -u satchel -- satchel status --config /etc/satchel/satchel.json
runuser -u satchel -- satchel sync --config /etc/satchel/satchel.json >/dev/null 2>&1 || true
apt-get remove -y -qq satchel >/dev/null 2>&1
check remove-keeps-data "$([ -f /var/lib/satchel/keep-me ]; echo $?)" "after apt-get remove"
apt-get purge -y -qq satchel >/dev/null 2>&1
check purge-deletes-data "$([ ! -e /var/lib/satchel ]; echo $?)" "after apt-get purge"
echo "INSIDE-DONE"
systemctl poweroff
INSIDE
chmod +x "$IMAGE_TREE/root/satchel/inside.sh"
cat >"$IMAGE_TREE/etc/systemd/system/satchel-vm-test.service" <<'UNIT'
[Unit]
Description=Satchel installation test
After=network-online.target systemd-networkd.service
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/root/satchel/inside.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TimeoutStartSec=900

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/satchel-vm-test.service \
    "$IMAGE_TREE/etc/systemd/system/multi-user.target.wants/satchel-vm-test.service"
echo "root:vm" | chroot "$IMAGE_TREE" chpasswd

echo "making the disk image ..."
rm -f "$WORK/disk.img"
truncate -s 4G "$WORK/disk.img"
mkfs.ext4 -q -F -d "$IMAGE_TREE" "$WORK/disk.img"
rm -rf "$IMAGE_TREE"

# Software emulation by default: nested KVM (a VM inside a VM, as on the development machine) can hang before the
# kernel prints anything. VM_ACCEL=kvm uses KVM where it works.
ACCEL=(-accel tcg)
[ "${VM_ACCEL:-tcg}" = kvm ] && ACCEL=(-enable-kvm -cpu host)
echo "booting Debian 12 (${ACCEL[*]}); console in $WORK/console.log ..."
timeout 1200 qemu-system-x86_64 "${ACCEL[@]}" -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$ROOTFS/vmlinuz" -initrd "$ROOTFS/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 systemd.show_status=0" \
    -drive file="$WORK/disk.img",format=raw,if=virtio \
    -nic user,model=virtio-net-pci >"$WORK/console.log" 2>&1 || true

# The machine's own log, read from its disk image after it powered off.
debugfs -R "cat /root/satchel/inside.log" "$WORK/disk.img" >"$WORK/inside.log" 2>/dev/null || true
grep -a "^CHECK " "$WORK/inside.log" | tr -d '\r' || true
if ! grep -aq "INSIDE-DONE" "$WORK/inside.log"; then
    echo "FAIL: the test inside the machine did not finish; see $WORK/inside.log and $WORK/console.log" >&2
    exit 1
fi
# The platform's fleet record: the version each node reported after its upgrade.
# The last outcome (the refused downgrade) is the node's last error there, so the fleet page lists it for a visit.
reported=$(sqlite3 "$WORK/platform-data/platform.sqlite" "SELECT version || ' | ' || lastError FROM node" 2>/dev/null)
case "$reported" in
    "1.1.0-1 | Refused 1.0.0-1"*) echo "CHECK platform-sees-upgrades PASS $reported" ;;
    *) echo "CHECK platform-sees-upgrades FAIL '$reported'" && echo "CHECK platform FAIL" >>"$WORK/inside.log" ;;
esac
if grep -a "^CHECK " "$WORK/inside.log" | grep -q " FAIL "; then exit 1; fi
echo "all checks passed"
