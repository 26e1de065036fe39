#!/bin/sh
# Checks a satchel .deb before it goes to schools.
#
#   packages/check-deb.sh [--allow-dynamic-swift] FILE.deb
#
# Checks the control fields, the paths and modes of the shipped files, the maintainer scripts (present, executable,
# valid shell, and only `postrm purge` deleting data), the default config, the systemd unit, the binary (its
# architecture, and that it does not load the Swift runtime from a toolchain), the md5sums, and runs lintian when it
# is installed. Prints PASS/WARN/FAIL lines and a summary; exits 1 on any FAIL.
#
# --allow-dynamic-swift turns "loads the Swift runtime from the toolchain" into a warning, for packages made from a
# debug build with build-deb.sh --allow-dynamic-swift to test the packaging. Never ship such a package.
# shellcheck disable=SC2015  # "test && pass || fail": pass and fail always succeed
set -eu

usage() {
    echo "用法 Usage: packages/check-deb.sh [--allow-dynamic-swift] FILE.deb"
}

ALLOW_DYNAMIC_SWIFT=0
DEB=""
while [ $# -gt 0 ]; do
    case "$1" in
        --allow-dynamic-swift) ALLOW_DYNAMIC_SWIFT=1; shift ;;
        -h | --help) usage; exit 0 ;;
        -*) usage >&2; echo "check-deb: 未知参数 unknown argument: $1" >&2; exit 64 ;;
        *)
            [ -z "$DEB" ] || { usage >&2; exit 64; }
            DEB=$1
            shift
            ;;
    esac
done
[ -n "$DEB" ] || { usage >&2; exit 64; }
if [ ! -f "$DEB" ]; then
    echo "check-deb: 找不到文件 $DEB · no such file: $DEB" >&2
    exit 1
fi

# Lintian errors that are accepted, one "tag|reason" a line. Everything else lintian calls an error fails the check.
ACCEPTED_LINTIAN_ERRORS=""
if [ "$ALLOW_DYNAMIC_SWIFT" -eq 1 ]; then
    # A debug build links the Swift runtime from the toolchain through a RUNPATH into /opt/swift. The release build
    # (-static-stdlib) has no such RUNPATH, so this is accepted only together with --allow-dynamic-swift.
    ACCEPTED_LINTIAN_ERRORS="custom-library-search-path|debug build: RUNPATH into the Swift toolchain (--allow-dynamic-swift)"
fi
# Not listed, on purpose: statically-linked-binary. Only the Swift runtime is linked in statically; libc and the
# system libraries stay dynamic, so lintian does not raise it. If it ever does, something changed in the build.

PASSED=0
FAILED=0
WARNED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS  $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL  $*"; }
warn() { WARNED=$((WARNED + 1)); echo "WARN  $*"; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# --- Control fields ----------------------------------------------------------------------------------------------

if dpkg-deb --info "$DEB" >"$WORK/info" 2>&1; then
    pass "dpkg-deb --info 可读 · readable"
else
    fail "dpkg-deb --info 失败 · failed: $(head -n 3 "$WORK/info")"
    echo "check-deb: 不是有效的 .deb 文件 · not a valid .deb"
    echo "check-deb: $PASSED passed, $FAILED failed"
    exit 1
fi

field() { dpkg-deb --field "$DEB" "$1" 2>/dev/null || true; }
PACKAGE=$(field Package)
VERSION=$(field Version)
ARCH=$(field Architecture)
DEPENDS=$(field Depends)
[ "$PACKAGE" = "satchel" ] && pass "Package: satchel" || fail "Package 应为 satchel · should be satchel, is '$PACKAGE'"
if printf '%s\n' "$VERSION" | grep -Eq '^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$'; then
    pass "Version: $VERSION"
else
    fail "Version 无效 · not a valid Debian version: '$VERSION'"
fi
case "$ARCH" in
    amd64 | arm64) pass "Architecture: $ARCH" ;;
    "") fail "缺少 Architecture · no Architecture" ;;
    *) warn "Architecture $ARCH 不在支持列表（amd64、arm64）· not a supported architecture (amd64, arm64)" ;;
