#!/usr/bin/env bash
# `make run`: the embedded default. One SQLite database and a filesystem Celery broker under
# AUDITUI_DATA_DIR (./var), a real worker and beat, and the web server. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export AUDITUI_DATA_DIR=${AUDITUI_DATA_DIR:-$PWD/var}
export AUDITUI_BASE_URL=${AUDITUI_BASE_URL:-http://$HOST:$PORT}
mkdir -p "$AUDITUI_DATA_DIR/logs"

$BIN/python manage.py migrate --noinput
$BIN/python manage.py collectstatic --noinput -v0
# Demo data on first start only (the command is idempotent, but loading takes a minute). The
# logins are checked on every start: off loopback the known demo password is refused (replaced
# by a generated one, printed, unless AUDITUI_ADMIN_PASSWORD is set, and it may not be "admin").
if [ ! -e "$AUDITUI_DATA_DIR/.demo-loaded" ]; then
  # Two commands, not `demo && touch`: set -e does not stop on a failure left of &&.
  $BIN/python manage.py demo --host "$HOST"
  touch "$AUDITUI_DATA_DIR/.demo-loaded"
else
  $BIN/python manage.py demo --host "$HOST" --users-only
fi
case "$HOST" in
  127.*|localhost|::1|"[::1]") LOGIN="admin / ${AUDITUI_ADMIN_PASSWORD:-admin}" ;;
  *) LOGIN="admin with \$AUDITUI_ADMIN_PASSWORD or the password printed above" ;;
esac

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$BIN/celery -A auditui worker --loglevel=INFO --concurrency=2 >"$AUDITUI_DATA_DIR/logs/worker.log" 2>&1 &
pids+=($!)
$BIN/celery -A auditui beat --loglevel=INFO >"$AUDITUI_DATA_DIR/logs/beat.log" 2>&1 &
pids+=($!)

cat <<MSG

  auditui is running: http://$HOST:$PORT/
  log in as $LOGIN  (or payments-viewer: sees namespace payments only)
  worker and beat logs: $AUDITUI_DATA_DIR/logs/   Ctrl-C stops everything.

MSG
$BIN/gunicorn auditui.wsgi:application --bind "$HOST:$PORT" --workers 2 --threads 4 \
  --access-logfile "$AUDITUI_DATA_DIR/logs/access.log" &
pids+=($!)
wait "${pids[@]}"
