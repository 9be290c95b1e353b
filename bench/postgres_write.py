"""Where PostgreSQL's time goes when auditui stores a batch of events (issue 18 item 2).

    DATABASE_URL=postgres://… .venv/bin/python bench/postgres_write.py [--events 50000] [--batch-size 1000]

The database must be one the benchmark may empty (tools/postgres-test.sh starts one). The
simulated events are normalised into records before any clock starts; then each variant stores
all of them, in batches, into an emptied events table, and prints the CPU time per event of the
PostgreSQL process serving the connection ("server") and of this process ("client"), and the wall
time. The variants:

- ``executemany``: the one-row INSERT per event, as the SQL store wrote before issue 18;
- ``copy``: auditui's write path (COPY into the staging table, one INSERT … SELECT per batch);
- ``copy, no hourly trigger``: the same with the hourly-count triggers disabled;
- ``copy, no secondary indexes``: the same with only the primary key and the unique key;
- ``copy only``: the COPY into the staging table alone (its rows are discarded): the price of
  receiving the rows (``raw`` as text);
- ``copy only, then raw::jsonb``: the same, then each ``raw`` parsed as ``jsonb``: what parsing
  ``jsonb`` costs.

Then ``EXPLAIN (ANALYZE, BUFFERS)`` of one batch's INSERT … SELECT (its trigger time included).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, setup_django  # noqa: E402
from bench.engines import process_cpu_seconds  # noqa: E402

TABLE = "events_auditevent"


def records(count: int) -> list:
    from auditui.events.normalize import normalize_event
    from bench.ingest import simulated

    return [normalize_event(event, cluster=cluster) for cluster, event in simulated(count)]


def backend_pid(cursor) -> int:
    cursor.execute("SELECT pg_backend_pid()")
    return cursor.fetchone()[0]


def empty(cursor) -> None:
    cursor.execute("TRUNCATE events_auditevent, events_hourlyeventcount")


def write_executemany(connection, batch: list) -> None:
    from django.db import transaction

    from auditui.events.store.sql_write import _insert_statement

    sql, rows = _insert_statement(connection, batch)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def write_copy(connection, batch: list) -> None:
    from auditui.events.store import pg_copy
    from auditui.events.store.sql_write import _INSERT_COLUMNS, _insert_statement

    pg_copy.insert(connection, _INSERT_COLUMNS, _insert_statement(connection, batch)[1])


def copy_only(then: str = "") -> Callable:
    """The COPY into a staging table of its own alone, then ``then`` (SQL), rows discarded."""

    def write(connection, batch: list) -> None:
        from django.db import transaction

        from auditui.events.store import pg_copy
        from auditui.events.store.sql_write import _INSERT_COLUMNS, _insert_statement

        create, copy_sql, _, types = pg_copy._statements(connection, _INSERT_COLUMNS)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(create.replace(pg_copy.STAGING, "bench_staging"))
            with cursor.cursor.copy(copy_sql.replace(pg_copy.STAGING, "bench_staging")) as copy:
                copy.set_types(types)
                for pos, row in enumerate(_insert_statement(connection, batch)[1]):
                    copy.write_row((pos, *row))
            if then:
                cursor.execute(then)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_staging")

    return write


@contextmanager
def no_trigger(cursor) -> Iterator[None]:
    cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


@contextmanager
def no_secondary_indexes(cursor) -> Iterator[None]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
        [TABLE],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        for _, definition in indexes:
            cursor.execute(definition)


@contextmanager
def as_is(cursor) -> Iterator[None]:
    yield


def measure(name: str, write: Callable, batches: list[list], setting: Callable) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        empty(cursor)
        pid = backend_pid(cursor)
        with setting(cursor):
            write(connection, batches[0])  # warm: the staging table, plans, caches
            empty(cursor)
            server, client, started = process_cpu_seconds(pid), time.process_time(), time.perf_counter()
            for batch in batches:
                write(connection, batch)
            seconds = time.perf_counter() - started
            client, server = time.process_time() - client, process_cpu_seconds(pid) - server
    events = sum(len(b) for b in batches)
    row = {"variant": name, "events_per_s": round(events / seconds), "server_us": round(server / events * 1e6, 1),
           "client_us": round(client / events * 1e6, 1)}
    print(f"{name:<32} {row['events_per_s']:>10,} {row['server_us']:>10} {row['client_us']:>10}", flush=True)
    return row


def explain(batch: list) -> None:
    from django.db import connection, transaction

    from auditui.events.store import pg_copy
    from auditui.events.store.sql_write import _INSERT_COLUMNS, _insert_statement

    create, copy_sql, insert_sql, types = pg_copy._statements(connection, _INSERT_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(create)
        with cursor.cursor.copy(copy_sql) as copy:
            copy.set_types(types)
            for pos, row in enumerate(_insert_statement(connection, batch)[1]):
                copy.write_row((pos, *row))
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, TIMING) {insert_sql}")
        print("\n".join(line for (line,) in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    data_dir = ROOT / "bench" / "out" / "postgres-write"
    shutil.rmtree(data_dir, ignore_errors=True)
    setup_django(data_dir)
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a PostgreSQL database this benchmark may empty")
    stored = records(args.events)
    batches = [stored[i:i + args.batch_size] for i in range(0, len(stored), args.batch_size)]
    print(f"{len(stored):,} events in batches of {args.batch_size}\n"
          f"{'variant':<32} {'events/s':>10} {'server µs':>10} {'client µs':>10}")
    measure("executemany", write_executemany, batches, as_is)
    measure("copy", write_copy, batches, as_is)
    measure("copy, no hourly trigger", write_copy, batches, no_trigger)
    measure("copy, no secondary indexes", write_copy, batches, no_secondary_indexes)
    measure("copy only", copy_only(), batches, as_is)
    measure("copy only, then raw::jsonb", copy_only("SELECT count(raw::jsonb) FROM bench_staging"), batches, as_is)
    with connection.cursor() as cursor:
        empty(cursor)
    explain(batches[len(batches) // 2])


if __name__ == "__main__":
    main()
