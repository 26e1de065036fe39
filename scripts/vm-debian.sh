# Sourced by scripts/vm-install-test.sh and scripts/vm-power-cut-test.sh: the Debian 12 they boot in QEMU.

# debian_rootfs ROOTFS LOG: debootstraps a minimal Debian 12 with systemd, a kernel and curl into ROOTFS, unless an
# earlier run finished one there (ROOTFS/.complete); debootstrap's output goes to LOG.
debian_rootfs() {
    [ -f "$1/.complete" ] && return 0
    echo "debootstrap Debian 12 into $1 ..."
    rm -rf "$1"
    debootstrap --variant=minbase \
        --include=systemd,systemd-sysv,udev,linux-image-amd64,initramfs-tools,ca-certificates,curl,iproute2,procps,kmod,apt \
        bookworm "$1" http://deb.debian.org/debian >"$2" 2>&1
    touch "$1/.complete"
}

# debian_image_tree ROOTFS TREE: a copy of ROOTFS in TREE, ready to be made into a disk image: DHCP through
# systemd-networkd on QEMU's user network, and no login prompt on the serial console (a getty there hangs the console
# up under a test's output).
debian_image_tree() {
    rm -rf "$2"
    cp -a "$1" "$2"
    echo "satchel-vm" >"$2/etc/hostname"
    echo "nameserver 10.0.2.3" >"$2/etc/resolv.conf"
    mkdir -p "$2/etc/systemd/network"
    printf '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n' >"$2/etc/systemd/network/20-wired.network"
    ln -sf /lib/systemd/system/systemd-networkd.service \
        "$2/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
    ln -sf /dev/null "$2/etc/systemd/system/serial-getty@ttyS0.service"
}
