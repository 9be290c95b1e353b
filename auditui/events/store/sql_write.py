"""Writing a batch of events into the SQL store's table: each record as its row, and the
INSERT that stores the rows not stored before and says which they were (the hourly counts and the
per-object summary count those, never duplicates).

SQLite: ``executemany`` of one-row INSERTs in a transaction that holds the one write lock, so
the ids above the highest before are the rows inserted. PostgreSQL: ``COPY`` into a staging table
and one ``INSERT … SELECT … RETURNING`` (``pg_copy``), a plain INSERT for a lone record. Rows can
also be built ahead by another process (``PreparedRow``, ``ingest_ahead``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import NamedTuple

import orjson
from django.db import DataError, IntegrityError
from django.utils import timezone

from auditui.events import fields
from auditui.events.models import AuditEvent
from auditui.events.normalize import AuditRecord, has_bodies
from auditui.events.object_summary import changes_of, followed_kinds
from auditui.events.sanitize import SANITIZED_KEY, make_safe
from auditui.events.store import hourly, pg_copy

RECORD_FIELDS = (*fields.COLUMNS, "raw")
COLUMN_FIELDS = tuple(name for name in RECORD_FIELDS if name != "raw")
# Columns computed from the raw event at write time (not part of AuditRecord).
_DERIVED_FIELDS = ("has_request_object", "has_response_object")

_JSON_COLUMNS = frozenset({"user_groups", "source_ips", "raw"})
# What the database (or the driver, adapting a value) raises for a value it cannot hold.
RECORD_ERRORS = (DataError, IntegrityError, ValueError, TypeError, OverflowError, RecursionError)


def reason(exc: Exception) -> str:
    """The database's first line, short (it can quote the whole value)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _json_text(value) -> str:
    """orjson, or the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


# A float of 19 digits or more before the point, as orjson writes it (1e30, 1.2e+19): PostgreSQL
# keeps it as numeric and gives it back as an integer of that many digits, which orjson (pages,
# exports) refuses. The exponent ends the number (a comma or bracket follows in orjson's compact
# text): without that, hex ids ("…5e21…") sent a third of the events through the slow look;
# starting at the literal "e" lets the regex engine scan fast. Strings can still match: those
# events are only looked through.
_BIG_FLOAT = re.compile(rb"e\+?(?:19|[2-9][0-9]|[1-3][0-9][0-9])[,\]}]")


def _postgres_raw(record: AuditRecord) -> str:
    """The raw event as PostgreSQL will hold it: floats beyond 64-bit integers as their text
    (``sanitize``), which ingest's reader does not look for (it would cost every event)."""
    try:
        text = orjson.dumps(record.raw)
    except TypeError:  # integers beyond 64 bits (a record not from ingest's reader)
        text = None
    if text is not None and not _BIG_FLOAT.search(text):
        return text.decode()
    cleaned, notes = make_safe(record.raw)
    if notes:
        earlier = cleaned.get(SANITIZED_KEY)
        cleaned[SANITIZED_KEY] = [*(earlier if isinstance(earlier, list) else []), *notes]
        record.raw = cleaned
    return _json_text(record.raw)


_INSERT_COLUMNS = (*RECORD_FIELDS, *_DERIVED_FIELDS, "ingested_at")


def _insert_head(connection) -> tuple[str, str]:
    """``INSERT INTO events (columns)`` and the placeholders of one row."""
    columns = _INSERT_COLUMNS
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    placeholders = ", ".join(f"%s{json_cast}" if c in _JSON_COLUMNS else "%s" for c in columns)
    quote = connection.ops.quote_name
    return f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({', '.join(quote(c) for c in columns)})", placeholders


def _insert_sql(connection) -> str:
    head, placeholders = _insert_head(connection)
    return f"{head} VALUES ({placeholders}) ON CONFLICT DO NOTHING"


def _insert_statement(connection, records: Sequence[AuditRecord]) -> tuple[str, list[tuple]]:
    sql = _insert_sql(connection)
    postgres = connection.vendor == "postgresql"
    adapt_time = _sqlite_time if _utc_sqlite(connection) else connection.ops.adapt_datetimefield_value
    now = adapt_time(timezone.now())
    return sql, [_row(record, adapt_time, now, postgres) for record in records]


