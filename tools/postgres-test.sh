#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server (Debian's packages) for the test suite on a free port and
# prints its DATABASE_URL on the last line. PostgreSQL refuses to run as root, so it runs as
# `postgres`. Usage: DATABASE_URL=$(tools/postgres-test.sh start | tail -1); tools/postgres-test.sh stop
set -euo pipefail
STATE=${AUDITUI_PG_STATE:-/tmp/auditui-postgres.current}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop() {
  [ -f "$STATE" ] || return 0
  as_pg "$BIN/pg_ctl" -D "$(cat "$STATE")" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$(cat "$STATE")" "$STATE"
}

case "${1:-start}" in
  start)
    stop
    PGDATA=$(mktemp -d /tmp/auditui-postgres.XXXXXX)
    PGPORT=${PGPORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    echo "$PGDATA" > "$STATE"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$PGDATA"
    as_pg "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off" \
      -l "$PGDATA/server.log" -w start >/dev/null
    as_pg "$BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -q -c "CREATE ROLE auditui LOGIN CREATEDB PASSWORD 'auditui'" \
      -c "CREATE DATABASE auditui OWNER auditui"
    echo "postgres://auditui:auditui@127.0.0.1:$PGPORT/auditui"
    ;;
  stop)
    stop
    ;;
esac
