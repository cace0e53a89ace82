#!/usr/bin/env bash
# A throwaway PostgreSQL cluster (and a pgbouncer in transaction pooling in
# front of it) for the tests and the benchmark: made with initdb in a
# temporary folder, started with pg_ctl on free ports, never a system
# service. As root the server runs as the 'postgres' user (PostgreSQL
# refuses root).
#   scripts/pg.sh start DIR   prints the environment to eval:
#                               PHR_TEST_PG        postgres://…  (direct)
#                               PHR_TEST_PG_POOLED postgres://…  (through pgbouncer)
#                               PHR_TEST_PG_DIR    DIR (the cluster's files are DIR/data)
#   scripts/pg.sh stop DIR
# DIR is best a folder of its own under /tmp (mktemp -d): as root, the
# 'postgres' user must be able to reach it.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $bin/initdb ]] || { echo "pg.sh: PostgreSQL is not installed (scripts/deps.sh test installs it)" >&2; exit 1; }
command -v pgbouncer >/dev/null || { echo "pg.sh: pgbouncer is not installed" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case "${1:-}" in
  start)
    dir=$2
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    port=$(free_port)
    bouncer=$(free_port)
    as_owner "$bin/initdb" -D "$dir/data" -U phr --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    # Durability as in production (fsync, synchronous_commit on: the
    # defaults); a few more connections than the tests' servers hold.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
    cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 40
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
    echo '"phr" ""' >"$dir/users.txt"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir/pgbouncer.ini" "$dir/users.txt"
    as_owner pgbouncer -d "$dir/pgbouncer.ini" >/dev/null
    for _ in $(seq 50); do
      psql -q "postgres://phr@127.0.0.1:$bouncer/postgres" -c 'SELECT 1' >/dev/null 2>&1 && break
      sleep 0.1
    done
    echo "export PHR_TEST_PG=postgres://phr@127.0.0.1:$port PHR_TEST_PG_POOLED=postgres://phr@127.0.0.1:$bouncer" \
      "PHR_TEST_PG_DIR=$dir"
    ;;
  stop)
    dir=$2
    [[ -f $dir/pgbouncer.pid ]] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    [[ -d $dir/data ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
