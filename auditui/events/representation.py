"""How an event is shown outside the app (API responses, JSON exports): one shape everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from auditui.events import safe_json
from auditui.events.fields import API_FIELDS
from auditui.events.normalize import AuditRecord

if TYPE_CHECKING:
    from rest_framework.request import Request


def record_json(record: AuditRecord, request: Request | None = None, *, writable: bool = True) -> dict:
    """One event as the API shows it: the indexed fields, then the whole event (``writable``:
    made writable by any JSON writer; callers that write with ``safe_json`` skip that pass)."""
    data: dict = {"id": record.id}
    for field in API_FIELDS:  # the indexed fields, named and ordered by the registry
        value = getattr(record, field.column)
        data[field.api] = value.isoformat().replace("+00:00", "Z") if field.kind == "time" else value
    if request is not None:
        data["url"] = request.build_absolute_uri(reverse("events:detail", args=[record.id]))
    # What orjson cannot write (300-level nesting, huge integers) comes back with a marker
    # in its place, so that one such event never fails a whole page of answers.
    data["event"] = safe_json.writable(record.raw) if writable else record.raw
    return data
