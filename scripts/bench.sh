#!/usr/bin/env bash
# bench/ingest (README: make bench): phr against the limits measured in the
# same run on the same machine. Loopback only; every load is bounded in time.
#   PHR_BENCH_SECONDS (default 10), PHR_BENCH_CONNECTIONS (default 64),
#   PHR_BENCH_PERSONS (default 64), PHR_BENCH_BULK_RECORDS (unset: the Bulk
#   export takes what the create phase stored)
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS=bench scripts/build.sh release >/dev/null
secs=${PHR_BENCH_SECONDS:-10}
conns=${PHR_BENCH_CONNECTIONS:-64}
persons=${PHR_BENCH_PERSONS:-64}
threads=2
work=$(mktemp -d /tmp/phr-bench-XXXXXX)
port=18080
bare_port=18081
ulimit -n 8192
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

wrk_run() { # script-or-empty url [script argument] -> prints "rps p50 p99 non2xx"
  local out
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency ${1:+-s "$1"} "$2" -- "$work/tokens" "${@:3}" 2>&1)
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$(awk '/requests in/ {print $1}' <<<"$out")" > "$work/last_requests"
  echo "$rps $p50 $p99 ${bad:-0}"
}

# What a request costs the server in a phase (issue 24): bytes it wrote
# to storage (the WAL, the database: a read's audit entry is a durable
# write), system calls (perf's raw_syscalls tracepoint) and CPU time, each
# divided by the requests wrk completed. Prints "bytes syscalls cpu_us".
per_request() { # pid script url [script argument]
  local pid=$1 wb0 cpu0 wb1 cpu1 n sc
  wb0=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io")
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -o "$work/perf.txt" &
  local perf_pid=$!
  wrk_run "${@:2}" > "$work/last_phase"
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  wb1=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io")
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  n=$(cat "$work/last_requests")
  sc=$(awk -F, '/raw_syscalls/ {print $1}' "$work/perf.txt")
  awk -v n="$n" -v wb=$((wb1 - wb0)) -v cpu=$((cpu1 - cpu0)) -v t="$(getconf CLK_TCK)" -v sc="${sc:-0}" \
    'BEGIN { printf "%.0f %.1f %.0f\n", wb / n, sc / n, cpu * 1e6 / t / n }'
}

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, kernel $(uname -r)"
echo "load: ${conns} keep-alive connections, ${secs}s per phase, ${persons} persons, wrk -t2"
echo

build/phr init --data "$work/data" --log-level warn >/dev/null
build/phr policy publish --data "$work/data" --manifest policies/policy.json --log-level warn >/dev/null
# Every load comes from one address and a few accounts: the rate limits and
# the per-address connection cap, which guard against exactly that, are off.
build/phr serve --data "$work/data" --listen "127.0.0.1:$port" --threads "$threads" --log-level warn \
  --rate-per-address 0 --rate-per-account 0 --per-ip-connections 4096 2>"$work/phr.log" &
pids+=($!)
phr_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.1; done
node bench/setup.mjs "http://127.0.0.1:$port" "$persons" > "$work/tokens"

read -r post_bytes post_calls post_cpu < <(per_request "$phr_pid" bench/post.lua "http://127.0.0.1:$port")
read -r post_rps post_p50 post_p99 post_bad < "$work/last_phase"
read -r search_bytes search_calls search_cpu < <(per_request "$phr_pid" bench/search.lua "http://127.0.0.1:$port")
read -r search_rps search_p50 search_p99 search_bad < "$work/last_phase"
read -r pages_rps pages_p50 pages_p99 pages_bad < <(wrk_run bench/search_pages.lua "http://127.0.0.1:$port")
read -r count_rps count_p50 count_p99 count_bad < <(wrk_run bench/search.lua "http://127.0.0.1:$port" "&_summary=count")
read -r incl_rps incl_p50 incl_p99 incl_bad < <(wrk_run bench/search.lua "http://127.0.0.1:$port" "&_include=Observation:patient")
# The values are sealed: a search by value opens every record the code and date find.
read -r value_rps value_p50 value_p99 value_bad < <(wrk_run bench/search.lua "http://127.0.0.1:$port" "&component-value-quantity=gt120")
read -r read_bytes read_calls read_cpu < <(per_request "$phr_pid" bench/read.lua "http://127.0.0.1:$port")
read -r read_rps read_p50 read_p99 read_bad < "$work/last_phase"
rss_peak=$(awk '/VmHWM/ {print $2}' "/proc/$phr_pid/status")
# What the create phase stored: the raw-SQLite limit inserts rows of its sizes.
records=$(sqlite3 "$work/data/phr.db" "SELECT count(*) FROM records")
audits=$(sqlite3 "$work/data/phr.db" "SELECT count(*) FROM audit")
read -r body_len orig_len < <(sqlite3 -separator ' ' "$work/data/phr.db" \
  "SELECT CAST(avg(length(body)) AS INT), CAST(avg(length(original)) AS INT) FROM records")
