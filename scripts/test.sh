#!/usr/bin/env bash
# The one command that runs every test (README: make test): the cmocka unit
# tests and the black-box API tests, all against the sanitizer build.
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

echo "== unit tests (cmocka, ASan+UBSan)"
meson test -C build-asan --print-errorlogs --num-processes 2 > build-asan/unit.log 2>&1
unit_rc=$?
grep -E "^ *[0-9]+/[0-9]+ " build-asan/unit.log
unit_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' build-asan/unit.log)
unit_fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' build-asan/unit.log)
[[ $unit_rc -ne 0 ]] && cat build-asan/unit.log
# Each cmocka binary is one meson test; count the cases inside them too.
unit_cases=$(grep -h "^\[  PASSED  \]" build-asan/meson-logs/testlog.txt | awk '{s+=$4} END {print s+0}')
echo "unit: ${unit_ok:-0} suites ok (${unit_cases} cases), ${unit_fail:-0} failed"

echo "== API tests (node:test against the real binary)"
node --test --test-reporter=spec tests/api/ 2>&1 | tee build-asan/api.log
api_rc=${PIPESTATUS[0]}
api_pass=$(sed -n 's/^ℹ pass \([0-9]*\)/\1/p' build-asan/api.log | tail -1)
api_fail=$(sed -n 's/^ℹ fail \([0-9]*\)/\1/p' build-asan/api.log | tail -1)

echo "== browser tests (playwright-core driving Debian's chromium)"
node --test --test-reporter=spec tests/browser/ 2>&1 | tee build-asan/browser.log
browser_rc=${PIPESTATUS[0]}
browser_pass=$(sed -n 's/^ℹ pass \([0-9]*\)/\1/p' build-asan/browser.log | tail -1)
browser_fail=$(sed -n 's/^ℹ fail \([0-9]*\)/\1/p' build-asan/browser.log | tail -1)

echo "== logs (no health value, name, reason or secret in any server's log)"
node tests/logs_clean.mjs "$PHR_TEST_LOGS"
logs_rc=$?

echo "== fuzzing (libFuzzer, ASan+UBSan, every parser of outside input from its seeds)"
scripts/fuzz.sh "${PHR_FUZZ_SECONDS:-20}"
fuzz_rc=$?
fuzz_fail=$(( fuzz_rc != 0 ))

passed=$(( ${unit_cases:-0} + ${api_pass:-0} + ${browser_pass:-0} + (logs_rc == 0) ))
failed=$(( ${unit_fail:-0} + ${api_fail:-0} + ${browser_fail:-0} + fuzz_fail + (logs_rc != 0) ))
if [[ $unit_rc -ne 0 || $api_rc -ne 0 || $browser_rc -ne 0 ]] && [[ $failed -eq 0 ]]; then failed=1; fi
echo
echo "$passed passed, $failed failed"
# A runner that found nothing to run is a failure, not a pass.
if [[ ${unit_cases:-0} -eq 0 || ${api_pass:-0} -eq 0 || ${browser_pass:-0} -eq 0 ]]; then
  echo "no tests were found" >&2
  exit 1
fi
[[ $failed -eq 0 ]]
