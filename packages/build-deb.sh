#!/bin/sh
# Builds the satchel .deb from a release binary.
#
#   packages/build-deb.sh [--binary PATH] [--version V] [--output DIR] [--no-build] [--no-strip]
#                         [--allow-dynamic-swift]
#
# Without --binary it runs scripts/build-release.sh (swift build -c release with -static-stdlib and the start-up code
# layout; quick when nothing changed) and packs .build/release/satchel. The Swift runtime must be linked in
# statically: school boxes have no Swift toolchain, so a binary that loads libswiftCore.so or libFoundation.so from
# /opt/swift would not start there.
# The script checks that with ldd and stops otherwise. --allow-dynamic-swift skips that check; it exists only to try
# the packaging itself with a debug build (packages/check-deb.sh), and such a package must never reach a school.
#
# The last line printed is the path of the .deb, so other scripts can use `packages/build-deb.sh | tail -n 1`.
set -eu

usage() {
    cat <<'EOF'
用法 Usage: packages/build-deb.sh [--binary PATH] [--version V] [--output DIR] [--no-build] [--no-strip]
                                  [--allow-dynamic-swift]

  --binary PATH          打包这个程序，不构建 · pack this binary instead of building one
  --version V            软件包版本（默认取自 git describe）· package version (default: from git describe)
  --output DIR           .deb 输出目录（默认 .build/deb）· where to write the .deb (default .build/deb)
  --no-build             不运行 swift build，直接用 .build/release/satchel · use .build/release/satchel as it is
  --no-strip             保留调试符号 · keep the symbol table (bigger package)
  --allow-dynamic-swift  允许动态链接 Swift 运行库（仅用于测试打包）· allow a binary that loads the Swift runtime
                         from the toolchain (only to test the packaging; never for schools)
EOF
}

say() { printf 'build-deb: %s\n' "$*" >&2; }
die() {
    # $1: Chinese, $2: English
    printf 'build-deb: 错误：%s\n' "$1" >&2
    if [ $# -ge 2 ]; then printf 'build-deb: error: %s\n' "$2" >&2; fi
    exit 1
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BINARY=""
VERSION=""
OUTPUT=""
BUILD=1
STRIP=1
ALLOW_DYNAMIC_SWIFT=0

while [ $# -gt 0 ]; do
    case "$1" in
        --binary)
            [ $# -ge 2 ] || die "--binary 需要一个路径" "--binary needs a path"
            BINARY=$2
            shift 2
            ;;
        --version)
            [ $# -ge 2 ] || die "--version 需要一个版本号" "--version needs a version"
            VERSION=$2
            shift 2
            ;;
        --output)
            [ $# -ge 2 ] || die "--output 需要一个目录" "--output needs a directory"
            OUTPUT=$2
            shift 2
            ;;
        --no-build) BUILD=0; shift ;;
        --no-strip) STRIP=0; shift ;;
        --allow-dynamic-swift) ALLOW_DYNAMIC_SWIFT=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *)
            usage >&2
            die "未知参数：$1" "unknown argument: $1"
            ;;
    esac
done