esac
for name in Maintainer Description Installed-Size; do
    [ -n "$(field "$name")" ] && pass "$name 已填写 · present" || fail "缺少 $name · no $name field"
done
for need in adduser libarchive13 libcurl4 libqrencode4 libsqlite3-0 zlib1g; do
    if printf ', %s,\n' "$DEPENDS" | grep -Eq "[ ,|]$need( \\([^)]*\\))?[ ,|]"; then
        pass "Depends 含 includes $need"
    else
        fail "Depends 缺少 lacks $need (Depends: $DEPENDS)"
    fi
done

# --- Shipped files: paths, modes, owners -------------------------------------------------------------------------

dpkg-deb --contents "$DEB" >"$WORK/contents"
# Each line: mode owner/group size date time ./path [-> target]
expect_file() {
    # $1: path, $2: mode as ls shows it
    line=$(awk -v p="./$1" '$6 == p' "$WORK/contents")
    if [ -z "$line" ]; then
        fail "缺少 missing /$1"
        return
    fi
    mode=$(printf '%s\n' "$line" | awk '{print $1}')
    if [ "$mode" = "$2" ]; then
        pass "/$1 $mode"
    else
        fail "/$1 权限应为 mode should be $2, is $mode"
    fi
}
expect_file usr/bin/satchel -rwxr-xr-x
expect_file lib/systemd/system/satchel.service -rw-r--r--
expect_file lib/systemd/system/satchel-upgrade.service -rw-r--r--
expect_file lib/systemd/system/satchel-upgrade.path -rw-r--r--
expect_file usr/lib/satchel/satchel-upgrade -rwxr-xr-x
expect_file usr/share/satchel/satchel.json.default -rw-r--r--
expect_file usr/share/doc/satchel/copyright -rw-r--r--
expect_file usr/share/doc/satchel/changelog.Debian.gz -rw-r--r--

not_root=$(awk '$2 != "root/root" {printf "%s (%s) ", $6, $2}' "$WORK/contents")
[ -z "$not_root" ] && pass "所有文件属于 root:root · every entry is root:root" ||
    fail "以下文件不属于 root:root · not owned by root:root: $not_root"
bad_dirs=$(awk '$1 ~ /^d/ && $1 != "drwxr-xr-x" {printf "%s %s ", $6, $1}' "$WORK/contents")
[ -z "$bad_dirs" ] && pass "目录权限均为 0755 · every directory is 0755" ||
    fail "目录权限不是 0755 · directories not 0755: $bad_dirs"
shipped_state=$(awk '$6 ~ /^\.\/(etc|var)\// {printf "%s ", $6}' "$WORK/contents")
# /etc/satchel/satchel.json and /var/lib/satchel are made by postinst: shipping them would make dpkg own (and on
# upgrade, replace or remove) the school's config and data.
[ -z "$shipped_state" ] && pass "不含 /etc、/var 下的文件 · ships nothing under /etc or /var" ||
    fail "不应打包 /etc、/var 下的文件 · must not ship files under /etc or /var: $shipped_state"

# --- Maintainer scripts ------------------------------------------------------------------------------------------