_COLUMN_VALUES = attrgetter(*COLUMN_FIELDS)
_JSON_AT = tuple(i for i, name in enumerate(COLUMN_FIELDS) if name in _JSON_COLUMNS)
_TIME_AT = tuple(i for i, name in enumerate(COLUMN_FIELDS) if name in ("time", "stage_time"))


def _row(record: AuditRecord, adapt_time, now, postgres: bool) -> tuple:
    """One row's values, in ``_insert_head``'s column order. Built for every event stored, so
    with one attrgetter rather than a getattr per column (issue 18: it was a fifth of ingest)."""
    row = list(_COLUMN_VALUES(record))
    for i in _JSON_AT:
        row[i] = _json_text(row[i])
    for i in _TIME_AT:
        if row[i] is not None:
            row[i] = adapt_time(row[i])
    raw = record.raw
    row += (_postgres_raw(record) if postgres else _json_text(raw), *has_bodies(raw), now)
    return tuple(row)


def _utc_sqlite(connection) -> bool:
    return connection.vendor == "sqlite" and connection.timezone_name == "UTC"


def _sqlite_time(value: datetime) -> str:
    """What Django's SQLite ``adapt_datetimefield_value`` writes for an aware time on a UTC
    connection (``str`` of the naive UTC time), without its per-value settings lookups."""
    if value.tzinfo is UTC:  # the usual case: the same text without the copy (isoformat ends "+00:00")
        return value.isoformat(" ")[:-6]
    return str(value.astimezone(UTC).replace(tzinfo=None))


def inserted_rows(connection, cursor, records: Sequence[AuditRecord]) -> list[AuditRecord]:
    """Insert ``records``, skipping those already stored; the records really inserted (the
    first of two with the same identity, when a batch holds both)."""
    if connection.vendor == "sqlite":
        return _sqlite_inserted(connection, cursor, records)
    return _returning_inserted(connection, cursor, records)


def _sqlite_inserted(connection, cursor, records: Sequence[AuditRecord]) -> list[AuditRecord]:
    sql, rows = _insert_statement(connection, records)
    return _sqlite_insert_rows(connection, cursor, records, sql, rows)


