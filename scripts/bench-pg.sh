#!/usr/bin/env bash
# The PostgreSQL part of make bench (issue 18): phr on a throwaway cluster
# (scripts/pg.sh; fsync and synchronous_commit on, as in production) beside
# raw libpq inserts of rows of the same sizes with the same batching,
# measured in the same run: creates with one and with two instances on one
# database, search and read. Called by scripts/bench.sh; alone:
#   scripts/bench-pg.sh   (after scripts/build.sh release)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${PHR_BENCH_SECONDS:-10}
conns=${PHR_BENCH_CONNECTIONS:-64}
persons=${PHR_BENCH_PERSONS:-64}
threads=2
work=$(mktemp -d /tmp/phr-bench-pg-XXXXXX)
pgdir=$(mktemp -d /tmp/phr-pg-XXXXXX) # its own: the server's user must reach it
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  scripts/pg.sh stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/pg.sh start "$pgdir")"
psql -q "$PHR_TEST_PG/postgres" -c 'CREATE DATABASE phr' -c 'CREATE DATABASE raw'
store="$PHR_TEST_PG/phr"

# wrk against one or more instances at once (the connections split among
# them): prints "requests/s p50 p99 non-2xx", the rates summed, the worst
# latencies.
wrk_all() {
  local script=$1 out rps=0 p50=0 p99=0 bad=0 i=0 n loads=()
  shift
  n=$#
  for url in "$@"; do
    wrk -t1 -c$((conns / n)) -d"${secs}s" --latency -s "$script" "$url" -- "$work/tokens" >"$work/wrk.$i" 2>&1 &
    loads+=($!)
    i=$((i + 1))
  done
  wait "${loads[@]}" || true
  for ((i = 0; i < n; i++)); do
    out=$(cat "$work/wrk.$i")
    rps=$(awk -v a="$rps" '/Requests\/sec/ {printf "%.0f", a + $2}' <<<"$out")
    p50=$(awk -v a="$p50" '$1 == "50%" {print ($2 > a ? $2 : a)}' <<<"$out")
    p99=$(awk -v a="$p99" '$1 == "99%" {print ($2 > a ? $2 : a)}' <<<"$out")
    bad=$((bad + $(awk '/Non-2xx/ {print $5}' <<<"$out" | grep . || echo 0)))
  done
  echo "$rps $p50 $p99 $bad"
}

serve() { # port -> starts an instance on the store
  build/phr serve --data "$work/data" --store "$store" --listen "127.0.0.1:$1" --threads "$threads" \
    --log-level warn --rate-per-address 0 --rate-per-account 0 --per-ip-connections 4096 2>>"$work/phr.log" &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/api/v1/health" >/dev/null && break; sleep 0.1; done
}

build/phr init --data "$work/data" --store "$store" >/dev/null 2>&1
build/phr policy publish --data "$work/data" --store "$store" --manifest policies/policy.json --log-level warn >/dev/null
serve 18090
node bench/setup.mjs "http://127.0.0.1:18090" "$persons" > "$work/tokens"
read -r post_rps post_p50 post_p99 post_bad < <(wrk_all bench/post.lua "http://127.0.0.1:18090")
# The statistics autovacuum would gather a minute later: without them the
# reads are planned for the empty table the create phase began with.
psql -q "$store" -c ANALYZE
read -r search_rps search_p50 search_p99 search_bad < <(wrk_all bench/search.lua "http://127.0.0.1:18090")
read -r read_rps read_p50 read_p99 read_bad < <(wrk_all bench/read.lua "http://127.0.0.1:18090")
serve 18091
read -r two_rps two_p50 two_p99 two_bad < <(wrk_all bench/post.lua "http://127.0.0.1:18090" "http://127.0.0.1:18091")
read -r body_len orig_len < <(psql -qAt -F ' ' "$store" \
  -c "SELECT avg(length(body))::int, avg(length(original))::int FROM records")
records=$(psql -qAt "$store" -c "SELECT count(*) FROM records")
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
wait "${pids[@]}" 2>/dev/null || true
pids=()

raw_rps=$(build/bench/raw_pg "$PHR_TEST_PG/raw" 20000 "$body_len" "$orig_len" 100 2>/dev/null)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "PostgreSQL $(psql -qAt "$PHR_TEST_PG/postgres" -c 'SHOW server_version'), a throwaway cluster on this machine"
printf '%-38s %12s %10s %10s %s\n' "phase" "requests/s" "p50" "p99" "ratio to its limit"
printf '%-38s %12s %10s %10s %s\n' "create Observation, one instance" "$post_rps" "$post_p50" "$post_p99" \
  "$(ratio "$post_rps" "$raw_rps") of raw libpq inserts (${raw_rps} rows/s)"
printf '%-38s %12s %10s %10s %s\n' "create Observation, two instances" "$two_rps" "$two_p50" "$two_p99" \
  "$(ratio "$two_rps" "$post_rps") of one instance"
printf '%-38s %12s %10s %10s\n' "search Observations (10 per page)" "$search_rps" "$search_p50" "$search_p99"
printf '%-38s %12s %10s %10s\n' "read one Observation by id" "$read_rps" "$read_p50" "$read_p99"
printf '%-38s %12s %10s %10s\n' "limit: raw libpq, 100 rows/commit" "$raw_rps" "-" "-"
echo "non-2xx answers: create ${post_bad}, two instances ${two_bad}, search ${search_bad}, read ${read_bad}"
echo "stored: ${records} records; sealed row: body ${body_len} B, original ${orig_len} B"
