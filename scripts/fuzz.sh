#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) and runs
# each for a while from its seeds (fuzz/seeds/<target>/), in a scratch copy
# of the corpus. A crash, leak or sanitizer report fails the run and leaves
# the input in build-fuzz/. Called by scripts/test.sh; alone:
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
out=build-fuzz
mkdir -p "$out"
flags=(-g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -Isrc -DPHR_SCHEMA_DIR="\"$PWD/schemas/mhlw-tokutei-v08\"")
read -r -a deps <<<"$(pkg-config --cflags --libs libxml-2.0 json-c libsodium libzip cjose)"
deps+=(-lm -pthread)
common=(src/util/buf.c src/util/utf8.c src/util/clock.c src/util/log.c src/util/err.c src/formats/json.c src/util/fault.c
        src/formats/fhirtime.c)
declare -A sources=(
  [cda]="src/formats/cda.c src/formats/demographics.c src/formats/prefectures.c src/formats/cda_schema.c src/formats/tokutei_items.c src/formats/fhir_import.c src/formats/fhir_contained.c src/formats/fhir_person.c src/formats/medicine.c src/formats/device_csv.c src/formats/vitals.c src/formats/vital_codes.c src/formats/checkup_fhir.c src/formats/import_fhir.c"
  [vitals]="src/formats/vitals.c src/formats/vital_codes.c src/formats/device_csv.c src/formats/omh.c"
  [consent]="src/formats/policy.c src/formats/data_kinds.c"
  [jahis]="src/formats/jahis.c src/formats/jahis_text.c src/formats/demographics.c src/formats/prefectures.c src/formats/medication_fhir.c src/formats/dispense_parties.c src/formats/import_fhir.c"
  [sphr]="src/formats/sphr.c src/crypto/detached_jws.c src/crypto/digest.c src/util/ids.c"
  [sphr_entries]="src/formats/sphr.c src/crypto/detached_jws.c src/crypto/digest.c src/util/ids.c"
  [search]="src/formats/search.c src/formats/vitals.c src/formats/vital_codes.c src/formats/elements.c src/formats/scopes.c src/formats/data_kinds.c src/formats/form.c src/formats/code_text.c src/formats/tokutei_items.c src/formats/value_search.c"
  [oauth]="src/formats/form.c src/formats/scopes.c src/formats/data_kinds.c src/crypto/jws.c"
  [bulk]="src/formats/elements.c src/formats/scopes.c src/formats/data_kinds.c"
  [tx_bundle]="src/formats/tx_bundle.c"
  [anon]="src/anon/table.c src/anon/grouper.c src/anon/groups.c src/anon/lattice.c src/anon/anonymise.c"
  [imports]="src/service/import_parse.c src/formats/cda.c src/formats/demographics.c src/formats/prefectures.c src/formats/cda_schema.c src/formats/tokutei_items.c src/formats/fhir_import.c src/formats/fhir_contained.c src/formats/fhir_person.c src/formats/medicine.c src/formats/device_csv.c src/formats/vitals.c src/formats/vital_codes.c src/formats/checkup_fhir.c src/formats/import_fhir.c src/formats/jahis.c src/formats/jahis_text.c src/formats/medication_fhir.c src/formats/dispense_parties.c src/formats/omh.c src/util/ids.c"
)
# The sniffer's corpus is every reader's seeds: each format reached through it.
declare -A corpus=([imports]="cda jahis vitals phr")
for t in cda vitals consent jahis sphr sphr_entries search imports oauth bulk tx_bundle anon; do
  # shellcheck disable=SC2086
  clang "${flags[@]}" "fuzz/fuzz_$t.c" "${common[@]}" ${sources[$t]} "${deps[@]}" -o "$out/fuzz_$t"
  rm -rf "$out/corpus_$t" && mkdir -p "$out/corpus_$t"
  for s in ${corpus[$t]:-$t}; do cp -r "fuzz/seeds/$s/." "$out/corpus_$t/"; done
  echo "== fuzz $t (${seconds}s)"
  (cd "$out" && ./"fuzz_$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=0 "corpus_$t" 2>"fuzz_$t.log") || { tail -40 "$out/fuzz_$t.log"; exit 1; }
  grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs" "$out/fuzz_$t.log" | tail -1 || true
done