mkdir -p "$WORK/control"
dpkg-deb --control "$DEB" "$WORK/control"
dpkg-deb --ctrl-tarfile "$DEB" | tar -tvf - >"$WORK/control-list"
for script in postinst prerm postrm; do
    if [ ! -f "$WORK/control/$script" ]; then
        fail "缺少维护脚本 missing maintainer script $script"
        continue
    fi
    mode=$(awk -v p="./$script" '$6 == p {print $1}' "$WORK/control-list")
    [ "$mode" = "-rwxr-xr-x" ] && pass "$script $mode" || fail "$script 权限应为 mode should be -rwxr-xr-x, is '$mode'"
    shell=$(head -n 1 "$WORK/control/$script")
    case "$shell" in
        "#!/bin/sh" | "#!/bin/sh -e") checker="sh -n" ;;
        "#!/bin/bash" | "#!/bin/bash -e") checker="bash -n" ;;
        *) checker="" ;;
    esac
    if [ -z "$checker" ]; then
        fail "$script 的首行应为 #!/bin/sh 或 #!/bin/bash · first line should be #!/bin/sh or #!/bin/bash, is '$shell'"
    elif $checker "$WORK/control/$script" 2>"$WORK/syntax"; then
        pass "$script: $checker"
    else
        fail "$script 语法错误 · syntax error: $(cat "$WORK/syntax")"
    fi
    grep -Eq '^[[:space:]]*set -[a-z]*e' "$WORK/control/$script" && pass "$script: set -e" ||
        fail "$script 未使用 set -e · does not use set -e"
    if grep -q '#DEBHELPER#' "$WORK/control/$script"; then
        fail "$script 含未替换的 #DEBHELPER# · has a raw #DEBHELPER#"
    fi
done

# Only the `purge)` arm of postrm may delete data, the config or the user. A line "deletes" when it runs a
# recursive rm, find -delete, or removes the user or group.
DELETES='(^|[;&|[:space:]])(rm[[:space:]]+(-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)|deluser|delgroup|userdel|groupdel)([[:space:]]|$)|-delete([[:space:]]|$)'
for script in preinst postinst prerm; do
    [ -f "$WORK/control/$script" ] || continue
    hits=$(grep -v '^[[:space:]]*#' "$WORK/control/$script" | grep -E "$DELETES" | tr '\n' ';' || true)
    [ -z "$hits" ] && pass "$script 不删除数据 · deletes no data" || fail "$script 删除数据 · deletes data: $hits"
done
if [ -f "$WORK/control/postrm" ]; then
    # Lines that delete, outside the case arm that starts with "purge)" and ends at its ";;".
    outside=$(awk -v re="$DELETES" '
        /^[[:space:]]*#/ { next }
        /^[[:space:]]*purge[[:space:]]*\)/ { inpurge = 1; next }
        inpurge && /^[[:space:]]*;;/ { inpurge = 0; next }
        !inpurge && $0 ~ re { printf "line %d: %s; ", NR, $0 }' "$WORK/control/postrm")
    inside=$(awk -v re="$DELETES" '
        /^[[:space:]]*#/ { next }
        /^[[:space:]]*purge[[:space:]]*\)/ { inpurge = 1; next }
        inpurge && /^[[:space:]]*;;/ { inpurge = 0; next }
        inpurge && $0 ~ re { n++ } END { print n + 0 }' "$WORK/control/postrm")
    [ -z "$outside" ] && pass "postrm 只在 purge 时删除数据 · deletes data only on purge" ||
        fail "postrm 在 purge 以外删除数据 · deletes data outside purge: $outside"
    if [ "$inside" -gt 0 ] && grep -q '/var/lib/satchel' "$WORK/control/postrm"; then
        pass "postrm purge 删除 /var/lib/satchel · purge removes the data"
    else
        fail "postrm purge 未删除 /var/lib/satchel · purge does not remove the data"
    fi
fi

# --- Shipped files: content ---------------------------------------------------------------------------------------

mkdir -p "$WORK/root"
dpkg-deb --extract "$DEB" "$WORK/root"

if (cd "$WORK/root" && md5sum --check --quiet "$WORK/control/md5sums") >"$WORK/md5" 2>&1; then
    pass "md5sums 与文件一致 · match the files"
else
    fail "md5sums 不一致或缺失 · missing or wrong: $(head -n 3 "$WORK/md5" | tr '\n' ' ')"
