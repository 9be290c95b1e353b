"""Streamed CSV / JSON exports of a search, capped so that one click cannot dump a year of events."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

import orjson
from django.conf import settings

from auditui.events.normalize import AuditRecord
from auditui.events.representation import record_json
from auditui.events.store import EventQuery, get_store

DEFAULT_COLUMNS = (
    "time", "cluster", "verb", "user.username", "objectRef.namespace", "objectRef.resource", "objectRef.name",
    "responseStatus.code", "sourceIPs", "auditID",
)
_PAGE = 1000


def export_cap() -> int:
    return settings.AUDITUI_EXPORT_MAX_ROWS


def iter_records(q: EventQuery, cap: int) -> Iterator[AuditRecord]:
    """Matching records newest first, at most ``cap``, fetched page by page (bounded memory)."""
    store = get_store()
    cursor, sent = None, 0
    while sent < cap:
        page = store.search(q, page_size=min(_PAGE, cap - sent), cursor=cursor)
        yield from page.records
        sent += len(page.records)
        cursor = page.next_cursor
        if cursor is None:
            return


def column_value(record: AuditRecord, key: str) -> str:
    """A cell: indexed fields from the record, anything else from the raw event (JSON if not text)."""
    from auditui.events.query.fields import column_for, raw_values

    column = column_for(key)
    if column is not None:
        value = getattr(record, column.name)
    else:
        found = list(raw_values(record.raw, key))
        value = found[0] if len(found) == 1 else (found or "")
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return ";".join(str(v) if not isinstance(v, dict | list) else orjson.dumps(v).decode() for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


def csv_lines(records: Iterator[AuditRecord], columns: Sequence[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    yield flush()
    for record in records:
        writer.writerow([_safe_cell(column_value(record, c)) for c in columns])
        yield flush()


def _safe_cell(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): an audit field is attacker-controlled text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def json_chunks(records: Iterator[AuditRecord]) -> Iterator[bytes]:
    """A JSON array of events (indexed fields and the whole event), written as it is read."""
    yield b"["
    first = True
    for record in records:
        yield (b"" if first else b",\n") + orjson.dumps(record_json(record))
        first = False
    yield b"]\n"
