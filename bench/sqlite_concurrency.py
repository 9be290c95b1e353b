"""SQLite under a writer and readers at once (issue 12): one process ingests simulated events
continuously while N reader processes search the same database, as the webhook or a worker and
the search pages do on the embedded default.

    .venv/bin/python bench/sqlite_concurrency.py [--readers 4] [--seconds 20] [--batch 1000] [--json]

Prints the writer's throughput (events/s), the readers' searches per second and their latency
(p50/p95 ms), and how many operations failed with "database is locked" (the goal: 0, which WAL
and the busy timeout of auditui/settings.py give). The database starts with ``--prefill``
events (default 20,000) so that the searches have work to do; it lives in a fresh directory
unless ``--data-dir`` names one. With ``--json`` the last line of standard output is the figures
as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = timedelta(days=1)
# The searches a viewer of the events page runs: newest page of a range, with and without a
# condition, and the count above the results.
QUERIES = ("", "verb=delete", '"objectRef.resource"=pods AND verb IN {create, update, patch}')


def _child_django(data_dir: str) -> None:
    """Django in a child process, on the benchmark's database (already migrated by the parent)."""
    os.environ["AUDITUI_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditui.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark")
    import django

    django.setup()


def _is_lock_error(exc: Exception) -> bool:
    return "locked" in str(exc).lower()


def writer(data_dir: str, seconds: float, batch: int, results) -> None:
    _child_django(data_dir)
    from django.db import OperationalError

    from auditui.events.ingest import Ingestor
    from auditui.events.simulator import simulate_cluster

    events = simulate_cluster("writer", start=START, days=30, events_per_second=2.0, seed=3)
    ingestor = Ingestor(cluster="writer", batch_size=batch)  # writes every `batch` events fed
    lock_errors = 0
    other_errors: list[str] = []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        try:
            ingestor.feed_value(next(events), "sim")
        except OperationalError as exc:  # the batch stays in the ingestor: the next write retries it
            lock_errors += _is_lock_error(exc)
            if not _is_lock_error(exc):
                other_errors.append(str(exc))
    written = ingestor.report.ingested
    elapsed = time.monotonic() - started
    results.put({"role": "writer", "events": written, "seconds": elapsed, "lock_errors": lock_errors,
                 "other_errors": other_errors[:5]})


def reader(data_dir: str, seconds: float, index: int, results) -> None:
    _child_django(data_dir)
    from django.db import OperationalError

    from auditui.access.scope import ViewerScope
    from auditui.events.query import parse
    from auditui.events.store import EventQuery, get_store

    store = get_store()
    queries = [EventQuery(scope=ViewerScope.all(), start=START, end=START + WINDOW,
                          query=parse(text) if text else None) for text in QUERIES]
    latencies: list[float] = []
    lock_errors = 0
    other_errors: list[str] = []
    deadline = time.monotonic() + seconds
    turn = index
    while time.monotonic() < deadline:
        q = queries[turn % len(queries)]
        turn += 1
        began = time.perf_counter()
        try:
            store.search(q, page_size=50, columns_only=True)
            store.count(q)
        except OperationalError as exc:
            lock_errors += _is_lock_error(exc)
            if not _is_lock_error(exc):
                other_errors.append(str(exc))
            continue
        latencies.append((time.perf_counter() - began) * 1000)
    results.put({"role": "reader", "reads": len(latencies), "latencies": latencies, "seconds": seconds,
                 "lock_errors": lock_errors, "other_errors": other_errors[:5]})


def prefill(count: int) -> int:
    from auditui.events.ingest import ingest_events
    from auditui.events.simulator import simulate_cluster

    rate = count / WINDOW.total_seconds()
    return ingest_events(simulate_cluster("prefill", start=START, days=1, events_per_second=rate, seed=5),
                         cluster="prefill").ingested


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else 0.0


def run(args: argparse.Namespace) -> dict:
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="auditui-sqlite-concurrency-"))
    setup_django(data_dir)
    from django.db import connection

    if connection.vendor != "sqlite":
        raise SystemExit("this benchmark measures the embedded SQLite store: unset DATABASE_URL")
    prefilled = prefill(args.prefill) if args.prefill else 0
    connection.close()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=writer, args=(str(data_dir), args.seconds, args.batch, results))]
    processes += [context.Process(target=reader, args=(str(data_dir), args.seconds, i, results))
                  for i in range(args.readers)]
    for process in processes:
        process.start()
    figures = [results.get(timeout=args.seconds + 300) for _ in processes]
    for process in processes:
        process.join()
    written = next(f for f in figures if f["role"] == "writer")
    readers = [f for f in figures if f["role"] == "reader"]
    latencies = [ms for f in readers for ms in f["latencies"]]
    return {
        "readers": args.readers, "seconds": args.seconds, "batch": args.batch, "prefilled": prefilled,
        "write_events_per_s": round(written["events"] / written["seconds"]),
        "events_written": written["events"],
        "reads": len(latencies), "reads_per_s": round(len(latencies) / args.seconds, 1),
        "reads_per_reader": [f["reads"] for f in readers],
        "read_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "read_p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "lock_errors": written["lock_errors"] + sum(f["lock_errors"] for f in readers),
        "other_errors": written["other_errors"] + [e for f in readers for e in f["other_errors"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=1000, help="events per write (the SQL store's own: 1000)")
    parser.add_argument("--prefill", type=int, default=20_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args()
    figures = run(args)
    out = sys.stderr if args.json else sys.stdout
    out.write(f"SQLite, 1 writer and {figures['readers']} readers for {figures['seconds']:.0f} s "
              f"({figures['prefilled']:,} events before)\n")
    out.write(f"  writer: {figures['write_events_per_s']:,} events/s ({figures['events_written']:,} written, "
              f"batches of {figures['batch']})\n")
    out.write(f"  readers: {figures['reads_per_s']} searches/s, p50 {figures['read_p50_ms']} ms, "
              f"p95 {figures['read_p95_ms']} ms (search page + count)\n")
    out.write(f"  'database is locked' errors: {figures['lock_errors']}\n")
    for error in figures["other_errors"]:
        out.write(f"  other error: {error}\n")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