fi

DEFAULT_CONFIG="$WORK/root/usr/share/satchel/satchel.json.default"
if [ -f "$DEFAULT_CONFIG" ]; then
    if command -v python3 >/dev/null 2>&1; then
        if python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
assert isinstance(c, dict), "not an object"
assert c.get("dataDirectory") == "/var/lib/satchel", "dataDirectory"
assert isinstance(c.get("port"), int), "port"' "$DEFAULT_CONFIG" 2>"$WORK/json"; then
            pass "默认配置是有效 JSON · default config is valid JSON"
        else
            fail "默认配置无效 · default config invalid: $(tail -n 1 "$WORK/json")"
        fi
    elif command -v jq >/dev/null 2>&1; then
        jq -e '.dataDirectory == "/var/lib/satchel" and (.port | type) == "number"' "$DEFAULT_CONFIG" >/dev/null &&
            pass "默认配置是有效 JSON · default config is valid JSON" || fail "默认配置无效 · default config invalid"
    else
        warn "没有 python3 或 jq，未检查默认配置 · neither python3 nor jq: default config not checked"
    fi
fi

UNIT="$WORK/root/lib/systemd/system/satchel.service"
if [ -f "$UNIT" ]; then
    for line in "Type=notify" "User=satchel" "Group=satchel" \
        "ExecStart=/usr/bin/satchel serve --config /etc/satchel/satchel.json" "ProtectSystem=strict" \
        "NoNewPrivileges=true" "CapabilityBoundingSet=" "StateDirectory=satchel" "WantedBy=multi-user.target"; do
        grep -qx "$line" "$UNIT" && pass "unit: $line" || fail "unit 缺少 · lacks: $line"
    done
    if command -v systemd-analyze >/dev/null 2>&1; then
        # verify wants the ExecStart program to exist: point it at the extracted binary in a copy of the unit.
        mkdir -p "$WORK/unit"
        sed "s|^ExecStart=/usr/bin/satchel|ExecStart=$WORK/root/usr/bin/satchel|" "$UNIT" >"$WORK/unit/satchel.service"
        systemd-analyze verify "$WORK/unit/satchel.service" >"$WORK/verify" 2>&1 || true
        # Unknown keys and bad values are reported as "..., ignoring." with exit status 0: any output is a problem.
        if [ -s "$WORK/verify" ]; then
            fail "systemd-analyze verify: $(tr '\n' ' ' <"$WORK/verify")"
        else
            pass "systemd-analyze verify"
        fi
    else
        warn "没有 systemd-analyze，未校验 unit · no systemd-analyze: unit not verified"
    fi
fi

if [ -f "$WORK/root/usr/share/doc/satchel/changelog.Debian.gz" ]; then
    if gzip -t "$WORK/root/usr/share/doc/satchel/changelog.Debian.gz" &&
        gzip -dc "$WORK/root/usr/share/doc/satchel/changelog.Debian.gz" | head -n 1 | grep -qF "satchel ($VERSION)"; then
        pass "changelog.Debian.gz 有效且版本一致 · valid, version matches"
    else
        fail "changelog.Debian.gz 无效或版本不一致 · invalid or version differs"
    fi
fi

# --- The binary --------------------------------------------------------------------------------------------------

