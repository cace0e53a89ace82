#!/usr/bin/env bash
# Builds phr. release: build/phr. asan: build-asan/phr with AddressSanitizer
# and UndefinedBehaviorSanitizer, stopping at the first error (the tests use it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh "${DEPS:-build}"

case "${1:-release}" in
  release)
    dir=build
    [[ -f $dir/build.ninja ]] || meson setup "$dir" --buildtype=release >/dev/null ;;
  asan)
    dir=build-asan
    [[ -f $dir/build.ninja ]] || meson setup "$dir" --buildtype=debug -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args=-fno-sanitize-recover=all >/dev/null ;;
  *) echo "usage: $0 release|asan" >&2; exit 2 ;;
esac
ninja -C "$dir" >/dev/null
echo "$dir/phr"
