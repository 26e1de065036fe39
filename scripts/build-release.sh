#!/bin/sh
# Builds release products the way the .deb ships them:
#
#   scripts/build-release.sh [PRODUCT ...]      (default: satchel)
#
# - the Swift runtime and Foundation linked statically (-static-stdlib): school boxes have no Swift toolchain;
# - every function in its own section (-function-sections) and the start-up path laid out first by lld from
#   packages/satchel.order, so the pages the server touches to start and answer its first pages sit together and the
#   rest of the 26 MB of code is never mapped in (idle RSS; see docs/performance.md);
# - no symbol table exported to the dynamic linker (--no-export-dynamic): the loader does not read 2 MB of symbols at
#   every start. (Packed relocations, -z pack-relative-relocs, would save 3 MB more but need glibc 2.36, and the
#   package built on Debian 12 must keep running on Ubuntu 22.04's glibc 2.35.)
# scripts/profile-order.sh regenerates packages/satchel.order. A stale order file only costs memory: lld ignores
# the names it no longer finds.
set -eu
cd "$(dirname "$0")/.."
PATH="$PATH:/opt/swift/usr/bin"
[ $# -gt 0 ] || set -- satchel
mkdir -p .build
order="$PWD/.build/satchel.order"
gzip -dc packages/satchel.order.gz >"$order.tmp"
if ! cmp -s "$order.tmp" "$order"; then
    # The build does not know the link reads this file: remove the linked programs so that they are linked again.
    for product in "$@"; do rm -f .build/*/release/"$product"; done
fi
mv "$order.tmp" "$order"
for product in "$@"; do
    swift build -c release --product "$product" \
        -Xswiftc -static-stdlib \
        -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
        -Xswiftc -use-ld=lld \
        -Xlinker --no-export-dynamic \
        -Xlinker "--symbol-ordering-file=$order" -Xlinker --no-warn-symbol-ordering
done
