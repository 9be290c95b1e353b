"""PostgreSQL ingest through ``COPY`` (issue 18): a batch's rows are copied into a staging table
of the session, then moved into the events table by one ``INSERT … SELECT … ON CONFLICT DO
NOTHING … RETURNING``.

Why: ``executemany`` of a one-row INSERT costs the server a parse, bind and execute per event
(and the client a message each); COPY streams the batch in one message, and the one INSERT
plans once. What stays as it was:

* the database decides what is a duplicate (the unique key, exact under concurrent writers):
  ``RETURNING`` gives back the rows really inserted, the rest of the batch were duplicates;
* the caller counts the rows really inserted into the hourly counts (``hourly``), from the
  identities ``RETURNING`` gives back;
* the first of two copies of one event within a batch is the one stored, and ids follow the
  batch's order (``ORDER BY pos``): "newest" ties go to the highest id, the one stored last;
* a value the database refuses fails the whole COPY: the caller (``SqlEventStore._insert``)
  then bisects the batch, down to plain INSERTs of single records, so that the refused record is
  rejected alone with the database's reason.

The staging table is ``TEMP … ON COMMIT DELETE ROWS``: private to the session, never written to
the WAL, emptied by the commit that ends each batch. It is created with ``IF NOT EXISTS`` by every
batch (a catalog lookup), not remembered: a rolled-back transaction (a test's, or the caller's)
takes its creation back with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Field

from auditui.events.models import AuditEvent

STAGING = "auditui_ingest_staging"


# How each kind of column travels in the binary COPY: (staging column type, wire type, cast into
# the events table); others as the events table has them, sent as text. JSON columns travel as
# their text (the store has it as text already), cast to ``jsonb`` by the INSERT: psycopg's binary
# jsonb dumper would encode a str as a JSON string. Integers travel as int8: psycopg's binary int4
# dumper silently wraps a value past 32 bits (2**40 arrives as 0), int8 raises past 64, and the
# cast to integer makes PostgreSQL refuse what the column cannot hold, as the one-row INSERT does.
_STAGED = {
    "JSONField": ("text", "text", "::jsonb"),
    "IntegerField": ("bigint", "int8", "::integer"),
    "DateTimeField": (None, "timestamptz", ""),
    "BooleanField": (None, "bool", ""),
}


def _concrete_field(name: str) -> Field:
    field = AuditEvent._meta.get_field(name)
    assert isinstance(field, Field), name  # the events table has no relations
    return field


def _statements(connection, columns: Sequence[str]) -> tuple[str, str, str, list[str]]:
    """CREATE of the staging table (no constraints: the INSERT into the events table checks
    them), its COPY, the INSERT … SELECT from it, and the COPY's wire types."""
    quote = connection.ops.quote_name
    fields = [_concrete_field(name) for name in columns]
    staged = [_STAGED.get(field.get_internal_type(), (None, "text", "")) for field in fields]
    definitions = ", ".join(f"{quote(field.column)} {kind or field.db_type(connection)}"
                            for field, (kind, _wire, _cast) in zip(fields, staged, strict=True))
    names = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(f"{quote(field.column)}{cast}"
                       for field, (_kind, _wire, cast) in zip(fields, staged, strict=True))
    create = f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} (pos integer, {definitions}) ON COMMIT DELETE ROWS"
    copy = f"COPY {STAGING} (pos, {names}) FROM STDIN (FORMAT BINARY)"
    insert = (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({names}) SELECT {values} FROM {STAGING} ORDER BY pos "
        "ON CONFLICT DO NOTHING RETURNING cluster, audit_id, stage"
    )
    return create, copy, insert, ["int4", *(wire for _kind, wire, _cast in staged)]


def insert(connection, columns: Sequence[str], rows: Iterable[tuple]) -> set[tuple[str, str, str]]:
    """Store ``rows`` (values in the order of ``columns``, as the one-row INSERT takes them; they
    may still be arriving: each is copied as it comes);
    the identities (cluster, audit id, stage) of the rows really inserted. Raises what the
    database (or the driver) raises for a value it refuses: the batch is then stored by nothing,
    and the caller bisects it."""
    create, copy_sql, insert_sql, types = _statements(connection, columns)
    # Inside a caller's transaction the commit that empties the staging table comes later: the
    # batch's rows are deleted here, or the next batch would move them again.
    nested = connection.in_atomic_block
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(create)
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            copy.set_types(types)
            for pos, row in enumerate(rows):
                copy.write_row((pos, *row))
        cursor.execute(insert_sql)
        inserted = {tuple(row) for row in cursor.fetchall()}
        if nested:
            cursor.execute(f"DELETE FROM {STAGING}")
        return inserted
