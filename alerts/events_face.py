"""Everything ``alerts`` borrows from the events package, in one place.

The events package is being reorganised (issue 13: a field registry, viewer-time helpers and the
query-text builder move to modules of their own). Importing those helpers here, and only here,
lets the move be followed by editing this module alone. No helper body is copied.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from auditui.events.query.fields import column_for


def store_field(key: str) -> str | None:
    """The store's indexed field behind a query key (``objectRef.name`` → ``name``), or None."""
    column = column_for(key)
    return column.name if column is not None else None


def record_trail(*, verb: str, name: str, user: Any = None, request_object: dict | None = None) -> None:
    """A change to an alert rule in auditui's own audit trail (after the transaction commits)."""
    from auditui.events import trail

    trail.record(verb=verb, resource="globalalerts", name=name, user=user,
                 request_object=request_object, after_commit=True)


def events_page_url(query: Any, equals: dict[str, Any], *, start: datetime, end: datetime) -> str:
    """The events page showing what a query AND ``key = value`` for each of ``equals`` matches in
    ``[start, end)``. Built from nodes and printed with ``to_text`` until the events package
    offers its text builder outside its page module (issue 13)."""
    from auditui.events.query import And, Compare, escape, to_text

    clauses = [Compare(key, "=", escape(str(value))) for key, value in equals.items() if value not in (None, "")]
    parts = ([query] if query is not None else []) + clauses
    node = parts[0] if len(parts) == 1 else And(tuple(parts)) if parts else None
    params = {"query": to_text(node) if node is not None else "", "start": _iso(start), "end": _iso(end)}
    return "/events/?" + urlencode(params)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
