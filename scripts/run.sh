#!/usr/bin/env bash
# The one command that starts the service (README: make run).
# Installs what is missing, builds, creates the store and master key on the
# first run, loads the demo person, and serves http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(scripts/build.sh release)
data=${PHR_DATA:-data}
if [[ ! -f $data/phr.db ]]; then
  "$bin" init --data "$data"
fi
echo "serving on http://${PHR_LISTEN:-127.0.0.1:8080} (Ctrl-C stops)" >&2
exec "$bin" serve --data "$data" --listen "${PHR_LISTEN:-127.0.0.1:8080}" --demo
