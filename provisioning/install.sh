#!/bin/bash
# Satchel installer: turns a fresh Debian 12, Ubuntu 22.04+ or Raspberry Pi OS box (amd64 or arm64) into a school
# node with one command. Safe to run again: every step checks what is already done and changes only what differs.
#
#   sudo provisioning/install.sh [--deb FILE | --from-source] [--platform URL] [--token TOKEN] [--school CODE]
#                                [--port N] [--data DIR] [--admin-user NAME --admin-password-file FILE]
#                                [--yes] [--dry-run]
#
# Each step is printed before it runs; with --dry-run the steps are only printed and nothing is changed.
# Exit status: 0 when every step and the health check passed, 1 when something failed (the summary says what),
# 64 for a wrong command line.
# shellcheck disable=SC1091,SC2015  # os-release is read at run time; "a && b || die" is meant
set -eu
set -o pipefail

CONFIG=/etc/satchel/satchel.json
DEFAULT_DATA=/var/lib/satchel
DROPIN_DIR=/etc/systemd/system/satchel.service.d
ENROLLED_MARKER=.satchel-install-enrolled
RUNTIME_PACKAGES="libarchive13 libcurl4 libqrencode4 libsqlite3-0 zlib1g ca-certificates adduser"
APT_OPTIONS=(-o DPkg::Lock::Timeout=300)

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

# --- Output ------------------------------------------------------------------------------------------------------

STEP=0
WARNINGS=()
FAILURES=()

step() {
    # $1: Chinese, $2: English
    STEP=$((STEP + 1))
    printf '\n==> %d. %s · %s\n' "$STEP" "$1" "$2"
}
info() { printf '    %s\n    %s\n' "$1" "$2"; }
warn() {
    printf '    警告：%s\n    Warning: %s\n' "$1" "$2"
    WARNINGS+=("$1 · $2")
}
failed() {
    printf '    失败：%s\n    Failed: %s\n' "$1" "$2"
    FAILURES+=("$1 · $2")
}
die() {
    printf '\n错误：%s\nError: %s\n' "$1" "$2" >&2
    exit "${3:-1}"
}

# Prints a command as it would be typed, with the enrolment token hidden.
show_command() {
    local shown=() hide=0 word
    for word in "$@"; do
        if [ "$hide" -eq 1 ]; then
            shown+=("******")
            hide=0
        else
            shown+=("$(printf '%q' "$word")")
            [ "$word" = "--token" ] && hide=1
        fi
    done
    printf '    $ %s\n' "${shown[*]}"
}

# Prints a command, then runs it unless this is a dry run.
run() {
    show_command "$@"
    [ "$DRY_RUN" -eq 1 ] && return 0
    "$@"
}

# Runs `satchel ARGS...` as the satchel user (so nothing in the data directory ends up owned by root), showing its
# output unless QUIET=1 and feeding it STDIN_FILE when set. Leaves the exit status in SATCHEL_STATUS and the output
# in SATCHEL_OUTPUT. A dry run only prints the command.
SATCHEL_STATUS=0
SATCHEL_OUTPUT=""
# The release keys the platform named in its signed enrolment answer go into root's config file: the release
# installer, which runs as root, takes them from there and never from the service's own database.
adopt_release_keys() {
    local keys key file
    keys=$(runuser -u satchel -- satchel trust list --config "$CONFIG" 2>/dev/null |
        awk '/\(release, not yet in the config file\)/ {print $2}')
    for key in $keys; do
        file=$(mktemp)
        printf '%s\n' "$key" >"$file"
        satchel trust add --release "$file" --config "$CONFIG" >/dev/null ||
            warn "无法写入发布密钥" "could not write the release key to $CONFIG"
        rm -f "$file"
    done
}

run_satchel() {
    local input=${STDIN_FILE:-/dev/stdin} log
    if [ -n "${STDIN_FILE:-}" ]; then
        printf '%s < %s\n' "$(show_command runuser -u satchel -- satchel "$@")" "$STDIN_FILE"
    else
        show_command runuser -u satchel -- satchel "$@"
    fi
    SATCHEL_STATUS=0
    SATCHEL_OUTPUT=""
    [ "$DRY_RUN" -eq 1 ] && return 0
    log=$(mktemp)
    if [ "${QUIET:-0}" -eq 1 ]; then
        runuser -u satchel -- satchel "$@" <"$input" >"$log" 2>&1 || SATCHEL_STATUS=$?
    else
        runuser -u satchel -- satchel "$@" <"$input" 2>&1 | tee "$log" || SATCHEL_STATUS=${PIPESTATUS[0]}
    fi
    SATCHEL_OUTPUT=$(cat "$log")
    rm -f "$log"
}

# Whether the last run_satchel hit a subcommand this satchel does not have yet: the placeholder exits 69 and says
# so. A real command's 69 (for example doctor finding a FAIL) does not match.
not_built() {
    [ "$SATCHEL_STATUS" -eq 69 ] && [[ "$SATCHEL_OUTPUT" == *"not built yet"* || "$SATCHEL_OUTPUT" == *"尚未实现"* ]]
}

