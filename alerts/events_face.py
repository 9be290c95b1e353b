"""Everything ``alerts`` borrows from the events package, in one place: its public face
(README "What other apps may use"), named here so that the rest of the app reads as alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse

from auditui.events import trail
from auditui.events.query import add_clause, store_field, to_text
from auditui.events.viewer_time import iso_micro
from auditui.links import href

__all__ = ["events_page_url", "record_trail", "store_field"]


def record_trail(*, verb: str, name: str, user: Any = None, request_object: dict | None = None) -> None:
    """A change to an alert rule in auditui's own audit trail (after the transaction commits)."""
    trail.record(verb=verb, resource="globalalerts", name=name, user=user,
                 request_object=request_object, after_commit=True)


def events_page_url(query: Any, equals: dict[str, Any], *, start: datetime, end: datetime) -> str:
    """The events page showing what a query AND ``key = value`` for each of ``equals`` matches in
    ``[start, end)``."""
    text = to_text(query) if query is not None else ""
    for key, value in equals.items():
        if value not in (None, ""):
            text = add_clause(text, key, value)
    return href(reverse("events:list"), {"query": text, "start": iso_micro(start), "end": iso_micro(end)})