umask 022
export PATH="$PATH:/opt/swift/usr/bin"
# Make the paths given on the command line absolute before changing directory.
case "$BINARY" in "" | /*) ;; *) BINARY="$(pwd)/$BINARY" ;; esac
case "$OUTPUT" in "" | /*) ;; *) OUTPUT="$(pwd)/$OUTPUT" ;; esac
cd "$ROOT"
[ -n "$OUTPUT" ] || OUTPUT="$ROOT/.build/deb"

for tool in dpkg dpkg-deb ldd gzip md5sum od; do
    command -v "$tool" >/dev/null 2>&1 || die "缺少工具 $tool（需要 Debian 系统的 dpkg）" "$tool is missing (a Debian-family system is needed)"
done

# --- The binary --------------------------------------------------------------------------------------------------

if [ -z "$BINARY" ]; then
    BINARY="$ROOT/.build/release/satchel"
    if [ "$BUILD" -eq 1 ]; then
        command -v swift >/dev/null 2>&1 ||
            die "找不到 Swift 工具链（/opt/swift/usr/bin 或 PATH）；可用 --binary 指定已构建的程序" \
                "no Swift toolchain (/opt/swift/usr/bin or PATH); give a built binary with --binary"
        say "构建 release 程序 · building the release binary:"
        say "  scripts/build-release.sh satchel"
        sh "$ROOT/scripts/build-release.sh" satchel >&2
    fi
fi
if [ ! -f "$BINARY" ] || [ ! -x "$BINARY" ]; then
    die "找不到可执行程序 $BINARY" "no executable at $BINARY"
fi

ARCH=$(dpkg --print-architecture)

# The binary's own architecture, from the ELF header (e_machine at offset 18; every target here is little-endian).
magic=$(od -An -tx1 -N4 "$BINARY" | tr -d ' \n')
[ "$magic" = "7f454c46" ] || die "$BINARY 不是 ELF 程序" "$BINARY is not an ELF executable"
machine=$(od -An -tu2 -j18 -N2 "$BINARY" | tr -d ' \n')
case "$machine" in
    62) BINARY_ARCH=amd64 ;;
    183) BINARY_ARCH=arm64 ;;
    40) BINARY_ARCH=armhf ;;
    3) BINARY_ARCH=i386 ;;
    *) BINARY_ARCH="unknown (e_machine $machine)" ;;
esac
[ "$BINARY_ARCH" = "$ARCH" ] ||
    die "程序架构是 $BINARY_ARCH，但本机 dpkg 架构是 $ARCH；请在目标架构的机器上构建" \
        "the binary is $BINARY_ARCH but dpkg here is $ARCH; build on a machine of the target architecture"

# The Swift runtime must not come from the toolchain. ldd lists every library the loader would resolve.
if ! LDD_OUT=$(ldd "$BINARY" 2>&1); then
    die "ldd 无法读取 $BINARY：$LDD_OUT" "ldd cannot read $BINARY: $LDD_OUT"
fi
MISSING=$(printf '%s\n' "$LDD_OUT" | grep 'not found' || true)
SWIFT_DYNAMIC=$(printf '%s\n' "$LDD_OUT" |
    grep -E '/opt/swift|libswift[A-Za-z_]*\.so|libFoundation[A-Za-z]*\.so|lib_FoundationICU\.so|libdispatch\.so|libBlocksRuntime\.so' ||
    true)
if [ -n "$SWIFT_DYNAMIC" ]; then
    if [ "$ALLOW_DYNAMIC_SWIFT" -eq 1 ]; then
        say "警告：程序动态链接 Swift 运行库；此软件包只能在装有同一 Swift 工具链的机器上运行，不可发给学校。"
        say "warning: the binary loads the Swift runtime from the toolchain; this package runs only where the same"
        say "         toolchain is installed. It is for checking the packaging, never for schools."
    else
        printf '%s\n' "$SWIFT_DYNAMIC" >&2
        die "程序从工具链加载 Swift 运行库（见上）。学校的机器上没有这些库。请用以下命令构建：scripts/build-release.sh" \
            "the binary loads the Swift runtime from the toolchain (above); school boxes do not have it. Build it with: scripts/build-release.sh"
    fi
fi
if [ -n "$MISSING" ]; then
    printf '%s\n' "$MISSING" >&2
    die "程序需要的库在本机找不到（见上）；请先运行 scripts/install-deps.sh" \
        "libraries the binary needs are missing here (above); run scripts/install-deps.sh first"
fi

# --- The version -------------------------------------------------------------------------------------------------

GIT_HASH=""
if command -v git >/dev/null 2>&1 && git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    GIT_HASH=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || true)
fi
if [ -z "$VERSION" ]; then
    if [ -n "$GIT_HASH" ]; then
        if described=$(git -C "$ROOT" describe --tags 2>/dev/null); then
            # A tag: v1.2.0 -> 1.2.0, v1.2.0-3-gabc1234 -> 1.2.0+git3.gabc1234.
            VERSION=$(printf '%s\n' "$described" | sed -e 's/^[vV]\([0-9]\)/\1/' \
                -e 's/-\([0-9][0-9]*\)-g\([0-9a-f][0-9a-f]*\)$/+git\1.g\2/' -e 's/[^A-Za-z0-9.+~]/./g')
            case "$VERSION" in
                [0-9]*) ;;
                *) VERSION="0.1.0+git$GIT_HASH" ;;
            esac
        else
            # No tag yet: `git describe --tags --always` would give a bare commit hash, which is no version.
            VERSION="0.1.0+git$GIT_HASH"
        fi
    else
        VERSION="0.1.0"
    fi
fi
# A Debian revision: this is not a Debian-native package, so it ships changelog.Debian.gz.
case "$VERSION" in
    *-*) ;;
    *) VERSION="$VERSION-1" ;;
esac
printf '%s\n' "$VERSION" | grep -Eq '^[0-9][A-Za-z0-9.+~]*-[A-Za-z0-9.+~]+$' ||
    die "版本号 \"$VERSION\" 不符合 Debian 规则（应以数字开头，只含字母、数字和 . + ~ -）" \
        "version \"$VERSION\" is not a valid Debian version (a digit first, then letters, digits and . + ~ -)"

MAINTAINER=${SATCHEL_MAINTAINER:-"Satchel maintainers <maintainers@satchel.invalid>"}
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    BUILD_DATE=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
elif [ -n "$GIT_HASH" ]; then
    BUILD_DATE=$(date -u -R -d "@$(git -C "$ROOT" log -1 --format=%ct)")
else
    BUILD_DATE=$(date -u -R)
fi

# --- The package tree --------------------------------------------------------------------------------------------

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
STAGE="$WORK/satchel"
mkdir -p "$STAGE/DEBIAN" "$STAGE/usr/bin" "$STAGE/lib/systemd/system" "$STAGE/usr/share/satchel" \
    "$STAGE/usr/share/doc/satchel"

if [ "$STRIP" -eq 1 ] && command -v strip >/dev/null 2>&1; then
    # Only the symbol table and debug info go; Swift's runtime metadata lives in allocated sections strip keeps.
    strip --strip-unneeded -o "$STAGE/usr/bin/satchel" "$BINARY"
else
    cp "$BINARY" "$STAGE/usr/bin/satchel"
fi
chmod 0755 "$STAGE/usr/bin/satchel"

install -m 0644 "$ROOT/packages/satchel.service" "$STAGE/lib/systemd/system/satchel.service"
# Releases: the node stages them, this root-only installer (started by the path unit) installs them with rollback.
install -m 0644 "$ROOT/packages/satchel-upgrade.service" "$STAGE/lib/systemd/system/satchel-upgrade.service"
install -m 0644 "$ROOT/packages/satchel-upgrade.path" "$STAGE/lib/systemd/system/satchel-upgrade.path"
install -d -m 0755 "$STAGE/usr/lib/satchel"
install -m 0755 "$ROOT/packages/satchel-upgrade" "$STAGE/usr/lib/satchel/satchel-upgrade"

cat >"$STAGE/usr/share/satchel/satchel.json.default" <<'EOF'
{
  "dataDirectory": "/var/lib/satchel",
  "port": 8080
}
EOF
chmod 0644 "$STAGE/usr/share/satchel/satchel.json.default"

for script in postinst prerm postrm; do
    install -m 0755 "$ROOT/packages/debian/$script" "$STAGE/DEBIAN/$script"
done

# Debian changelog: one entry for this build.
{
    printf 'satchel (%s) unstable; urgency=medium\n\n' "$VERSION"
    if [ -n "$GIT_HASH" ]; then
        printf '  * Built from commit %s of the Satchel repository.\n\n' "$GIT_HASH"
    else
        printf '  * Built from the Satchel source tree.\n\n'
    fi
    printf ' -- %s  %s\n' "$MAINTAINER" "$BUILD_DATE"
} | gzip -9n >"$STAGE/usr/share/doc/satchel/changelog.Debian.gz"
chmod 0644 "$STAGE/usr/share/doc/satchel/changelog.Debian.gz"

# Copyright: Satchel itself, the Swift runtime linked into the binary, and the Swift packages it is built from.
license_of() {
    # Prints a short licence name for a checkout directory, from its licence file.
    for file in "$1"/LICENSE "$1"/LICENSE.txt "$1"/LICENSE.md "$1"/COPYING; do
        [ -f "$file" ] || continue
        if grep -q 'Apache License' "$file"; then
            echo "Apache-2.0 (/usr/share/common-licenses/Apache-2.0)"
        elif grep -qi 'Permission is hereby granted, free of charge' "$file"; then
            echo "MIT"
        elif grep -qi 'Redistribution and use in source and binary forms' "$file"; then
            echo "BSD"
        else
            echo "see its licence file"
        fi
        return 0
    done
    echo "see the package's repository"
}
{
    cat <<'EOF'
Satchel, the offline-first school content node.

Copyright: the Satchel contributors.
License: the Satchel project has not published its licence yet; the maintainers must set it here before the
package is distributed beyond the project's own test machines.

The program /usr/bin/satchel also contains, linked in statically:

 - The Swift standard library, runtime, Dispatch and Foundation (swift.org).
   Copyright Apple Inc. and the Swift project authors.
   License: Apache-2.0 with the Runtime Library Exception
   (/usr/share/common-licenses/Apache-2.0; the exception: https://swift.org/LICENSE.txt).
EOF
    if [ -d "$ROOT/.build/checkouts" ]; then
        for checkout in "$ROOT"/.build/checkouts/*/; do
            [ -d "$checkout" ] || continue
            name=$(basename "$checkout")
            printf ' - %s. License: %s\n' "$name" "$(license_of "$checkout")"
        done
        for checkout in "$ROOT"/.build/checkouts/*/; do
            [ -d "$checkout" ] || continue
            case "$(license_of "$checkout")" in
                MIT | BSD)
                    for file in "$checkout"LICENSE "$checkout"LICENSE.txt "$checkout"LICENSE.md "$checkout"COPYING; do
                        if [ -f "$file" ]; then
                            printf '\nThe licence of %s:\n\n' "$(basename "$checkout")"
                            sed -e 's/^/    /' -e 's/[[:space:]]*$//' "$file"
                            break
                        fi
                    done
                    ;;
            esac
        done
    else
        echo ' - the Swift packages named in Package.resolved of the source tree, each under its own licence.'
    fi
} >"$STAGE/usr/share/doc/satchel/copyright"
chmod 0644 "$STAGE/usr/share/doc/satchel/copyright"

# Depends: the libraries the binary links, with minimum versions from dpkg-shlibdeps when dpkg-dev is installed,
# merged with the packages the maintainer scripts and the runtime need.
BASE_DEPENDS="adduser, libarchive13, libcurl4, libqrencode4, libsqlite3-0, zlib1g, libc6, libgcc-s1, libstdc++6"
SHLIB_DEPENDS=""
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
    mkdir -p "$WORK/shlibdeps/debian"
    printf 'Source: satchel\n\nPackage: satchel\nArchitecture: any\n' >"$WORK/shlibdeps/debian/control"
    ignore=""
    [ "$ALLOW_DYNAMIC_SWIFT" -eq 1 ] && ignore="--ignore-missing-info"
    if shlibs=$(cd "$WORK/shlibdeps" && dpkg-shlibdeps -O $ignore -e"$STAGE/usr/bin/satchel" 2>"$WORK/shlibdeps.err"); then
        SHLIB_DEPENDS=$(printf '%s\n' "$shlibs" | sed -n 's/^shlibs:Depends=//p')
    else
        sed 's/^/  /' "$WORK/shlibdeps.err" >&2
        say "警告：dpkg-shlibdeps 失败，使用固定的依赖列表 · warning: dpkg-shlibdeps failed; using the fixed list"
    fi
fi
# One entry per package name; a versioned entry (from dpkg-shlibdeps) wins over a plain one.
DEPENDS=$(printf '%s, %s\n' "$SHLIB_DEPENDS" "$BASE_DEPENDS" | tr ',' '\n' |
    sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -v '^$' |
    awk '{ name = $1; if (!(name in seen)) { order[++n] = name; seen[name] = $0 } else if (seen[name] !~ /\(/ && $0 ~ /\(/) { seen[name] = $0 } }
         END { for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? ", " : ""), seen[order[i]]; print "" }')

# md5sums of every shipped file, for `dpkg --verify` and debsums.
(cd "$STAGE" && find usr lib -type f | LC_ALL=C sort | xargs md5sum) >"$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/md5sums"

INSTALLED_SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat >"$STAGE/DEBIAN/control" <<EOF
Package: satchel
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: $DEPENDS
Section: net
Priority: optional
Description: offline-first content node for rural schools
 Satchel keeps the national education platform's curriculum bundles
 (lessons, videos, documents, virtual labs and teacher-training courses)
 on local disk, verified and signed, and serves them over the school LAN
 to teachers' phones, laptops and classroom PCs, in Simplified Chinese
 first and English too. It works with no Internet link at all.
EOF
chmod 0644 "$STAGE/DEBIAN/control"

# Every directory 0755 (mktemp made the top one 0700), every file root:root in the archive.
find "$STAGE" -type d -exec chmod 0755 {} +

mkdir -p "$OUTPUT"
DEB="$OUTPUT/satchel_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group --build "$STAGE" "$DEB" >&2
say "软件包已生成 · package built: $DEB"
say "  版本 version $VERSION, 架构 architecture $ARCH"
say "  依赖 Depends: $DEPENDS"
echo "$DEB"
