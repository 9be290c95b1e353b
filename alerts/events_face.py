"""Everything ``alerts`` borrows from the events package, in one place.

The events package is being reorganised (issue 13: a field registry, viewer-time helpers and the
query-text builder move to modules of their own). Importing those helpers here, and only here,
lets the move be followed by editing this module alone. No helper body is copied.
"""

from __future__ import annotations

from typing import Any

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
