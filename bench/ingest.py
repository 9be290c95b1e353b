"""Ingest benchmark (issues 4, 13 and 18): events per second through auditui's ingest into each
event store, side by side, beside a naive script on the same events in the same run.

    .venv/bin/python bench/ingest.py [--events 200000] [--store sql,postgresql,opensearch,elasticsearch] [--json]

The events are simulated (3 clusters, one day), generated before the clock starts and written to
one JSON Lines file per cluster. With ``sql`` in ``--store``, three rows measure those files:

- ``naive baseline``: bench/naive_ingest.py, the standard library alone (``json.loads`` per
  line, the indexed columns pulled out by hand, ``sqlite3.executemany`` in 10,000-row
  transactions into a copy of auditui's events table with the same indexes, no triggers);
- ``sql``: auditui reading the same files from disk through the code of ``manage.py ingest``
  (bench/ingest_file.py) into a fresh SQLite database: what a user runs;
- ``sql in memory``: auditui's ingest fed the generated events from memory (no reading or
  decoding), as this benchmark measured before issue 18.

The two file rows each run in a process of their own, whose peak RSS they report (auditui's
row also reports ``reader_cpu_us``: into SQLite its reader process decodes and normalises while
the command writes, issue 18). On PostgreSQL
(``--store postgresql``: bench/postgres.py runs this script again on a PostgreSQL database) the
same rows are ``postgresql`` and ``postgresql in memory``. The search engines are measured from
memory, on fresh indices on an OpenSearch node with a 1 GB heap (started here unless
OPENSEARCH_URL is set), with production refresh settings.
Target: OpenSearch >= 20,000 events/s on this 2-core machine.

Besides the rate, it prints the CPU time each event costs: in the ingesting process (parse,
normalise, build and send documents) and in the server while the writes were acknowledged: the
node, when this run started it, or the PostgreSQL process serving the connection. Their sum
times a rate is the number of cores that rate needs.

For each search engine it also prints a "node only" row: the same bulk requests, built by
auditui before the clock starts, sent as auditui sends them (the same requests in flight). That
is the node's own ceiling on this machine, with all of its cores to itself: no ingest through
auditui on the same machine can be faster.

With ``--json`` the last line is ``{"events", "events_per_s" (SQL from files, through auditui),
"baseline_events_per_s", "peak_rss_mb" (of that auditui process), "<store>_events_per_s" for
every other row, "results": [the rows]}``.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, ROOT, setup_django  # noqa: E402
from bench.engines import engine_urls, parse_stores, process_cpu_seconds  # noqa: E402
from bench.postgres import child_figures, is_postgresql, store_label  # noqa: E402

TARGETS = {"opensearch in memory": 20_000}
BASELINE = "naive baseline"
HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--store", default="sql,opensearch,elasticsearch")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="events per store write (default: what auditui uses, the store's own)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "ingest-sql",
                        help="the SQL store's directory, emptied first")
    args = parser.parse_args()
    stores = parse_stores(args.store)
    shutil.rmtree(args.data_dir, ignore_errors=True)
    setup_django(args.data_dir)
    if is_postgresql():  # a child measuring --store postgresql: an empty database, as SQLite's
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    events = simulated(args.events)
    # The generated events live as long as the run; keep the collector from walking them.
    gc.collect()
    gc.freeze()
    rows = []
    pids: dict[str, int] = {}
    with engine_urls(stores, pids=pids) as urls:
        for name in stores:
            if name == "postgresql":
                rows += child_figures(args.data_dir)["results"]
                continue
            if name == "sql":
                rows += measure_files(events, args.data_dir, args.batch_size)
            else:
                # A running node is warm (its JIT has compiled the indexing paths); so is this one
                # before the clock starts.
                ingest(urls[name], events, args.batch_size, drop=True)
            server_pid = postgres_backend_pid() if is_postgresql() and name == "sql" else pids.get(name)
            label = f"{store_label(name)} in memory"
            rows.append(measure(label, urls[name], events, args.batch_size, server_pid))
            if name != "sql":
                rows.append(measure_node_only(name, urls[name], events, args.batch_size, pids.get(name)))
    print_table(rows, sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(summary(len(events), rows)))


def print_table(rows: list[dict], out) -> None:
    out.write(f"{'store':<26} {'events':>10} {'seconds':>8} {'events/s':>10} {'ingest µs/ev':>13} "
              f"{'server µs/ev':>12} {'peak RSS MB':>12} {'target':>10}\n")
    for row in rows:
        target = f">={row['target']:,}" if row["target"] else ""
        node = f"{row['node_cpu_us']:.0f}" if row["node_cpu_us"] is not None else "-"
        own = f"{row['ingest_cpu_us']:.0f}" if row["ingest_cpu_us"] is not None else "-"
        rss = f"{row['peak_rss_mb']:.0f}" if row.get("peak_rss_mb") is not None else "-"
        out.write(f"{row['store']:<26} {row['events']:>10,} {row['seconds']:>8.1f} {row['rate']:>10,.0f} "
                  f"{own:>13} {node:>12} {rss:>12} {target:>10}"
                  f"  {'met' if row['meets_target'] else ('NOT MET' if row['target'] else '')}\n")
    by_store = {row["store"]: row for row in rows}
    if "sql" in by_store and BASELINE in by_store:
        out.write(f"auditui from files / naive baseline: {by_store['sql']['rate'] / by_store[BASELINE]['rate']:.2f}x\n")


def summary(events: int, rows: list[dict]) -> dict:
    """The --json line: the headline figures by name, a key per other row, and the rows."""
    by_store = {row["store"]: row for row in rows}
    sql, baseline = by_store.get("sql", {}), by_store.get(BASELINE, {})
    figures = {"events": events, "events_per_s": sql.get("rate"), "baseline_events_per_s": baseline.get("rate"),
               "peak_rss_mb": sql.get("peak_rss_mb")}
    for row in rows:
        if row["store"] not in ("sql", BASELINE):
            figures[f"{row['store'].replace(' ', '_').replace('-', '_')}_events_per_s"] = row["rate"]
    return {**figures, "results": rows}


def measure_files(events: list[tuple[str, dict]], data_dir: Path, batch_size: int | None) -> list[dict]:
    """The naive baseline (SQLite only) and auditui's ingest of the same events from files, each
    in a process of its own (its peak RSS is its own). On PostgreSQL the in-memory row that
    follows writes to the same database: it is emptied after the file row."""
    from django.conf import settings

    specs = [f"{cluster}={path}" for cluster, path in write_files(events, data_dir / "files")]
    rows = []
    if not is_postgresql():
        schema = settings.DATABASES["default"]["NAME"]
        rows.append({**child_json([HERE / "naive_ingest.py", "--schema-from", schema, "--db",
                                   data_dir / "naive.sqlite3", *specs, "--json"]), "store": BASELINE})
    batch = ["--batch-size", str(batch_size)] if batch_size else []
    rows.append(child_json([HERE / "ingest_file.py", "--data-dir", data_dir / "from-files", *batch, *specs]))
    if is_postgresql():
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    for row in rows:
        if row["events"] != len(events):
            raise SystemExit(f"{row['store']}: stored {row['events']} of {len(events)} events")
        row.update({"target": None, "meets_target": None, "node_cpu_us": row.get("node_cpu_us")})
    return rows


def write_files(events: list[tuple[str, dict]], directory: Path) -> list[tuple[str, Path]]:
    """The events as JSON Lines, one file per cluster (as an API server's log would be)."""
    import orjson

    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    handles = {}
    for cluster, event in events:
        if cluster not in handles:
            paths[cluster] = directory / f"{cluster}.jsonl"
            handles[cluster] = paths[cluster].open("wb")
        handles[cluster].write(orjson.dumps(event) + b"\n")
    for handle in handles.values():
        handle.close()
    return list(paths.items())


def child_json(argv: list) -> dict:
    """Run a measuring script in its own process; the JSON of its last line."""
    child = subprocess.run([sys.executable, *map(str, argv)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if child.returncode != 0:
        raise SystemExit(f"{Path(argv[0]).name} failed (exit {child.returncode})")
    return json.loads(child.stdout.strip().splitlines()[-1])


def postgres_backend_pid() -> int:
    """The PostgreSQL server process that serves this process's connection (its CPU is the
    database's share of ingest, as the node's is a search engine's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def simulated(count: int) -> list[tuple[str, dict]]:
    from datetime import timedelta

    from auditui.events.simulator import default_cluster_names, generate

    clusters = default_cluster_names(3)
    rate = count / (len(clusters) * 86400)
    stream = generate(clusters=clusters, start=DATASET_END - timedelta(days=1), days=1, events_per_second=rate,
                      seed=11)
    return [pair for pair, _ in zip(stream, range(count), strict=False)]


def ingest(url: str, events: list[tuple[str, dict]], batch_size: int | None, *, drop: bool = False) -> int:
    """Ingest ``events`` into a fresh store (index prefix) at ``url``; the number stored."""
    from auditui.events.store import store_for

    # Production refresh policy for search engines: searchable within the refresh interval.
    store = store_for(url, f"bench-{uuid.uuid4().hex[:8]}", "false")
    ingested = ingest_into(store, events, batch_size)
    if drop:
        store.drop_everything()
    return ingested


def ingest_into(store: Any, events: list[tuple[str, dict]], batch_size: int | None) -> int:
    from auditui.events.ingest import Ingestor

    ingestors: dict[str, Ingestor] = {}
    for cluster, event in events:
        ingestor = ingestors.get(cluster)
        if ingestor is None:
            ingestor = ingestors[cluster] = Ingestor(cluster=cluster, store=store, batch_size=batch_size)
        ingestor.feed_value(event, "bench")
    for ingestor in ingestors.values():
        ingestor.flush()
    return sum(i.report.ingested for i in ingestors.values())


def measure_node_only(
    name: str, url: str, events: list[tuple[str, dict]], batch_size: int | None, node_pid: int | None
) -> dict:
    """The node's ceiling: auditui's bulk requests for ``events``, built first, then only sent."""
    from concurrent.futures import ThreadPoolExecutor

    from auditui.events.store import object_days, store_for
    from auditui.events.store.search_engine import BULKS_IN_FLIGHT

    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    store = store_for(url, prefix, "false")
    store.ensure_template()  # for real: it may write to the node (the object-days index's marker)
    bodies: list[bytes] = []
    send = store.transport.bulk  # the store's own request: the node sees exactly what ingest sends it
    store.transport.bulk = lambda body: bodies.append(body) or []  # capture instead of sending
    ingest_into(store, events, batch_size)
    node_cpu = process_cpu_seconds(node_pid) if node_pid else 0.0
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=BULKS_IN_FLIGHT) as pool:
        items = [item for response in pool.map(send, bodies) for item in response]
    seconds = time.perf_counter() - started
    node_cpu = process_cpu_seconds(node_pid) - node_cpu if node_pid else None
    store.drop_everything()
    created = sum(1 for item in items if item.get("create", {}).get("status") == 201
                  and not object_days.is_summary_id(item["create"].get("_id")))
    if created != len(events):
        raise SystemExit(f"{name} node only: stored {created} of {len(events)} events")
    return {"store": f"{name} node only", "events": len(events), "seconds": round(seconds, 2),
            "rate": round(len(events) / seconds), "target": None, "meets_target": None, "ingest_cpu_us": None,
            "node_cpu_us": None if node_cpu is None else round(node_cpu / len(events) * 1e6, 1)}


def measure(name: str, url: str, events: list[tuple[str, dict]], batch_size: int | None, node_pid: int | None) -> dict:
    node_cpu = process_cpu_seconds(node_pid) if node_pid else 0.0
    cpu = time.process_time()
    started = time.perf_counter()
    ingested = ingest(url, events, batch_size)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    node_cpu = process_cpu_seconds(node_pid) - node_cpu if node_pid else None
    if ingested != len(events):
        raise SystemExit(f"{name}: stored {ingested} of {len(events)} events")
    rate = len(events) / seconds
    target = TARGETS.get(name)
    return {"store": name, "events": len(events), "seconds": round(seconds, 2), "rate": round(rate),
            "target": target, "meets_target": None if target is None else rate >= target,
            "ingest_cpu_us": round(cpu / len(events) * 1e6, 1),
            "node_cpu_us": None if node_cpu is None else round(node_cpu / len(events) * 1e6, 1)}


if __name__ == "__main__":
    main()
