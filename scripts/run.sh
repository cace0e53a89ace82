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
# The shipped demo terms, summary, privacy policy and purposes of use; a
# provider publishes its own. Publishing an unchanged manifest changes nothing.
"$bin" policy publish --data "$data" --manifest policies/policy.json --log-level warn >/dev/null
echo "serving on http://${PHR_LISTEN:-127.0.0.1:8080} (Ctrl-C stops)" >&2
exec "$bin" serve --data "$data" --listen "${PHR_LISTEN:-127.0.0.1:8080}" --demo
