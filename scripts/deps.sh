#!/usr/bin/env bash
# Installs the Debian packages phr needs, only those that are missing.
#   scripts/deps.sh build   compiler, meson, libraries
#   scripts/deps.sh test    the above plus cmocka, sqlite3, Node.js, chromium, xmllint
#   scripts/deps.sh bench   the above plus wrk and perf (a request's system calls)
set -euo pipefail

want=(gcc pkg-config meson ninja-build libmicrohttpd-dev libjson-c-dev libsqlite3-dev libpq-dev libsodium-dev liboath-dev libxml2-dev libzip-dev zlib1g-dev libqrencode-dev libcjose-dev libjansson-dev libcurl4-openssl-dev)
case "${1:-build}" in
  build) ;;
  test)  want+=(libcmocka-dev sqlite3 openssl clang libclang-rt-14-dev chromium fonts-ipafont-gothic unzip libxml2-utils postgresql-15 pgbouncer) ;;
  bench) want+=(libcmocka-dev sqlite3 openssl clang libclang-rt-14-dev wrk linux-perf libxml2-utils postgresql-15 pgbouncer) ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the black-box API tests; any Node >= 18 will do.
if [[ "${1:-build}" != build ]] && ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs)
fi
# npm fetches the API tests' few packages (tests/package.json).
if [[ "${1:-build}" != build ]] && ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