# Export: one person's whole history as a FHIR Bundle, streamed, beside
# reading the same bytes back from a file (the limit: no work but moving
# bytes). The first of the bench persons is the one exported.
read -r ex_token _ < <(head -1 "$work/tokens")
ex_stats=$(curl -s -o "$work/export.json" -w '%{size_download} %{time_total}'   -H "Authorization: Bearer $ex_token" "http://127.0.0.1:$port/api/v1/me/export/fhir")
ex_bytes=${ex_stats% *}; ex_secs=${ex_stats#* }
ex_entries=$(grep -o '"fullUrl"' "$work/export.json" | wc -l)
rss_after_export=$(awk '/VmHWM/ {print $2}' "/proc/$phr_pid/status")
# Bulk Data: every bench person consents to the provision purpose; a
# recipient's client fetches all their Observations as NDJSON, each page
# decided and recorded as a provision on the way.
bphr() { build/phr "$@" --data "$work/data" --log-level warn; }
# PHR_BENCH_BULK_RECORDS: first fill the persons up to about that many
# records in all (CSV imports), for issue 6's 1,000,000-record export.
fill_note=""
if [[ -n ${PHR_BENCH_BULK_RECORDS:-} ]]; then
  have=$(sqlite3 "$work/data/phr.db" "SELECT count(*) FROM records")
  read -r filled fill_secs < <(node bench/fill.mjs "http://127.0.0.1:$port" "$work/tokens" \
    $(( (PHR_BENCH_BULK_RECORDS - have) / persons )))
  fill_note="(${filled} of them imported as CSV files of 10,000 in ${fill_secs} s)"
fi
rss_before_bulk=$(awk '/VmRSS/ {print $2}' "/proc/$phr_pid/status")
bphr recipient group --group demo-partners --name "Bench partners" >/dev/null
recipient=$(bphr recipient add --name "Bench clinic" --address "1-1 Chiyoda, Tokyo" --country JP --contact desk@example.jp)
rid=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).id)' "$recipient")
bphr recipient agreement --recipient "$rid" --signed 2026-11-01 --agreement-version DPA-1 >/dev/null
bphr recipient join --group demo-partners --recipient "$rid" >/dev/null
read -r bulk_url bulk_token < <(node bench/bulk.mjs "http://127.0.0.1:$port" "$work/tokens" \
  "$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).client_id)' "$recipient")" \
  "$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).client_secret)' "$recipient")")
bulk_stats=$(curl -sf -o "$work/bulk.ndjson" -w '%{size_download} %{time_total}' \
  -H "Authorization: Bearer $bulk_token" "$bulk_url")