usage() {
    cat <<'EOF'
用法 Usage: sudo provisioning/install.sh [--deb FILE | --from-source] [--platform URL] [--token TOKEN]
                                         [--school CODE] [--port N] [--data DIR]
                                         [--admin-user NAME --admin-password-file FILE] [--yes] [--dry-run]

  --deb FILE                  安装这个 .deb 软件包 · install this .deb
                              (不指定时，在本脚本所在目录查找 satchel_*.deb · default: a satchel_*.deb beside this script)
  --from-source               从源码构建 .deb 再安装（需要 Swift 工具链）· build the .deb from this checkout, then install
  --platform URL              国家平台地址 · national platform URL (http:// or https://)
  --token TOKEN               一次性注册码 · one-time enrolment token from the platform
  --school CODE               学校代码 · school code
  --port N                    网页端口（默认 8080）· web port (default 8080)
  --data DIR                  数据目录（默认 /var/lib/satchel）· data directory (default /var/lib/satchel)
  --admin-user NAME           管理员用户名 · admin user name
  --admin-password-file FILE  管理员密码文件 · file holding the admin password
  --yes                       不提问，缺少的信息留空 · ask nothing; leave missing values empty
  --dry-run                   只显示将执行的步骤 · only print the steps
EOF
}

# --- Command line ------------------------------------------------------------------------------------------------

DEB=""
FROM_SOURCE=0
PLATFORM="" PLATFORM_SET=0
TOKEN=""
SCHOOL="" SCHOOL_SET=0
PORT=""
DATA=""
ADMIN_USER=""
ADMIN_PASSWORD_FILE=""
YES=0
DRY_RUN=0

need_value() {
    [ "$2" -ge 2 ] || { usage >&2; die "$1 需要一个值" "$1 needs a value" 64; }
}
while [ $# -gt 0 ]; do
    case "$1" in
        --deb) need_value "$1" $#; DEB=$2; shift 2 ;;
        --from-source) FROM_SOURCE=1; shift ;;
        --platform) need_value "$1" $#; PLATFORM=$2; PLATFORM_SET=1; shift 2 ;;
        --token) need_value "$1" $#; TOKEN=$2; shift 2 ;;
        --school) need_value "$1" $#; SCHOOL=$2; SCHOOL_SET=1; shift 2 ;;
        --port) need_value "$1" $#; PORT=$2; shift 2 ;;
        --data) need_value "$1" $#; DATA=$2; shift 2 ;;
        --admin-user) need_value "$1" $#; ADMIN_USER=$2; shift 2 ;;
        --admin-password-file) need_value "$1" $#; ADMIN_PASSWORD_FILE=$2; shift 2 ;;
        --yes | -y) YES=1; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "未知参数：$1" "unknown argument: $1" 64 ;;
    esac
done

