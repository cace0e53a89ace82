#!/usr/bin/env bash
# The one command that runs every test (README: make test): the cmocka unit
# tests, the black-box API tests on SQLite and on PostgreSQL (and some
# through pgbouncer), the browser tests, the log sweep and the fuzzers, all
# against the sanitizer build.
# Ends with one summary line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
DEPS=test scripts/build.sh asan >/dev/null || { echo "build failed"; exit 1; }
# The optimised build `make run` starts: -O3 finds warnings (made errors)
# that the sanitizer build at -O0 does not.
scripts/build.sh release >/dev/null || { echo "release build failed"; exit 1; }
# The API tests' own packages (tests/package.json), from the npm registry once.
if ! cmp -s tests/package-lock.json tests/node_modules/.phr-lock; then
  (cd tests && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.phr-lock) ||
    { echo "npm ci failed"; exit 1; }
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export PHR_BIN=$PWD/build-asan/phr
# Every test server's log, for the sweep after the suites.
export PHR_TEST_LOGS=$PWD/build-asan/test-logs
rm -rf "$PHR_TEST_LOGS" && mkdir -p "$PHR_TEST_LOGS"

# PostgreSQL for the driver's unit tests and the API suite: a throwaway
# cluster made with initdb on free ports, never a system service. One that
# cannot be started fails the run.
pgdir=$(mktemp -d /tmp/phr-pg-XXXXXX)
trap 'scripts/pg.sh stop "$pgdir"' EXIT
pg_url= pg_pooled= pg_dir=
if pgenv=$(scripts/pg.sh start "$pgdir"); then
  # Kept apart, not exported: the SQLite runs must not see them.
  pg_url=$(eval "$pgenv"; echo "$PHR_TEST_PG")
  pg_pooled=$(eval "$pgenv"; echo "$PHR_TEST_PG_POOLED")
  pg_dir=$(eval "$pgenv"; echo "$PHR_TEST_PG_DIR")
else
  echo "PostgreSQL could not be started: see $pgdir" >&2
fi

echo "== unit tests (cmocka, ASan+UBSan; the driver contract on each engine)"
PHR_TEST_PG=$pg_url meson test -C build-asan --print-errorlogs --num-processes 2 > build-asan/unit.log 2>&1
unit_rc=$?
# A skipped case is one not tested (the PostgreSQL driver's without a
# cluster): a failure here.
if grep -q "^\[  SKIPPED \]" build-asan/meson-logs/testlog.txt; then
  grep "^\[  SKIPPED \]" build-asan/meson-logs/testlog.txt | sort -u
  unit_rc=1
  unit_skipped=1
fi
grep -E "^ *[0-9]+/[0-9]+ " build-asan/unit.log
unit_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' build-asan/unit.log)
unit_fail=$(( $(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' build-asan/unit.log) + ${unit_skipped:-0} ))
[[ $unit_rc -ne 0 ]] && cat build-asan/unit.log
# Each cmocka binary is one meson test; count the cases inside them too.
unit_cases=$(grep -h "^\[  PASSED  \]" build-asan/meson-logs/testlog.txt | awk '{s+=$4} END {print s+0}')
echo "unit: ${unit_ok:-0} suites ok (${unit_cases} cases), ${unit_fail:-0} failed"

# A node:test run: its log, and its passes and failures added to the totals.
node_pass=0 node_fail=0 node_rc=0
run_node() {
  local log=$1
  shift
  node --test --test-reporter=spec "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(sed -n 's/^ℹ pass \([0-9]*\)/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^ℹ fail \([0-9]*\)/\1/p' "$log" | tail -1)
  # A run that found nothing to run is a failure, not a pass.
  [[ ${p:-0} -eq 0 ]] && rc=1
  node_pass=$((node_pass + ${p:-0}))
  node_fail=$((node_fail + ${f:-0}))
  [[ $rc -ne 0 ]] && node_rc=1
  return 0
}

echo "== API tests on SQLite (node:test against the real binary)"
run_node build-asan/api.log tests/api/

# The same suite on PostgreSQL, then the consent, audit, provision and Bulk
# tests again through pgbouncer in transaction pooling.
echo "== API tests on PostgreSQL (a throwaway cluster; some again through pgbouncer)"
if [[ -n $pg_url ]]; then
  PHR_TEST_PG=$pg_url PHR_TEST_PG_DIR=$pg_dir run_node build-asan/api-pg.log tests/api/
  echo "== API tests on PostgreSQL through pgbouncer (transaction pooling)"
  # pgbouncer 1.18 (Debian 12's) does not carry named statements between
  # server sessions: prepared=off (docs/postgresql.md).
  PHR_TEST_PG=$pg_url PHR_TEST_PG_DIR=$pg_dir PHR_TEST_PG_STORE="$pg_pooled?prepared=off" \
    run_node build-asan/api-pooled.log tests/api/consent.test.mjs tests/api/audit.test.mjs tests/api/bulk.test.mjs \
    tests/api/provision.test.mjs
else
  echo "PostgreSQL could not be started: see $pgdir" >&2
  node_fail=$((node_fail + 1))
  node_rc=1
fi

# SMART's Bulk Data Tester from ../shared/tools (copied and installed into
# build-asan/bdt by the test), with SMART Backend Services authentication.
echo "== SMART Bulk Data Tester (backend services)"
run_node build-asan/bdt.log tests/bdt/

echo "== browser tests (playwright-core driving Debian's chromium)"
run_node build-asan/browser.log tests/browser/

echo "== logs (no health value, name, reason or secret in any server's log)"
node tests/logs_clean.mjs "$PHR_TEST_LOGS"
logs_rc=$?

echo "== fuzzing (libFuzzer, ASan+UBSan, every parser of outside input from its seeds)"
scripts/fuzz.sh "${PHR_FUZZ_SECONDS:-20}"
fuzz_rc=$?
fuzz_fail=$(( fuzz_rc != 0 ))

passed=$(( ${unit_cases:-0} + node_pass + (logs_rc == 0) ))
failed=$(( ${unit_fail:-0} + node_fail + fuzz_fail + (logs_rc != 0) ))
if [[ $unit_rc -ne 0 || $node_rc -ne 0 ]] && [[ $failed -eq 0 ]]; then failed=1; fi
echo
echo "$passed passed, $failed failed"
# A runner that found nothing to run is a failure, not a pass.
if [[ ${unit_cases:-0} -eq 0 ]]; then
  echo "no unit tests were found" >&2
  exit 1
fi
[[ $failed -eq 0 ]]
