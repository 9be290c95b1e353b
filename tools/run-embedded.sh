#!/usr/bin/env bash
# `make run`: the embedded default. One SQLite database and a filesystem Celery broker under
# AUDITUI_DATA_DIR (./var), a real worker and beat, and the web server. Ctrl-C, or SIGTERM to this
# script or to its process group, stops all three within 10 s, whatever they were doing.
set -euo pipefail
# Job control: each service runs in a process group of its own, so the stop below can reach a
# service's children too (gunicorn's workers, the worker's pool) and a signal to this script's
# group (Ctrl-C) reaches only this script, which then stops the services in order.
set -m
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export AUDITUI_DATA_DIR=${AUDITUI_DATA_DIR:-$PWD/var}
export AUDITUI_BASE_URL=${AUDITUI_BASE_URL:-http://$HOST:$PORT}
STOP_GRACE_S=${AUDITUI_STOP_GRACE_S:-5}
mkdir -p "$AUDITUI_DATA_DIR/logs"
LOCK="$AUDITUI_DATA_DIR/run.lock"

# One `make run` per data directory: two would share one SQLite database, broker and beat schedule.
# The lock file holds the holder's pid; a lock whose pid is gone (killed with -9, machine
# rebooted) is taken over. noclobber makes the creation atomic between two starts.
take_lock() {
  local holder
  while ! (set -o noclobber; echo $$ >"$LOCK") 2>/dev/null; do
    holder=$(cat "$LOCK" 2>/dev/null || true)
    if [[ "$holder" =~ ^[0-9]+$ ]] && kill -0 "$holder" 2>/dev/null; then
      echo "auditui is already running on $AUDITUI_DATA_DIR (pid $holder, lock $LOCK): stop it first" >&2
      exit 75
    fi
    echo "taking over the stale lock of pid ${holder:-?} ($LOCK)" >&2
    rm -f "$LOCK"
  done
}
release_lock() { [ "$(cat "$LOCK" 2>/dev/null || true)" = "$$" ] && rm -f "$LOCK" || true; }
take_lock

pids=()
alive() { local pid; for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && return 0; done; return 1; }
# TERM to each service's main process (it stops its own children: the worker's pool, gunicorn's
# workers), STOP_GRACE_S to finish, then KILL whatever is left in their process groups (a worker
# stuck in a task or a futex wait does not hold the data directory past the grace).
stop_all() {
  trap '' INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_GRACE_S))
    while alive && [ $SECONDS -lt "$deadline" ]; do sleep 0.1; done
    if alive; then
      echo "still stopping after ${STOP_GRACE_S}s: killing what is left" >&2
      for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    fi
    wait 2>/dev/null || true
  fi
  release_lock
}
on_signal() { echo "stopping auditui" >&2; stop_all; exit 130; }
trap on_signal INT TERM
trap stop_all EXIT
# A setup step runs as a job too, so that a signal during it stops it the same way.
step() { "$@" & pids+=($!); wait "$!"; pids=("${pids[@]:0:${#pids[@]}-1}"); }

step $BIN/python manage.py migrate --noinput
step $BIN/python manage.py collectstatic --noinput -v0
# Demo data on first start only (the command is idempotent, but loading takes a minute). The
# logins are checked on every start: off loopback the known demo password is refused (replaced
# by a generated one, printed, unless AUDITUI_ADMIN_PASSWORD is set, and it may not be "admin").
if [ ! -e "$AUDITUI_DATA_DIR/.demo-loaded" ]; then
  # Two commands, not `demo && touch`: set -e does not stop on a failure left of &&.
  step $BIN/python manage.py demo --host "$HOST"
  touch "$AUDITUI_DATA_DIR/.demo-loaded"
else
  step $BIN/python manage.py demo --host "$HOST" --users-only
fi
case "$HOST" in
  127.*|localhost|::1|"[::1]") LOGIN="admin / ${AUDITUI_ADMIN_PASSWORD:-admin}" ;;
  *) LOGIN="admin with \$AUDITUI_ADMIN_PASSWORD or the password printed above" ;;
esac

$BIN/celery -A auditui worker --loglevel=INFO --concurrency=2 >"$AUDITUI_DATA_DIR/logs/worker.log" 2>&1 &
pids+=($!)
$BIN/celery -A auditui beat --loglevel=INFO >"$AUDITUI_DATA_DIR/logs/beat.log" 2>&1 &
pids+=($!)
$BIN/gunicorn auditui.wsgi:application --bind "$HOST:$PORT" --workers 2 --threads 4 \
  --graceful-timeout "$STOP_GRACE_S" --access-logfile "$AUDITUI_DATA_DIR/logs/access.log" &
pids+=($!)

cat <<MSG

  auditui is running: http://$HOST:$PORT/
  log in as $LOGIN  (or payments-viewer: sees namespace payments only)
  admin console: http://$HOST:$PORT/admin/   system status: http://$HOST:$PORT/status/
  worker and beat logs: $AUDITUI_DATA_DIR/logs/   Ctrl-C stops everything.
  pids: ${pids[*]}

MSG
# Any service ending ends the whole (a port in use, a broken setting): no half-running auditui.
wait -n
echo "a service stopped: stopping auditui" >&2