# Checks of the values themselves, before anything is changed.
has_control_chars() { [[ "$1" == *[[:cntrl:]]* ]]; }
valid_platform() { [ -z "$1" ] || { [[ "$1" =~ ^https?://[^[:space:]\"\\]+$ ]] && ! has_control_chars "$1"; }; }
valid_school() { [ "${#1}" -le 64 ] && ! has_control_chars "$1" && [[ "$1" != *[\"\\]* ]]; }

[ "$FROM_SOURCE" -eq 1 ] && [ -n "$DEB" ] && die "--deb 和 --from-source 只能选一个" "give --deb or --from-source, not both" 64
if [ "$PLATFORM_SET" -eq 1 ] && ! valid_platform "$PLATFORM"; then
    die "平台地址必须以 http:// 或 https:// 开头：$PLATFORM" "the platform URL must start with http:// or https://: $PLATFORM" 64
fi
if [ "$SCHOOL_SET" -eq 1 ] && ! valid_school "$SCHOOL"; then
    die "学校代码最多 64 个字符，不能含引号、反斜杠或控制字符" "the school code is at most 64 characters, without quotes, backslashes or control characters" 64
fi
if [ -n "$PORT" ]; then
    if ! [[ "$PORT" =~ ^[0-9]{1,5}$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
        die "端口必须是 1 到 65535 之间的数字：$PORT" "the port must be a number from 1 to 65535: $PORT" 64
    fi
    PORT=$((10#$PORT))
fi
if [ -n "$DATA" ]; then
    DATA=${DATA%/}
    [[ "$DATA" =~ ^/[A-Za-z0-9._/-]+$ ]] ||
        die "数据目录必须是绝对路径，只含字母、数字和 . _ - /：$DATA" "the data directory must be an absolute path of letters, digits and . _ - /: $DATA" 64
    case "$DATA/" in
        /home/* | /root/* | /run/* | /tmp/* | /var/tmp/* | /proc/* | /sys/* | /dev/* | /usr/* | /etc/* | /boot/*)
            die "数据目录不能放在 $DATA（服务无法写入该位置）；请用 /var/lib/satchel 或 /srv、/mnt 下的目录" \
                "the data directory cannot be $DATA (the service may not write there); use /var/lib/satchel or a folder under /srv or /mnt" 64
            ;;
    esac
fi
if [ -n "$ADMIN_USER" ] || [ -n "$ADMIN_PASSWORD_FILE" ]; then
    [ -n "$ADMIN_USER" ] && [ -n "$ADMIN_PASSWORD_FILE" ] ||
        die "--admin-user 和 --admin-password-file 必须一起使用" "--admin-user and --admin-password-file go together" 64
    [[ "$ADMIN_USER" =~ ^[A-Za-z0-9._-]{3,32}$ ]] ||
        die "管理员用户名须为 3 到 32 个字母、数字或 . _ -：$ADMIN_USER" "the admin user name is 3 to 32 letters, digits, . _ or -: $ADMIN_USER" 64
    ADMIN_USER=$(printf '%s' "$ADMIN_USER" | tr '[:upper:]' '[:lower:]')
    [ -r "$ADMIN_PASSWORD_FILE" ] && [ -s "$ADMIN_PASSWORD_FILE" ] ||
        die "无法读取管理员密码文件或文件为空：$ADMIN_PASSWORD_FILE" "the admin password file is unreadable or empty: $ADMIN_PASSWORD_FILE" 64
    ADMIN_PASSWORD_FILE=$(cd "$(dirname "$ADMIN_PASSWORD_FILE")" && pwd)/$(basename "$ADMIN_PASSWORD_FILE")
fi
if [ -n "$DEB" ]; then
    [ -f "$DEB" ] || die "找不到软件包 $DEB" "no such package file: $DEB" 64
    DEB=$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")
fi

if [ "$DRY_RUN" -eq 1 ]; then
    printf '演习模式：只显示步骤，不做任何更改。· Dry run: the steps are printed, nothing is changed.\n'
elif [ "$(id -u)" -ne 0 ]; then
    die "请用 root 运行：sudo $0 ..." "run as root: sudo $0 ..."
fi

SYSTEMD=0
[ -d /run/systemd/system ] && SYSTEMD=1

# --- Reading the config ------------------------------------------------------------------------------------------

# Prints the value of one top-level key of a JSON file (empty when absent): python3, else jq, else a plain reading
# that is enough for the simple string and number values this script writes.
json_get() {
    local file=$1 key=$2
    [ -r "$file" ] || return 0
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json, sys
try:
    value = json.load(open(sys.argv[1], encoding="utf-8")).get(sys.argv[2])
except Exception:
    value = None
if value is not None and not isinstance(value, (dict, list)):
    print(value)' "$file" "$key"
    elif command -v jq >/dev/null 2>&1; then
        jq -r --arg k "$key" '.[$k] // empty | select(type == "string" or type == "number")' "$file" 2>/dev/null || true
    else
        tr -d '\n' <"$file" | sed -n "s/.*\"$key\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p; t; s/.*\"$key\"[[:space:]]*:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p"
    fi
}

# --- 1. The system -----------------------------------------------------------------------------------------------

step "检查操作系统和硬件" "Checking the operating system and hardware"
[ -r /etc/os-release ] || die "找不到 /etc/os-release，无法识别系统" "no /etc/os-release: cannot tell which system this is"
OS_ID=$(. /etc/os-release && echo "${ID:-}")
OS_LIKE=$(. /etc/os-release && echo "${ID_LIKE:-}")
OS_VERSION=$(. /etc/os-release && echo "${VERSION_ID:-}")
OS_NAME=$(. /etc/os-release && echo "${PRETTY_NAME:-$OS_ID}")
ARCH=$(dpkg --print-architecture 2>/dev/null || echo unknown)
info "系统：$OS_NAME，架构：$ARCH" "System: $OS_NAME, architecture: $ARCH"
version_at_least() {
    # $1 >= $2, for versions like 12 or 22.04 (an empty $1, as on Debian testing, counts as new enough)
    [ -z "$1" ] && return 0
    [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]
}
case "$OS_ID" in
    debian)
        version_at_least "$OS_VERSION" 12 ||
            die "需要 Debian 12 或更新版本（本机 $OS_VERSION）" "Debian 12 or newer is needed (this is $OS_VERSION)"
        ;;
    raspbian)
        version_at_least "$OS_VERSION" 12 ||
            die "需要基于 Debian 12 的 Raspberry Pi OS（本机 $OS_VERSION）" "Raspberry Pi OS based on Debian 12 is needed (this is $OS_VERSION)"
        ;;
    ubuntu)
        version_at_least "$OS_VERSION" 22.04 ||
            die "需要 Ubuntu 22.04 或更新版本（本机 $OS_VERSION）" "Ubuntu 22.04 or newer is needed (this is $OS_VERSION)"
        ;;
    *)
        case " $OS_LIKE " in
            *" debian "* | *" ubuntu "*)
                warn "$OS_NAME 未经测试，按 Debian 系统继续" "$OS_NAME is untested; carrying on as a Debian-family system"
                ;;
            *)
                die "只支持 Debian 12、Ubuntu 22.04+ 和 Raspberry Pi OS（本机：$OS_NAME）" \
                    "only Debian 12, Ubuntu 22.04+ and Raspberry Pi OS are supported (this is $OS_NAME)"
                ;;
        esac
        ;;
esac
case "$ARCH" in
    amd64 | arm64) ;;
    armhf)
        die "这是 32 位系统（armhf）。请安装 64 位 Raspberry Pi OS（arm64）" \
            "this is a 32-bit system (armhf). Install the 64-bit Raspberry Pi OS (arm64)"
        ;;
    *) die "不支持的架构 $ARCH（只支持 amd64 和 arm64）" "unsupported architecture $ARCH (amd64 and arm64 only)" ;;
esac
MEMORY_MB=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo 2>/dev/null || echo 0)
info "内存：${MEMORY_MB} MB" "Memory: ${MEMORY_MB} MB"
[ "$MEMORY_MB" -ge 900 ] || warn "内存少于 1 GB，可能不够用" "less than 1 GB of memory; this may not be enough"
[ "$SYSTEMD" -eq 1 ] || info "systemd 未运行（容器？），服务不会自动启动" "systemd is not running (a container?); the service will not be started"

# --- 2. Runtime packages -----------------------------------------------------------------------------------------

step "安装运行所需的系统软件包" "Installing the system packages Satchel needs"
is_installed() {
    # A package counts when it or its 64-bit-time successor (libcurl4t64 on Ubuntu 24.04) is installed.
    local name
    for name in "$1" "${1}t64"; do
        case "$(dpkg-query -W -f='${Status}' "$name" 2>/dev/null || true)" in
            *"ok installed"*) return 0 ;;
        esac
    done
    return 1
}
MISSING=()
for package in $RUNTIME_PACKAGES; do
    is_installed "$package" || MISSING+=("$package")
done
if [ "${#MISSING[@]}" -eq 0 ]; then
    info "都已安装，跳过（无需联网）" "All present; skipped (no network needed)"
else
    info "需要安装：${MISSING[*]}" "To install: ${MISSING[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! run apt-get "${APT_OPTIONS[@]}" update -qq; then
        die "apt-get update 失败。请检查网络或软件源后重新运行本脚本" "apt-get update failed. Check the network or the package sources, then run this script again"
    fi
    if ! run apt-get "${APT_OPTIONS[@]}" install -y -qq --no-install-recommends "${MISSING[@]}"; then
        die "无法安装 ${MISSING[*]}。请检查网络后重新运行本脚本" "could not install ${MISSING[*]}. Check the network, then run this script again"
    fi
fi

# --- 3. The satchel package --------------------------------------------------------------------------------------

step "安装 Satchel 软件包" "Installing the Satchel package"
installed_version() {
    { dpkg-query -W -f='${Status} ${Version}' satchel 2>/dev/null || true; } | awk '/ok installed/ {print $4}'
}

# The newest satchel_*_ARCH.deb next to this script, in its parent folder or in .build/deb of a checkout.
find_deb() {
    local best="" best_version="" file version
    for file in "$SCRIPT_DIR"/satchel_*_"$ARCH".deb "$REPO_ROOT"/satchel_*_"$ARCH".deb "$REPO_ROOT"/.build/deb/satchel_*_"$ARCH".deb; do
        [ -f "$file" ] || continue
        version=$(dpkg-deb --field "$file" Version 2>/dev/null) || continue
        if [ -z "$best" ] || dpkg --compare-versions "$version" gt "$best_version"; then
            best=$file
            best_version=$version
        fi
    done
    printf '%s' "$best"
}

# Installs a .deb unless the very same files are installed already.
install_deb() {
    local file=$1 package arch version current
    package=$(dpkg-deb --field "$file" Package 2>/dev/null || true)
    arch=$(dpkg-deb --field "$file" Architecture 2>/dev/null || true)
    version=$(dpkg-deb --field "$file" Version 2>/dev/null || true)
    [ "$package" = "satchel" ] || die "$file 不是 satchel 软件包" "$file is not a satchel package"
    [ "$arch" = "$ARCH" ] || die "$file 是 $arch 架构的，本机是 $ARCH" "$file is for $arch; this machine is $ARCH"
    current=$(installed_version)
    if [ "$current" = "$version" ] && [ -r /var/lib/dpkg/info/satchel.md5sums ] &&
        [ "$(dpkg-deb --info "$file" md5sums 2>/dev/null)" = "$(cat /var/lib/dpkg/info/satchel.md5sums)" ]; then
        info "已安装同一版本 $version，跳过" "Version $version is installed already; skipped"
        return 0
    fi
    info "安装 $version（当前：${current:-未安装}）" "Installing $version (now: ${current:-not installed})"
    if ! run dpkg -i "$file"; then
        # dpkg stops on a missing dependency; apt-get -f installs it and finishes the configuration.
        run apt-get "${APT_OPTIONS[@]}" install -f -y -qq ||
            die "软件包安装失败（见上）" "the package could not be installed (see above)"
    fi
}

if [ "$FROM_SOURCE" -eq 1 ]; then
    [ -f "$REPO_ROOT/Package.swift" ] && [ -x "$REPO_ROOT/packages/build-deb.sh" ] ||
        die "--from-source 需要在 Satchel 源码目录中运行（找不到 $REPO_ROOT/Package.swift）" \
            "--from-source must run from a Satchel checkout (no $REPO_ROOT/Package.swift)"
    info "构建需要 Swift 工具链和较多内存（1 GB 的机器上可能失败）；建议在别的电脑上构建 .deb" \
        "Building needs the Swift toolchain and plenty of memory (it may fail on a 1 GB box); building the .deb elsewhere is better"
    run sh "$REPO_ROOT/scripts/install-deps.sh"
    show_command "$REPO_ROOT/packages/build-deb.sh" --output "$REPO_ROOT/.build/deb"
    if [ "$DRY_RUN" -eq 1 ]; then
        show_command dpkg -i "$REPO_ROOT/.build/deb/satchel_VERSION_$ARCH.deb"
    else
        DEB=$("$REPO_ROOT/packages/build-deb.sh" --output "$REPO_ROOT/.build/deb" | tail -n 1)
        install_deb "$DEB"
    fi
else
    [ -n "$DEB" ] || DEB=$(find_deb)
    if [ -n "$DEB" ]; then
        install_deb "$DEB"
    elif [ -n "$(installed_version)" ]; then
        info "没有找到新的 .deb；保留已安装的 $(installed_version)" "No .deb found; keeping the installed $(installed_version)"
    elif [ "$DRY_RUN" -eq 1 ]; then
        show_command dpkg -i "satchel_VERSION_$ARCH.deb"
        warn "没有找到 satchel_*_$ARCH.deb；真正运行时请用 --deb 指定" "no satchel_*_$ARCH.deb found; give one with --deb for the real run"
    else
        die "没有找到 satchel_*_$ARCH.deb。请用 --deb 文件 指定软件包，或在源码目录中用 --from-source" \
            "no satchel_*_$ARCH.deb found. Give the package with --deb FILE, or use --from-source in a checkout"
    fi
fi
if [ "$DRY_RUN" -eq 0 ]; then
    command -v satchel >/dev/null 2>&1 || die "安装后找不到 satchel 命令" "no satchel command after the install"
    unresolved=$({ ldd "$(command -v satchel)" 2>/dev/null || true; } | grep 'not found' || true)
    if [ -n "$unresolved" ]; then
        printf '%s\n' "$unresolved" >&2
        die "satchel 缺少运行库（见上）。此软件包构建有误，请用 packages/build-deb.sh 重新构建（不要用 --allow-dynamic-swift）" \
            "satchel lacks libraries (above). The package was built wrongly; rebuild it with packages/build-deb.sh (without --allow-dynamic-swift)"
    fi
fi

# The satchel user may not enter the directory this was started from (say /root): run from / from here on.
cd /

# --- 4. The config -----------------------------------------------------------------------------------------------

step "写入配置 $CONFIG" "Writing the configuration $CONFIG"
EXISTING_PLATFORM=$(json_get "$CONFIG" platformURL)
EXISTING_SCHOOL=$(json_get "$CONFIG" schoolCode)
INTERACTIVE=0
[ "$YES" -eq 0 ] && [ "$DRY_RUN" -eq 0 ] && [ -t 0 ] && INTERACTIVE=1
if [ "$PLATFORM_SET" -eq 0 ] && [ -z "$EXISTING_PLATFORM" ] && [ "$INTERACTIVE" -eq 1 ]; then
    while :; do
        printf '    国家平台地址（没有网络可直接回车）· Platform URL (press Enter if there is none): '
        IFS= read -r answer || answer=""
        if valid_platform "$answer"; then break; fi
        printf '    地址必须以 http:// 或 https:// 开头 · it must start with http:// or https://\n'
    done
    [ -n "$answer" ] && { PLATFORM=$answer; PLATFORM_SET=1; }
fi
if [ "$SCHOOL_SET" -eq 0 ] && [ -z "$EXISTING_SCHOOL" ] && [ "$INTERACTIVE" -eq 1 ]; then
    while :; do
        printf '    学校代码（不知道可直接回车）· School code (press Enter if unknown): '
        IFS= read -r answer || answer=""
        if valid_school "$answer"; then break; fi
        printf '    最多 64 个字符，不能含引号或反斜杠 · at most 64 characters, no quotes or backslashes\n'
    done
    [ -n "$answer" ] && { SCHOOL=$answer; SCHOOL_SET=1; }
fi

# The values enrolment needs, from the flags or else the config as it is.
EFFECTIVE_PLATFORM=$EXISTING_PLATFORM
[ "$PLATFORM_SET" -eq 1 ] && EFFECTIVE_PLATFORM=$PLATFORM
EFFECTIVE_SCHOOL=$EXISTING_SCHOOL
[ "$SCHOOL_SET" -eq 1 ] && EFFECTIVE_SCHOOL=$SCHOOL
if [ -n "$TOKEN" ] && { [ -z "$EFFECTIVE_PLATFORM" ] || [ -z "$EFFECTIVE_SCHOOL" ]; }; then
    die "使用 --token 注册时还需要平台地址（--platform）和学校代码（--school）" \
        "enrolling with --token also needs the platform URL (--platform) and the school code (--school)" 64
fi
# A token carries the fingerprint of the platform's key after a dot (SECRET.FINGERPRINT), so that the node can tell
# the real platform's enrolment answer from an impostor's; the old form without it is refused before anything changes.
case $TOKEN in
    "" | ?*.???????????????????????????????????????????) ;;
    *) die "注册令牌格式不对：应为“密码.平台指纹”（新版 satchel-platform token create 生成）；请向平台索取新令牌" \
        "the enrolment token has the wrong form: expected SECRET.FINGERPRINT (from satchel-platform token create); ask the platform for a new token" 64 ;;
esac

# Writes the merged config to $1: the existing file's keys, with only the ones given here changed.
write_config() {
    local out=$1
    if command -v python3 >/dev/null 2>&1; then
        env SET_PLATFORM_SET="$PLATFORM_SET" SET_PLATFORM="$PLATFORM" SET_SCHOOL_SET="$SCHOOL_SET" SET_SCHOOL="$SCHOOL" \
            SET_PORT="$PORT" SET_DATA="$DATA" python3 -c 'import json, os, sys
path, out = sys.argv[1], sys.argv[2]
config = {}
if os.path.exists(path):
    try:
        config = json.load(open(path, encoding="utf-8"))
    except ValueError as error:
        sys.stderr.write("%s: %s\n" % (path, error))
        sys.exit(3)
    if not isinstance(config, dict):
        sys.exit(3)
env = os.environ
if env["SET_PLATFORM_SET"] == "1":
    config["platformURL"] = env["SET_PLATFORM"]
if env["SET_SCHOOL_SET"] == "1":
    config["schoolCode"] = env["SET_SCHOOL"]
if env["SET_PORT"]:
    config["port"] = int(env["SET_PORT"])
if env["SET_DATA"]:
    config["dataDirectory"] = env["SET_DATA"]
with open(out, "w", encoding="utf-8") as file:
    json.dump(config, file, indent=2, ensure_ascii=False)
    file.write("\n")' "$CONFIG" "$out"
    elif command -v jq >/dev/null 2>&1; then
        local filter='.'
        [ "$PLATFORM_SET" -eq 1 ] && filter="$filter | .platformURL = \$platform"
        [ "$SCHOOL_SET" -eq 1 ] && filter="$filter | .schoolCode = \$school"
        [ -n "$PORT" ] && filter="$filter | .port = (\$port | tonumber)"
        [ -n "$DATA" ] && filter="$filter | .dataDirectory = \$data"
        filter="if type == \"object\" then $filter else error(\"not an object\") end"
        local args=(--arg platform "$PLATFORM" --arg school "$SCHOOL" --arg port "${PORT:-0}" --arg data "$DATA")
        if [ -e "$CONFIG" ]; then
            jq "${args[@]}" "$filter" "$CONFIG" >"$out" || return 3
        else
            jq -n "${args[@]}" "{} | $filter" >"$out" || return 3
        fi
    else
        # Neither python3 nor jq: a fresh file from the values known here. The values were checked above to hold
        # no quotes, backslashes or control characters, so they need no escaping.
        local data=${DATA:-$(json_get "$CONFIG" dataDirectory)} port=${PORT:-$(json_get "$CONFIG" port)}
        {
            printf '{\n  "dataDirectory": "%s",\n  "port": %s' "${data:-$DEFAULT_DATA}" "${port:-8080}"
            [ -n "$EFFECTIVE_PLATFORM" ] && printf ',\n  "platformURL": "%s"' "$EFFECTIVE_PLATFORM"
            [ -n "$EFFECTIVE_SCHOOL" ] && printf ',\n  "schoolCode": "%s"' "$EFFECTIVE_SCHOOL"
            printf '\n}\n'
        } >"$out"
    fi
}

CONFIG_CHANGED=0
NEW_CONFIG=$(mktemp)
trap 'rm -f "$NEW_CONFIG"' EXIT
if ! write_config "$NEW_CONFIG"; then
    die "$CONFIG 不是有效的 JSON 对象。请修正或删除该文件后重新运行" "$CONFIG is not a valid JSON object. Fix or delete it, then run again"
fi
if [ -e "$CONFIG" ] && cmp -s "$NEW_CONFIG" "$CONFIG"; then
    info "配置未变，跳过" "The configuration is unchanged; skipped"
else
    info "新的配置：" "The new configuration:"
    sed 's/^/      /' "$NEW_CONFIG"
    printf '    $ install -m 0644 (new config) %s\n' "$CONFIG"
    if [ "$DRY_RUN" -eq 0 ]; then
        install -d -m 0755 /etc/satchel
        if [ -e "$CONFIG" ] && ! command -v python3 >/dev/null 2>&1 && ! command -v jq >/dev/null 2>&1; then
            cp -p "$CONFIG" "$CONFIG.bak"
            info "旧配置已备份到 $CONFIG.bak" "The old configuration was saved as $CONFIG.bak"
        fi
        # Replace the file in one step, so the service never reads half of it.
        install -m 0644 "$NEW_CONFIG" "$CONFIG.new"
        mv -f "$CONFIG.new" "$CONFIG"
    fi
    CONFIG_CHANGED=1
fi

# What the service now runs with.
EFFECTIVE_DATA=$(json_get "$NEW_CONFIG" dataDirectory)
EFFECTIVE_DATA=${EFFECTIVE_DATA:-$DEFAULT_DATA}
EFFECTIVE_PORT=$(json_get "$NEW_CONFIG" port)
EFFECTIVE_PORT=${EFFECTIVE_PORT:-8080}

# The data directory and the systemd drop-ins that follow from the config.
DROPINS_CHANGED=0
set_dropin() {
    # $1: file name, $2: content (empty: the drop-in must not exist)
    local file="$DROPIN_DIR/$1"
    if [ -z "$2" ]; then
        [ -e "$file" ] || return 0
        run rm -f "$file"
    else
        [ -e "$file" ] && [ "$(cat "$file")" = "$2" ] && return 0
        printf '    $ cat > %s\n' "$file"
        printf '%s\n' "$2" | sed 's/^/      /'
        if [ "$DRY_RUN" -eq 0 ]; then
            install -d -m 0755 "$DROPIN_DIR"
            printf '%s\n' "$2" >"$file"
            chmod 0644 "$file"
        fi
    fi
    DROPINS_CHANGED=1
}
if [ "$EFFECTIVE_DATA" != "$DEFAULT_DATA" ]; then
    info "数据目录：$EFFECTIVE_DATA" "Data directory: $EFFECTIVE_DATA"
    run install -d -o satchel -g satchel -m 0750 "$EFFECTIVE_DATA"
    if [ "$DRY_RUN" -eq 0 ] && [ -n "$(find "$EFFECTIVE_DATA" ! -user satchel -print -quit 2>/dev/null)" ]; then
        run chown -R satchel:satchel "$EFFECTIVE_DATA"
    fi
    # RequiresMountsFor: when the directory is on a disk mounted at boot, start only once it is mounted, never
    # writing into the empty mount point on the SD card.
    set_dropin data-directory.conf "$(printf '# Written by provisioning/install.sh: the data directory set in %s.\n[Unit]\nRequiresMountsFor=%s\n\n[Service]\nReadWritePaths=%s' "$CONFIG" "$EFFECTIVE_DATA" "$EFFECTIVE_DATA")"
else
    set_dropin data-directory.conf ""
fi
if [ "$EFFECTIVE_PORT" -lt 1024 ]; then
    info "端口 $EFFECTIVE_PORT 小于 1024，服务需要 CAP_NET_BIND_SERVICE 权限" "Port $EFFECTIVE_PORT is below 1024; the service gets CAP_NET_BIND_SERVICE"
    set_dropin low-port.conf "$(printf '# Written by provisioning/install.sh: port %s is below 1024.\n[Service]\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE' "$EFFECTIVE_PORT")"
else
    set_dropin low-port.conf ""
fi
if [ "$DROPINS_CHANGED" -eq 1 ] && [ "$SYSTEMD" -eq 1 ]; then
    run systemctl daemon-reload
fi

# --- 5. Admin account ----------------------------------------------------------------------------------------------

if [ -n "$ADMIN_USER" ]; then
    step "管理员账号 $ADMIN_USER" "Admin account $ADMIN_USER"
    # `satchel teachers list` prints one account a line, the user name first and tab-separated. An account that
    # exists is left as it is (its password is changed on the admin page, not here).
    QUIET=1 run_satchel teachers list --config "$CONFIG"
    if not_built; then
        warn "此版本的 satchel 还不能管理账号，未创建管理员" "this version of satchel cannot manage accounts yet; no admin was created"
    elif [ "$SATCHEL_STATUS" -ne 0 ]; then
        printf '%s\n' "$SATCHEL_OUTPUT"
        failed "无法读取账号列表（退出码 $SATCHEL_STATUS）" "could not list the accounts (exit status $SATCHEL_STATUS)"
    elif printf '%s\n' "$SATCHEL_OUTPUT" | cut -f1 | grep -qxF "$ADMIN_USER"; then
        info "账号 $ADMIN_USER 已存在，跳过（密码未改）" "The account $ADMIN_USER exists already; skipped (password unchanged)"
    else
        # The password goes in on standard input, read by root from the file: never on a command line, and the file
        # may stay readable by root only.
        STDIN_FILE=$ADMIN_PASSWORD_FILE run_satchel teachers add "$ADMIN_USER" --name "$ADMIN_USER" --admin --config "$CONFIG"
        if not_built; then
            warn "此版本的 satchel 还不能创建管理员账号" "this version of satchel cannot create the admin account yet"
        elif [ "$SATCHEL_STATUS" -ne 0 ]; then
            failed "创建管理员账号失败（退出码 $SATCHEL_STATUS；密码至少 6 个字符）" \
                "creating the admin account failed (exit status $SATCHEL_STATUS; the password needs 6 characters or more)"
        fi
    fi
fi

# --- 6. Enrolment --------------------------------------------------------------------------------------------------

step "注册到国家平台" "Enrolling with the national platform"
ENROLLED_NOW=0
MARKER="$EFFECTIVE_DATA/$ENROLLED_MARKER"
MARKER_CONTENT=$(printf '%s\t%s' "$EFFECTIVE_PLATFORM" "$EFFECTIVE_SCHOOL")
if [ -z "$TOKEN" ]; then
    info "没有提供 --token，跳过注册（U 盘导入资源不需要注册）" "No --token given; not enrolling (USB imports work without it)"
elif [ -r "$MARKER" ] && [ "$(cat "$MARKER")" = "$MARKER_CONTENT" ]; then
    info "本机已用此平台和学校代码注册过，跳过" "This node is enrolled with this platform and school already; skipped"
    info "如需重新注册：sudo runuser -u satchel -- satchel provision ... --force" "To enrol again: sudo runuser -u satchel -- satchel provision ... --force"
else
    run_satchel provision --platform "$EFFECTIVE_PLATFORM" --token "$TOKEN" --school "$EFFECTIVE_SCHOOL" \
        --config "$CONFIG"
    if [ "$SATCHEL_STATUS" -eq 0 ]; then
        ENROLLED_NOW=1
        if [ "$DRY_RUN" -eq 0 ]; then
            printf '%s\n' "$MARKER_CONTENT" >"$MARKER"
            chmod 0644 "$MARKER"
            adopt_release_keys
        fi
    elif not_built; then
        warn "此版本的 satchel 还不支持注册（provision），本机未注册" "this version of satchel cannot enrol yet (provision); the node is not enrolled"
    else
        failed "注册失败（退出码 $SATCHEL_STATUS）。请检查网络、平台地址、学校代码和注册码（注册码只能用一次）" \
            "enrolment failed (exit status $SATCHEL_STATUS). Check the network, the platform URL, the school code and the token (a token works once)"
    fi
fi

# --- 7. The service ------------------------------------------------------------------------------------------------

step "启动服务" "Starting the service"
if [ "$SYSTEMD" -eq 1 ]; then
    was_active=0
    systemctl is-active --quiet satchel 2>/dev/null && was_active=1
    if run systemctl enable --now satchel; then
        if [ "$was_active" -eq 1 ] && { [ "$CONFIG_CHANGED" -eq 1 ] || [ "$DROPINS_CHANGED" -eq 1 ] || [ "$ENROLLED_NOW" -eq 1 ]; }; then
            info "配置已改变，重启服务" "The configuration changed; restarting the service"
            run systemctl restart satchel || failed "服务重启失败" "the service did not restart"
        fi
    else
        failed "服务未能启动。请查看：journalctl -u satchel -n 50" "the service did not start. Read: journalctl -u satchel -n 50"
    fi
    if [ "$DRY_RUN" -eq 0 ] && ! systemctl is-active --quiet satchel; then
        systemctl status satchel --no-pager -n 15 >&2 || true
    fi
else
    warn "systemd 未运行，未启动服务。可手动运行：runuser -u satchel -- satchel serve --config $CONFIG" \
        "systemd is not running; the service was not started. Run it by hand: runuser -u satchel -- satchel serve --config $CONFIG"
fi

# --- 8. Health check -----------------------------------------------------------------------------------------------

step "健康检查" "Health check"
run_satchel doctor --config "$CONFIG"
if not_built; then
    warn "此版本的 satchel 还没有 doctor 命令，改为检查 /healthz" "this version of satchel has no doctor yet; checking /healthz instead"
    if ! command -v curl >/dev/null 2>&1; then
        info "未安装 curl，无法检查 /healthz" "curl is not installed; /healthz not checked"
    elif run curl -fsS --max-time 10 "http://127.0.0.1:$EFFECTIVE_PORT/healthz"; then
        echo
    elif [ "$SYSTEMD" -eq 1 ]; then
        failed "http://127.0.0.1:$EFFECTIVE_PORT/healthz 没有正常响应" "http://127.0.0.1:$EFFECTIVE_PORT/healthz did not answer ok"
    else
        warn "http://127.0.0.1:$EFFECTIVE_PORT/healthz 没有响应（服务未运行）" "http://127.0.0.1:$EFFECTIVE_PORT/healthz did not answer (the service is not running)"
    fi
elif [ "$SATCHEL_STATUS" -ne 0 ]; then
    failed "satchel doctor 报告了问题（见上面的 FAIL 行）" "satchel doctor reported problems (see the FAIL lines above)"
fi

# --- 9. The address --------------------------------------------------------------------------------------------------

step "老师使用的地址" "The address teachers open"
ADDRESS=""
URL_PORT=":$EFFECTIVE_PORT"
[ "$EFFECTIVE_PORT" = "80" ] && URL_PORT=""
for candidate in $(hostname -I 2>/dev/null || true); do
    case "$candidate" in
        *:* | 127.* | 169.254.*) continue ;;
    esac
    ADDRESS=$candidate
    break
done
if [ -n "$ADDRESS" ]; then
    printf '\n    老师在浏览器中打开：  http://%s%s/\n' "$ADDRESS" "$URL_PORT"
    printf '    Teachers open:        http://%s%s/\n' "$ADDRESS" "$URL_PORT"
    printf '    （IP 地址可能变化，建议在路由器上为本机固定 IP · The address may change: reserve it in the router）\n'
else
    warn "本机没有局域网 IPv4 地址，请检查网线或 Wi-Fi" "this box has no LAN IPv4 address; check the cable or the Wi-Fi"
    printf '    老师在浏览器中打开 Teachers open: http://本机IP-this-box-IP%s/\n' "$URL_PORT"
fi

# --- Summary -------------------------------------------------------------------------------------------------------

printf '\n'
if [ "${#WARNINGS[@]}" -gt 0 ]; then
    printf '警告 Warnings:\n'
    printf '  - %s\n' "${WARNINGS[@]}"
fi
if [ "${#FAILURES[@]}" -gt 0 ]; then
    printf '失败 Failed:\n'
    printf '  - %s\n' "${FAILURES[@]}"
    printf '\n安装未全部成功。修正上面的问题后再次运行本脚本即可（可以重复运行）。\n'
    printf 'The install did not fully succeed. Fix the problems above and run this script again (it is safe to repeat).\n'
    exit 1
fi
if [ "$DRY_RUN" -eq 1 ]; then
    printf '演习结束，未做任何更改。· Dry run finished; nothing was changed.\n'
else
    printf '安装完成。· Installation complete.\n'
fi