bulk_bytes=${bulk_stats% *}; bulk_secs=${bulk_stats#* }
bulk_lines=$(wc -l < "$work/bulk.ndjson")
rss_after_bulk=$(awk '/VmRSS/ {print $2}' "/proc/$phr_pid/status")
read -r idle_rss idle_open < <(node bench/idle.mjs 127.0.0.1 "$port" 1000 "$phr_pid")
kill -TERM "$phr_pid"; wait "$phr_pid" || true

# The limits, measured now on the same machine.
read -r raw_rps raw_bytes < <(build/bench/raw_sqlite "$work/raw.db" 20000 "$body_len" "$orig_len" 100 2>/dev/null)
build/bench/bare_http "$bare_port" "$threads" > "$work/bare.out" &
pids+=($!)
bare_pid=$!
for _ in $(seq 50); do grep -q ready "$work/bare.out" 2>/dev/null && break; sleep 0.1; done
read -r bare_rps bare_p50 bare_p99 _ < <(wrk_run "" "http://127.0.0.1:$bare_port/")
kill -TERM "$bare_pid"
mkdir "$work/gate"
gate_out=$(build/bench/gate "$work/gate" 2000 100000 2>/dev/null)
facts_us=$(awk '/consent facts/ {print $(NF-1)}' <<<"$gate_out")
basis_us=$(awk '/provision scope/ {print $(NF-5)}' <<<"$gate_out")
# Interop: the CDA reader beside xmllint --schema over the same bytes.
cda=tests/fixtures/tokutei-synthetic.xml
read -r cda_mbs cda_docs < <(build/bench/interop "$cda" "$secs")
copies=()
for _ in $(seq 200); do copies+=("$cda"); done
x0=$(date +%s.%N)
xmllint --noout --schema schemas/mhlw-tokutei-v08/hc08_V08.xsd "${copies[@]}" 2>/dev/null
x1=$(date +%s.%N)
xml_mbs=$(awk -v n=200 -v s="$(stat -c %s "$cda")" -v a="$x0" -v b="$x1" 'BEGIN { printf "%.2f", n * s / (b - a) / 1e6 }')
r0=$(date +%s.%N); for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$work/export.json" > /dev/null; done; r1=$(date +%s.%N)
cat_mbs=$(awk -v n=10 -v s="$ex_bytes" -v a="$r0" -v b="$r1" 'BEGIN { printf "%.1f", n * s / (b - a) / 1e6 }')
ex_mbs=$(awk -v s="$ex_bytes" -v t="$ex_secs" 'BEGIN { printf "%.1f", s / t / 1e6 }')
b0=$(date +%s.%N); for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$work/bulk.ndjson" > /dev/null; done; b1=$(date +%s.%N)
bcat_mbs=$(awk -v n=10 -v s="$bulk_bytes" -v a="$b0" -v b="$b1" 'BEGIN { printf "%.1f", n * s / (b - a) / 1e6 }')
bulk_mbs=$(awk -v s="$bulk_bytes" -v t="$bulk_secs" 'BEGIN { printf "%.1f", s / t / 1e6 }')

# A read request's cost: the two cores' time divided among the reads served.
read_us=$(awk -v r="$read_rps" -v c="$(nproc)" 'BEGIN { printf "%.1f", c * 1e6 / r }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-34s %12s %10s %10s %s\n' "phase" "requests/s" "p50" "p99" "ratio to its limit"
printf '%-34s %12s %10s %10s %s\n' "create Observation (POST /fhir)" "$post_rps" "$post_p50" "$post_p99" \
  "$(ratio "$post_rps" "$raw_rps") of raw SQLite inserts (${raw_rps} rows/s)"
printf '%-34s %12s %10s %10s %s\n' "search Observations (10 per page)" "$search_rps" "$search_p50" "$search_p99" \
  "$(ratio "$search_rps" "$bare_rps") of a bare libmicrohttpd responder"
printf '%-34s %12s %10s %10s %s\n' "  following next links" "$pages_rps" "$pages_p50" "$pages_p99" \
  "$(ratio "$pages_rps" "$search_rps") of a first page"
printf '%-34s %12s %10s %10s %s\n' "  _summary=count" "$count_rps" "$count_p50" "$count_p99" \
  "$(ratio "$count_rps" "$search_rps") of a first page"
printf '%-34s %12s %10s %10s %s\n' "  _include=Observation:patient" "$incl_rps" "$incl_p50" "$incl_p99" \
  "$(ratio "$incl_rps" "$search_rps") of a first page"
printf '%-34s %12s %10s %10s %s\n' "  component-value-quantity=gt120" "$value_rps" "$value_p50" "$value_p99" \
  "$(ratio "$value_rps" "$search_rps") of a first page"
printf '%-34s %12s %10s %10s %s\n' "read one Observation by id" "$read_rps" "$read_p50" "$read_p99" \
  "$(ratio "$read_rps" "$bare_rps") of a bare libmicrohttpd responder"
printf '%-34s %12s %10s %10s\n' "limit: raw SQLite, 100 rows/commit" "$raw_rps" "-" "-"
printf '%-34s %12s %10s %10s\n' "limit: bare libmicrohttpd" "$bare_rps" "$bare_p50" "$bare_p99"
echo
echo "per request (bytes written to storage, system calls, server CPU time; perf and /proc):"
printf '  %-32s %8s B %8s calls %8s us   %s\n' "create" "$post_bytes" "$post_calls" "$post_cpu" \
  "bytes: $(ratio "$post_bytes" "$raw_bytes") of raw SQLite's per row (${raw_bytes} B)"
printf '  %-32s %8s B %8s calls %8s us\n' "search, first page" "$search_bytes" "$search_calls" "$search_cpu"
printf '  %-32s %8s B %8s calls %8s us\n' "read by id" "$read_bytes" "$read_calls" "$read_cpu"
echo
echo "non-2xx answers: create ${post_bad}, search ${search_bad} (pages ${pages_bad}, count ${count_bad}, include ${incl_bad}, value ${value_bad}), read ${read_bad}"
echo "stored: ${records} records, ${audits} audit entries; sealed row: body ${body_len} B, original ${orig_len} B"
echo "server peak RSS under load: $((rss_peak / 1024)) MB"
echo "server RSS with ${idle_open} idle connections open: $((idle_rss / 1024)) MB"
echo
echo "the gate (bench/gate: 20 purposes, 1,000 recipients, 2,000 persons), per decision,"
echo "as a share of a read request's CPU time (${read_us} us = $(nproc) cores / reads per second; target < 0.05):"
printf '  %-40s %8s us  %s\n' "consent facts (a person's acquisition)" "$facts_us" "$(ratio "$facts_us" "$read_us")"
printf '  %-40s %8s us  %s\n' "provision scope (a recipient's read)" "$basis_us" "$(ratio "$basis_us" "$read_us")"
printf '%s\n' "$gate_out" | sed 's/^/  /'
echo
echo "interop (bench/interop):"
printf '  %-58s %8s MB/s  %s\n' "CDA import: parse, validate (hc08), map (${cda_docs} docs/s)" "$cda_mbs" \
  "$(ratio "$cda_mbs" "$xml_mbs") of xmllint --schema (${xml_mbs} MB/s; target >= 0.5)"
printf '  %-58s %8s MB/s  %s\n' "export: GET /api/v1/me/export/fhir, ${ex_entries} entries, streamed" "$ex_mbs" \
  "$(ratio "$ex_mbs" "$cat_mbs") of reading the same bytes from a file (${cat_mbs} MB/s)"
echo "  server peak RSS after the export: $((rss_after_export / 1024)) MB (before it: $((rss_peak / 1024)) MB)"
printf '  %-58s %8s MB/s  %s\n' "Bulk \$export: Observation.ndjson, ${bulk_lines} records, ${persons} persons" "$bulk_mbs" \
  "$(ratio "$bulk_mbs" "$bcat_mbs") of reading the same bytes from a file (${bcat_mbs} MB/s; target 100 MB/s)"
echo "  server RSS before the Bulk export $((rss_before_bulk / 1024)) MB, after it $((rss_after_bulk / 1024)) MB ${fill_note}"

# Anonymisation (issue 22): ARX's Adult beside ARX's published Flash time,
# and a million synthetic rows.
echo
echo "anonymisation (bench/anonymise):"
build/bench/anonymise adult tests/fixtures/arx-adult | sed 's/^/  /'
build/bench/anonymise synthetic 1000000 | sed 's/^/  /'

# The portal as Lighthouse sees it (issue 21), its package installed once.
echo
echo "portal (bench/lighthouse, Lighthouse with Debian's chromium):"
if [ ! -x bench/lighthouse/node_modules/.bin/lighthouse ]; then
  (cd bench/lighthouse && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci for Lighthouse failed"; exit 1; }
fi
PHR_BIN=build/phr node bench/lighthouse/run.mjs | sed 's/^/  /'

# The same creates, searches and reads on PostgreSQL (issue 18).
echo
scripts/bench-pg.sh
