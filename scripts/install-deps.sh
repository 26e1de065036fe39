#!/bin/sh
# Installs the Debian packages Satchel needs to build, test and run. Safe to run again.
# As root it runs apt-get; otherwise it prints the command to run.
set -eu

BUILD_PACKAGES="libarchive-dev libcurl4-openssl-dev libqrencode-dev libsqlite3-dev zlib1g-dev pkg-config"
TEST_PACKAGES="postgresql libarchive-tools tar zip unzip zstd xz-utils curl ca-certificates chromium fonts-noto-cjk dpkg-dev lintian fakeroot time faketime zbar-tools"

missing=""
for package in $BUILD_PACKAGES $TEST_PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all system packages are present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    echo "install-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "install-deps: these packages are missing:$missing"
    echo "install-deps: run as root:  sudo apt-get install -y$missing"
    exit 1
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: the Swift toolchain is not on PATH (expected at /opt/swift/usr/bin)" >&2
    exit 1
fi
