"""Search benchmark (issues 3 and 4): p50/p95 of the events page's queries, every store side by side.

    .venv/bin/python bench/search.py [--events 5000000] [--store sql,postgresql,opensearch,elasticsearch]
        [--runs 30] [--json]

Builds (once, then reuses) a store of N simulated events over 30 days in 3 clusters: SQLite under
bench/out/search-N; PostgreSQL (bench/postgres.py: a throw-away server, loaded on every run); and
the same events (same seed) loaded into a fresh OpenSearch node (1 GB heap)
on every run (or the node at OPENSEARCH_URL, loaded once); the Elasticsearch backend reads the same
indices through Elastic's client and the test proxy (Elastic's server cannot run here). Then times:
  (a) last 24 h, two filters, first page (page of 50 and the match count, as the API answers)
  (b) histogram over 7 days (auto interval)
  (c) top 10 user.username over 24 h
  (d) a requestObject path condition over 24 h (first page and count)
  (e) the same as (a) through the API over HTTP (gunicorn, token auth)
  (f) the newest 50 events of the whole 30 days, and the next page (no target: reading back
      over a long range is what the engines' two-step page read is for)
"""

from __future__ import annotations

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

from bench.common import (  # noqa: E402
    DATASET_END,
    ROOT,
    Timing,
    dataset_arguments,
    measure,
    open_dataset,
    print_store_tables,
)
from bench.engines import engine_prefix, engine_urls, load_engine, parse_stores  # noqa: E402
from bench.postgres import child_figures, store_label, timings_from  # noqa: E402

QUERY_A = 'verb=delete AND "objectRef.namespace"=payments'
QUERY_D = 'requestObject.spec.ingress.ports.port = 8443'
TARGETS = {"sql": {"a": 150, "b": 150, "c": 150, "d": 1000, "e": 150}}
ENGINE_TARGET = 200  # issue 4: search p95 < 200 ms on the same queries


def main() -> None:
    args = dataset_arguments(__doc__, events=5_000_000, runs=30).parse_args()
    stores = parse_stores(args.store)
    data_dir, dataset, stored = open_dataset(args)
    results: dict[str, list[Timing]] = {}
    with engine_urls(stores) as urls:
        for name in stores:
            if name == "postgresql":
                results[name] = timings_from(child_figures(data_dir)["stores"]["postgresql"])
                continue
            prefix = engine_prefix(args.events, dataset, name)
            store = _store(urls[name], prefix)
            if name != "sql":
                load_engine(store, dataset, stored, name)
            results[store_label(name)] = run(name, store, args.runs, data_dir, urls[name], prefix)
    print_store_tables(stored, results, as_json=args.json)


def _store(url: str, prefix: str):
    from auditui.events.store import store_for

    return store_for(url, prefix, "false")


def run(name: str, store, runs: int, data_dir: Path, url: str, prefix: str) -> list[Timing]:
    from auditui.access.scope import ViewerScope
    from auditui.events import search
    from auditui.events.store import EventQuery

    everything = ViewerScope.all()
    day = search.TimeRange(DATASET_END - timedelta(days=1), DATASET_END)
    week = search.TimeRange(DATASET_END - timedelta(days=7), DATASET_END)
    targets = TARGETS.get(name, dict.fromkeys("abcde", ENGINE_TARGET))

    def newest_pages():
        q = EventQuery(scope=everything, start=DATASET_END - timedelta(days=30), end=DATASET_END)
        first = store.search(q, page_size=50)
        return len(first.records) + len(store.search(q, page_size=50, cursor=first.next_cursor).records)

    def first_page_and_count(query: str):
        q = search.build_query(everything, query=query, time_range=day)
        page = store.search(q, page_size=50)
        return len(page.records), store.count(q)

    def histogram():
        q = EventQuery(scope=everything, start=week.start, end=week.end)
        return store.histogram(q, interval=search.auto_interval(week))

    def top_users():
        q = EventQuery(scope=everything, start=day.start, end=day.end)
        groups = store.aggregate(q, group_by=["username"], limit=10)
        return groups, store.count(q)

    return [
        measure("(a) 24 h, two filters, first page + count", lambda: first_page_and_count(QUERY_A), runs=runs,
                target_ms=targets["a"], detail=lambda r: f"{r[0]} rows of {r[1]:,}"),
        measure("(b) histogram over 7 days", histogram, runs=runs, target_ms=targets["b"],
                detail=lambda r: f"{len(r)} buckets, {sum(b.count for b in r):,} events"),
        measure("(c) top 10 user.username over 24 h", top_users, runs=runs, target_ms=targets["c"],
                detail=lambda r: f"{len(r[0])} values of {r[1]:,}"),
        measure("(d) requestObject path condition over 24 h", lambda: first_page_and_count(QUERY_D),
                runs=max(runs // 3, 5), target_ms=targets["d"], detail=lambda r: f"{r[0]} rows of {r[1]:,}"),
        measure_http(runs, data_dir, day, url, prefix, targets["e"]),
        measure("(f) 30 days, no filter, first two pages", newest_pages, runs=runs,
                detail=lambda r: f"{r} rows"),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_http(runs: int, data_dir: Path, day, url: str, prefix: str, target: float) -> Timing:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True})
    token, _ = Token.objects.get_or_create(user=user)
    port = _free_port()
    env = {**os.environ, "AUDITUI_DATA_DIR": str(data_dir), "EVENT_STORE_URL": url, "AUDITUI_INDEX_PREFIX": prefix}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "auditui.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    params = urllib.parse.urlencode({"query": QUERY_A, "start": day.start.isoformat(), "end": day.end.isoformat(),
                                     "page_size": 50})
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/events?{params}",
                                     headers={"Authorization": f"Token {token.key}"})

    def call():
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    try:
        _wait_for(port)
        return measure("(e) (a) through the API over HTTP", call, runs=runs, target_ms=target,
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
