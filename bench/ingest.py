"""Ingest benchmark (issue 4): events per second through auditui's ingest path (parse,
normalise, drop rules, store write) into each event store, side by side.

    .venv/bin/python bench/ingest.py [--events 200000] [--store sql,postgresql,opensearch,elasticsearch] [--json]

The events are simulated (3 clusters, one day) and generated before the clock starts. SQL
writes to a fresh SQLite database (``postgresql``: an empty PostgreSQL one, bench/postgres.py);
the search engines to fresh indices on an OpenSearch node with a 1 GB heap (started here unless
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
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, ROOT, setup_django  # noqa: E402
from bench.engines import engine_urls, parse_stores, process_cpu_seconds  # noqa: E402
from bench.postgres import child_figures, is_postgresql, store_label  # noqa: E402

TARGETS = {"opensearch": 20_000}


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
            if name != "sql":
                # A running node is warm (its JIT has compiled the indexing paths); so is this one
                # before the clock starts.
                ingest(urls[name], events, args.batch_size, drop=True)
            server_pid = postgres_backend_pid() if is_postgresql() and name == "sql" else pids.get(name)
            rows.append(measure(store_label(name), urls[name], events, args.batch_size, server_pid))
            if name != "sql":
                rows.append(measure_node_only(name, urls[name], events, args.batch_size, pids.get(name)))
    out = sys.stderr if args.json else sys.stdout
    out.write(f"{'store':<26} {'events':>10} {'seconds':>8} {'events/s':>10} {'ingest µs/ev':>13} "
              f"{'server µs/ev':>12} {'target':>10}\n")
    for row in rows:
        target = f">={row['target']:,}" if row["target"] else ""
        node = f"{row['node_cpu_us']:.0f}" if row["node_cpu_us"] is not None else "-"
        own = f"{row['ingest_cpu_us']:.0f}" if row["ingest_cpu_us"] is not None else "-"
        out.write(f"{row['store']:<26} {row['events']:>10,} {row['seconds']:>8.1f} {row['rate']:>10,.0f} "
                  f"{own:>13} {node:>12} {target:>10}"
                  f"  {'met' if row['meets_target'] else ('NOT MET' if row['target'] else '')}\n")
    if args.json:
        print(json.dumps({"events": args.events, "results": rows}))


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
    send = store._bulk  # the store's own request: the node sees exactly what ingest sends it
    store._bulk = lambda body: bodies.append(body) or []  # capture instead of sending
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
