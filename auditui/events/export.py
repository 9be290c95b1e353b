"""Streamed CSV / JSON exports of a search, capped so that one click cannot dump a year of events."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator, Sequence

from django.conf import settings

from auditui.events import safe_json
from auditui.events.normalize import AuditRecord
from auditui.events.query.fields import column_for, raw_values
from auditui.events.representation import record_json
from auditui.events.store import EventQuery, get_store
from auditui.events.store import deadline as read_deadline

DEFAULT_COLUMNS = (
    "time", "cluster", "verb", "user.username", "objectRef.namespace", "objectRef.resource", "objectRef.name",
    "responseStatus.code", "sourceIPs", "auditID",
)
_PAGE = 1000
logger = logging.getLogger(__name__)


# Caps on ``columns=``: each column is looked up in every exported event.
MAX_COLUMNS = 100
MAX_COLUMN_KEY = 200


class ColumnsError(ValueError):
    """``columns=`` asks for more than an export gives; the message says the limit."""


def parse_columns(text: str) -> list[str]:
    """The comma-separated column keys of ``columns=`` (empty: the default columns)."""
    columns = [c.strip() for c in text.split(",") if c.strip()]
    if len(columns) > MAX_COLUMNS:
        raise ColumnsError(f"columns: at most {MAX_COLUMNS} columns, not {len(columns)}")
    too_long = next((c for c in columns if len(c) > MAX_COLUMN_KEY), None)
    if too_long is not None:
        raise ColumnsError(f"columns: each column key has at most {MAX_COLUMN_KEY} characters, "
                           f"one has {len(too_long)}")
    return columns


def export_cap() -> int:
    return settings.AUDITUI_EXPORT_MAX_ROWS


def iter_records(q: EventQuery, cap: int, *, page_seconds: float | None = None) -> Iterator[AuditRecord]:
    """Matching records newest first, at most ``cap``, fetched page by page (bounded memory).

    ``page_seconds``: each page's read has that long (``deadline.limit``). A streamed response
    is written after its request's own time limit has ended, so without this one slow page
    could hold the store for as long as the download lasts; with it, the export stops there and
    says so (``QueryTimeout``, written as the file's last line)."""
    store = get_store()
    cursor, sent = None, 0
    while sent < cap:
        with read_deadline.limit(page_seconds):
            page = store.search(q, page_size=min(_PAGE, cap - sent), cursor=cursor)
        yield from page.records
        sent += len(page.records)
        cursor = page.next_cursor
        if cursor is None:
            return


def column_value(record: AuditRecord, key: str) -> str:
    """A cell: indexed fields from the record, anything else from the raw event (JSON if not text)."""
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
        return LIST_SEPARATOR.join(_scalar_text(v) for v in value)
    return _scalar_text(value)


def _scalar_text(value: object) -> str:
    if isinstance(value, dict | list):
        return safe_json.dumps(value).decode()
    return safe_json.text(value)


# --- CSV ---------------------------------------------------------------------------------------

LIST_SEPARATOR = ";"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_lines(records: Iterator[AuditRecord], columns: Sequence[str]) -> Iterator[str]:
    """CSV of the records, every cell quoted and defused (the header too: it comes from the URL).
    An event that cannot be written is a row saying so, counted in a last row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)

    def row(cells: Sequence[str]) -> str:
        writer.writerow([safe_cell(c) for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield row(columns)
    failures = _Failures()
    for record in failures.guard(records):
        try:
            cells = [column_value(record, c) for c in columns]
        except Exception as exc:  # noqa: BLE001 - one event must not end the file for all the others
            yield row([f"# {failures.event(record, exc)}"])
            continue
        yield row(cells)
    if failures.summary:
        yield row([f"# {failures.summary}"])


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formulas: an audit field is attacker-controlled text. Also after
    each ``;``: list cells are joined with it, and a spreadsheet reading ``;`` as its delimiter
    would start a new cell there."""
    return LIST_SEPARATOR.join(_defused(part) for part in text.split(LIST_SEPARATOR))


def _defused(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --- JSON --------------------------------------------------------------------------------------

def json_chunks(records: Iterator[AuditRecord]) -> Iterator[bytes]:
    """A JSON array of events (indexed fields and the whole event), written as it is read. An
    event that cannot be written is an object saying so; a last object counts them."""
    yield b"["
    separator = b""
    failures = _Failures()
    for record in failures.guard(records):
        try:
            chunk = safe_json.dumps(record_json(record, writable=False))
        except Exception as exc:  # noqa: BLE001 - one event must not end the file for all the others
            chunk = safe_json.dumps({"id": _safe_id(record), "export_error": failures.event(record, exc)})
        yield separator + chunk
        separator = b",\n"
    if failures.summary:
        yield separator + safe_json.dumps({"export_incomplete": failures.summary, "events_not_written": failures.count})
    yield b"]\n"


# --- events that cannot be written -------------------------------------------------------------

class _Failures:
    """Counts what an export could not write, so that the file says it instead of ending early."""

    def __init__(self) -> None:
        self.count = 0
        self.stopped = ""

    def event(self, record: AuditRecord, exc: Exception) -> str:
        self.count += 1
        logger.warning("export: event %s could not be written", _safe_id(record), exc_info=exc)
        return f"event {_safe_id(record)} could not be written: {type(exc).__name__}"

    def guard(self, records: Iterator[AuditRecord]) -> Iterator[AuditRecord]:
        """The records, until the store fails: then the export ends, and its last line says so."""
        try:
            yield from records
        except Exception as exc:  # noqa: BLE001 - the file must say it is incomplete
            logger.exception("export stopped: the store failed")
            why = f": {exc}" if isinstance(exc, read_deadline.QueryTimeout) else ""
            self.stopped = f"the export stopped early: the event store failed ({type(exc).__name__}{why})"

    @property
    def summary(self) -> str:
        parts = [self.stopped] if self.stopped else []
        if self.count:
            parts.append(f"{self.count} event{'s' if self.count != 1 else ''} could not be written")
        return "; ".join(parts)


def _safe_id(record: AuditRecord) -> str:
    return safe_json.text(getattr(record, "id", "") or getattr(record, "audit_id", "") or "?")
