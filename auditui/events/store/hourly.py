"""HourlyEventCount kept at ingest: the events a write really inserted, counted per
(hour, cluster, namespace, verb) in Python and added with one upsert per batch.

This replaced an AFTER INSERT trigger (issue 18): the trigger ran one upsert per event, and on
SQLite it made every row's INSERT open a statement journal (a temporary file that received a
copy of every page the row touched), which was most of ingest's system time. Deletes (purge,
or by hand) are still counted by the AFTER DELETE trigger (``rollup_sql``). The caller runs
``add`` in the transaction that inserted the events, so both commit or neither does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from auditui.events.normalize import AuditRecord
from auditui.events.rollup_sql import COUNTS
from auditui.events.store.rollup import HOUR

_KEY_COLUMNS = ("hour", "cluster", "namespace", "verb")


def count_key(record: AuditRecord) -> tuple[int, str, str, str]:
    """(hour, cluster, namespace, verb): the hour starts in epoch seconds, as the rollup reads it
    (the delete trigger computes the same from the stored time)."""
    return int(record.time.timestamp()) // HOUR * HOUR, record.cluster, record.namespace, record.verb


def upsert_sql(connection) -> str:
    quote = connection.ops.quote_name
    table = quote(COUNTS)
    columns = ", ".join(quote(c) for c in (*_KEY_COLUMNS, "count"))
    keys = ", ".join(quote(c) for c in _KEY_COLUMNS)
    count = quote("count")
    return (
        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT ({keys}) DO UPDATE SET {count} = {table}.{count} + EXCLUDED.{count}"
    )


def add(connection, keys: Iterable[tuple[int, str, str, str]]) -> None:
    """Add the ``count_key`` of each event inserted (never of a duplicate) to the hourly counts."""
    counts = Counter(keys)
    if not counts:
        return
    rows = [(*key, n) for key, n in sorted(counts.items())]  # sorted: one lock order for every writer
    with connection.cursor() as cursor:
        cursor.executemany(upsert_sql(connection), rows)
