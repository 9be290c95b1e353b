#!/usr/bin/env bash
# Brings up README's "Production" section on this machine, as written: PostgreSQL (a throw-away
# server, tools/postgres-test.sh), Redis (a throw-away redis-server), the OpenSearch node at
# OPENSEARCH_URL (default http://127.0.0.1:9200, indices under a prefix of its own, deleted at the
# end), then migrate, collectstatic, createsuperuser, gunicorn, a Celery worker and beat, each
# started with the README's command line. tools/production_check.py then checks the pages, the
# API, the webhook, /readyz and /status (worker and beat alive, then a stopped worker shown as
# stopped within two heartbeat intervals), and every process must stop on SIGTERM within 10 s.
# Usage: tools/production-check.sh   (exit 0: everything as the README says)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
WORK=$(mktemp -d /tmp/auditui-prodcheck.XXXXXX)
OPENSEARCH_URL=${OPENSEARCH_URL:-http://127.0.0.1:9200}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
REDIS_PORT=$(free_port)
export AUDITUI_PG_STATE=$WORK/pg.state
PREFIX=auditui-prodcheck-$$
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true
  tools/postgres-test.sh stop || true
  curl -s -o /dev/null -X DELETE "$OPENSEARCH_URL/$PREFIX-*,$PREFIX.*?expand_wildcards=all" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== services: PostgreSQL, Redis, OpenSearch ($OPENSEARCH_URL)"
DATABASE_URL=$(tools/postgres-test.sh start | tail -1)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$WORK/redis.pid" --dir "$WORK" --logfile "$WORK/redis.log"
curl -sf "$OPENSEARCH_URL" >/dev/null || { echo "OpenSearch does not answer at $OPENSEARCH_URL" >&2; exit 1; }

# README "Production", with this machine's addresses (and a short heartbeat, for the stop check).
export DATABASE_URL
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
echo "a-production-check-secret-key-$(head -c 24 /dev/urandom | base64)" > "$WORK/secret"
export SECRET_KEY_FILE=$WORK/secret
export ALLOWED_HOSTS=127.0.0.1 CSRF_TRUSTED_ORIGINS=https://127.0.0.1:$PORT
export AUDITUI_TLS_PROXY=1 AUDITUI_BASE_URL=https://127.0.0.1:$PORT
export EMAIL_URL=console
export EVENT_STORE_URL=opensearch://${OPENSEARCH_URL#*://} AUDITUI_INDEX_PREFIX=$PREFIX AUDITUI_INDEX_REFRESH=wait_for
export AUDITUI_DATA_DIR=$WORK/data AUDITUI_HEARTBEAT_S=${AUDITUI_HEARTBEAT_S:-5}
unset DJANGO_SETTINGS_MODULE

echo "== migrate, collectstatic, createsuperuser"
$BIN/python manage.py migrate --noinput >"$WORK/migrate.log"
$BIN/python manage.py collectstatic --noinput -v0
DJANGO_SUPERUSER_PASSWORD=prodcheck-Pa55word $BIN/python manage.py createsuperuser --noinput \
  --username admin --email admin@example.com
TOKEN=$($BIN/python manage.py drf_create_token admin | sed -n 's/^Generated token \([^ ]*\) .*/\1/p')
INGEST_TOKEN=$($BIN/python manage.py create_ingest_token --cluster prodcheck | tail -1)

echo "== web, worker, beat"
$BIN/gunicorn auditui.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --threads 4 >"$WORK/web.log" 2>&1 &
pids+=($!)
$BIN/celery -A auditui worker --loglevel=INFO --concurrency=2 >"$WORK/worker.log" 2>&1 &
pids+=($!)
$BIN/celery -A auditui beat --loglevel=INFO >"$WORK/beat.log" 2>&1 &
pids+=($!)
echo "${pids[@]}" > "$WORK/pids"

if ! PORT=$PORT TOKEN=$TOKEN INGEST_TOKEN=$INGEST_TOKEN PASSWORD=prodcheck-Pa55word WORKER_PID=${pids[1]} \
     PIDS="${pids[*]}" $BIN/python tools/production_check.py; then
  echo "-- web log"; tail -20 "$WORK/web.log"; echo "-- worker log"; tail -20 "$WORK/worker.log"
  echo "-- beat log"; tail -20 "$WORK/beat.log"
  exit 1
fi
