"""Search benchmark (issue 3): p50/p95 of the events page's queries on a large SQLite store.

    .venv/bin/python bench/search.py [--events 5000000] [--runs 30] [--json]

Builds (once, then reuses) a store of N simulated events over 30 days in 3 clusters under
bench/out/, then times:
  (a) last 24 h, two filters, first page (page of 50 and the match count, as the API answers)
  (b) histogram over 7 days (auto interval)
  (c) top 10 user.username over 24 h
  (d) a requestObject path condition over 24 h (first page and count)
  (e) the same as (a) through the API over HTTP (gunicorn, token auth)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, ROOT, Dataset, ensure_dataset, measure, print_table, setup_django  # noqa: E402

QUERY_A = 'verb=delete AND "objectRef.namespace"=payments'
QUERY_D = 'requestObject.spec.ingress.ports.port = 8443'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args()
    data_dir = args.data_dir or ROOT / "bench" / "out" / f"search-{args.events}"
    setup_django(data_dir)
    dataset = Dataset(events=args.events, days=args.days, clusters=args.clusters)
    stored = ensure_dataset(data_dir, dataset, log=lambda m: print(m, file=sys.stderr))
    timings = run(args.runs, data_dir)
    print(f"store: {stored:,} events, SQLite at {data_dir}", file=sys.stderr)
    print_table(timings, out=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps({"events": stored, "backend": "sqlite", "timings": [t.as_dict() for t in timings]}))


def run(runs: int, data_dir: Path):
    from auditui.access.scope import ViewerScope
    from auditui.events import search
    from auditui.events.store import EventQuery, get_store

    store = get_store()
    everything = ViewerScope.all()
    day = search.TimeRange(DATASET_END - timedelta(days=1), DATASET_END)
    week = search.TimeRange(DATASET_END - timedelta(days=7), DATASET_END)

    def first_page_and_count(query: str):
        q = search.build_query(everything, query=query, time_range=day)
        page = store.search(q, page_size=50)
        return len(page.records), store.count(q)

    def histogram():
        q = EventQuery(scope=everything, start=week.start, end=week.end)
        return store.histogram(q, interval=search.auto_interval(week))

    def top_users():
        q = EventQuery(scope=everything, start=day.start, end=day.end)
        return search.top_values(q, "user.username", 10)

    timings = [
        measure("(a) 24 h, two filters, first page + count", lambda: first_page_and_count(QUERY_A), runs=runs,
                target_ms=150, detail=lambda r: f"{r[0]} rows of {r[1]:,}"),
        measure("(b) histogram over 7 days", histogram, runs=runs, target_ms=150,
                detail=lambda r: f"{len(r)} buckets, {sum(b.count for b in r):,} events"),
        measure("(c) top 10 user.username over 24 h", top_users, runs=runs, target_ms=150,
                detail=lambda r: f"{len(r.values)} values of {r.total:,}"),
        measure("(d) requestObject path condition over 24 h", lambda: first_page_and_count(QUERY_D),
                runs=max(runs // 3, 5), target_ms=1000, detail=lambda r: f"{r[0]} rows of {r[1]:,}"),
    ]
    timings.append(measure_http(runs, data_dir, day))
    return timings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_http(runs: int, data_dir: Path, day):
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True})
    token, _ = Token.objects.get_or_create(user=user)
    port = _free_port()
    env = {**os.environ, "AUDITUI_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "auditui.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    params = urllib.parse.urlencode({"query": QUERY_A, "start": day.start.isoformat(), "end": day.end.isoformat(),
                                     "page_size": 50})
    url = f"http://127.0.0.1:{port}/api/v1/events?{params}"
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token.key}"})

    def call():
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    try:
        _wait_for(port)
        return measure("(e) (a) through the API over HTTP", call, runs=runs, target_ms=150,
                       detail=lambda r: f"{len(r['results'])} rows of {r['count']:,}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the API server did not start")


if __name__ == "__main__":
    main()