BIN="$WORK/root/usr/bin/satchel"
if [ -f "$BIN" ]; then
    machine=$(od -An -tu2 -j18 -N2 "$BIN" | tr -d ' \n')
    case "$machine" in 62) bin_arch=amd64 ;; 183) bin_arch=arm64 ;; 40) bin_arch=armhf ;; *) bin_arch="e_machine=$machine" ;; esac
    [ "$bin_arch" = "$ARCH" ] && pass "程序架构 binary architecture $bin_arch" ||
        fail "程序架构 $bin_arch 与 Architecture $ARCH 不符 · binary is $bin_arch, package says $ARCH"
    if command -v readelf >/dev/null 2>&1; then
        readelf -d "$BIN" >"$WORK/dynamic" 2>&1 || true
        needed=$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' "$WORK/dynamic")
        runpath=$(sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p' "$WORK/dynamic")
    else
        needed=$(ldd "$BIN" 2>/dev/null | awk '{print $1}')
        runpath=""
    fi
    swift_libs=$(printf '%s\n' "$needed" |
        grep -E '^(libswift[A-Za-z_]*|libFoundation[A-Za-z]*|lib_FoundationICU|libdispatch|libBlocksRuntime)\.so' || true)
    swift_libs=$(printf '%s\n' "$swift_libs" | tr '\n' ' ' | sed 's/ *$//')
    if [ -z "$swift_libs" ]; then
        pass "Swift 运行库已静态链接 · the Swift runtime is linked in"
    elif [ "$ALLOW_DYNAMIC_SWIFT" -eq 1 ]; then
        warn "程序动态链接 Swift 运行库，仅供测试，不可发给学校 · loads the Swift runtime dynamically: for tests only, never for schools ($swift_libs)"
    else
        fail "程序动态链接 Swift 运行库，学校的机器上无法运行 · loads the Swift runtime dynamically and will not run on a school box: $swift_libs. Build with scripts/build-release.sh"
    fi
    case "$runpath" in
        *"/opt/"* | *"/home/"* | *"/tmp/"* | *"/root/"*)
            [ "$ALLOW_DYNAMIC_SWIFT" -eq 1 ] && warn "RUNPATH $runpath" || fail "RUNPATH 指向构建机器 · points into the build machine: $runpath"
            ;;
        *) pass "RUNPATH 无构建机路径 · no build-machine path (${runpath:-none})" ;;
    esac
fi

# --- lintian -----------------------------------------------------------------------------------------------------

if command -v lintian >/dev/null 2>&1; then
    echo "----- lintian $(lintian --version 2>/dev/null | awk '{print $2}') -----"
    lintian --display-info --tag-display-limit 0 "$DEB" >"$WORK/lintian" 2>"$WORK/lintian.err" || true
    grep -E '^[EWIPX]: ' "$WORK/lintian" | sed 's/^/  /' || true
    lintian_errors=0
    # Tags are single words, so splitting the list on white space is what is wanted here.
    # shellcheck disable=SC2013
    for tag in $(awk '/^E: / {print $3}' "$WORK/lintian" | sort -u); do
        reason=$(printf '%s\n' "$ACCEPTED_LINTIAN_ERRORS" | awk -F'|' -v t="$tag" '$1 == t {print $2}')
        if [ -n "$reason" ]; then
            warn "lintian 错误已接受 · accepted lintian error $tag: $reason"
        else
            lintian_errors=$((lintian_errors + 1))
            fail "lintian 错误 · lintian error: $tag"
        fi
    done
    if grep -q '^E: ' "$WORK/lintian.err" 2>/dev/null; then
        fail "lintian 无法运行 · lintian could not run: $(grep '^E: ' "$WORK/lintian.err" | head -n 1)"
    elif [ "$lintian_errors" -eq 0 ]; then
        pass "lintian: 无未接受的错误 · no unaccepted errors ($(grep -c '^W: ' "$WORK/lintian" || true) warnings)"
    fi
else
    warn "未安装 lintian，已跳过 · lintian is not installed; skipped (apt-get install lintian)"
fi

echo "-----"
echo "check-deb: $DEB"
echo "check-deb: $PASSED passed, $FAILED failed"
[ "$WARNED" -eq 0 ] || echo "check-deb: $WARNED warnings"
if [ "$FAILED" -gt 0 ]; then
    echo "check-deb: 检查未通过，请勿发布此软件包 · checks failed: do not ship this package"
    exit 1
fi
echo "check-deb: 检查通过 · all checks passed"