def _sqlite_insert_rows(connection, cursor, items: Sequence, sql: str, rows: Iterable[tuple]) -> list:
    """``executemany`` of one-row INSERTs (without a trigger SQLite needs no statement journal
    for them); the items (records or ``PreparedRow``) whose rows were inserted. The transaction
    holds SQLite's one write lock from its start (BEGIN IMMEDIATE, settings), so the rows with
    ids above the highest id before are exactly the ones inserted: read back only when the
    count says some were duplicates."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    cursor.execute(f"SELECT max(id) FROM {table}")
    highest = cursor.fetchone()[0] or 0
    cursor.executemany(sql, rows)
    if cursor.rowcount == len(items):
        return list(items)
    cursor.execute(f"SELECT cluster, audit_id, stage FROM {table} WHERE id > %s", [highest])
    return _with_keys(items, {tuple(row) for row in cursor.fetchall()})


class PreparedRow(NamedTuple):
    """A record as its row, built ahead by another process (``ingest_ahead``): the row's values,
    the event's identity and its hourly-count key. A tuple: it crosses a pipe. For PostgreSQL
    the values are those ``pg_copy.insert`` takes, but cross with the times as ISO text
    (``received_row`` makes them datetimes again): pickling a datetime cost 11 us a row against
    0.5 for its text, and parsing it back costs 0.1 us (issue 18)."""

    values: tuple
    key: tuple[str, str, str]
    count_key: tuple[int, str, str, str]
    # The record itself when it changed an object the per-object summary follows (a few in a
    # hundred): the summary needs more of it than the row.
    change: AuditRecord | None = None


def prepare_row(record: AuditRecord, now: str, kinds: frozenset[tuple[str, str]] | None = None, *,
                postgres: bool = False) -> PreparedRow:
    """A ``PreparedRow`` for SQLite on a UTC connection, or for PostgreSQL with ``postgres``
    (``prepared_rows_fit``); ``now`` from ``prepared_now(postgres)``; ``kinds``,
    ``followed_kinds()`` read once for many rows (reading the setting per row was a fifth of the
    reader's time, issue 18). Raises what building the row raises (a value no row can hold).
    A PostgreSQL row is written once ``received_row`` has made its times datetimes again."""
    if kinds is None:
        kinds = followed_kinds()
    # The kind test first, here: nearly every record fails it, and changes_of costs a list.
    followed = record.name and (record.api_group, record.resource) in kinds
    change = record if followed and changes_of([record], kinds) else None
    values = _row(record, _iso_time if postgres else _sqlite_time, now, postgres)
    return PreparedRow(values, record.key, hourly.count_key(record), change)


def prepared_now(postgres: bool = False) -> str:
    return (_iso_time if postgres else _sqlite_time)(timezone.now())


def _iso_time(value: datetime) -> str:
    return value.isoformat()


def prepared_rows_fit(connection) -> bool:
    """Whether rows built by ``prepare_row`` are what this connection would write."""
    return _utc_sqlite(connection) or connection.vendor == "postgresql"


_PREPARED_TIME_AT = (*_TIME_AT, len(_INSERT_COLUMNS) - 1)  # and ingested_at, the last column


def received_row(row: tuple, postgres: bool) -> PreparedRow:
    """The ``PreparedRow`` of a plain tuple that crossed the pipe; PostgreSQL's with its times
    as datetimes again (the binary COPY takes a timestamptz as a datetime)."""
    prepared = PreparedRow._make(row)
    return prepared._replace(values=_postgres_values(prepared.values)) if postgres else prepared


def _postgres_values(values: tuple) -> tuple:
    row = list(values)
    for i in _PREPARED_TIME_AT:
        if row[i] is not None:
            row[i] = datetime.fromisoformat(row[i])
    return tuple(row)


def prepared_inserted(connection, cursor, prepared: Iterable[PreparedRow],
                      taken: list[PreparedRow] | None = None) -> list[PreparedRow]:
    """Insert ``prepared``, which may be rows still arriving (an iterator): each goes into
    ``taken`` as it is read, so that the caller has the rows read when the database refuses one.
    On PostgreSQL they stream into the COPY as they arrive; a lone row (bisected) takes the
    plain INSERT, whose refusal is the reason given."""
    taken = [] if taken is None else taken

    def values() -> Iterator[tuple]:
        for row in prepared:
            taken.append(row)
            yield row.values

    if connection.vendor == "sqlite":
        return _sqlite_insert_rows(connection, cursor, taken, _insert_sql(connection), values())
    if isinstance(prepared, Sequence) and len(prepared) == 1:
        taken.extend(prepared)
        return _returning_rows(connection, cursor, taken, [prepared[0].values])
    inserted = pg_copy.insert(connection, _INSERT_COLUMNS, values())
    return _with_keys(taken, inserted)


def _returning_inserted(connection, cursor, records: Sequence[AuditRecord]) -> list[AuditRecord]:
    _sql, rows = _insert_statement(connection, records)
    return _returning_rows(connection, cursor, records, rows)


def _returning_rows(connection, cursor, items: Sequence, rows: list[tuple]) -> list:
    """The items (records or ``PreparedRow``) whose rows were inserted, as the database's
    RETURNING names them (PostgreSQL: concurrent writers interleave ids, so only the statement
    itself can say which rows were its own)."""
    if len(rows) > 1:
        # COPY and one INSERT … SELECT (pg_copy); a single record takes the plain INSERT below,
        # whose refusal is the reason given when a bisected record is rejected.
        return _with_keys(items, pg_copy.insert(connection, _INSERT_COLUMNS, rows))
    if not rows:
        return []
    cursor.execute(f"{_insert_sql(connection)} RETURNING cluster, audit_id, stage", rows[0])
    return _with_keys(items, {tuple(row) for row in cursor.fetchall()})


def _with_keys(records: Sequence, keys: set[tuple]) -> list:
    """The records whose identity is in ``keys``, each identity once (its first record)."""
    found = []
    for record in records:
        if record.key in keys:
            keys.discard(record.key)
            found.append(record)
    return found
