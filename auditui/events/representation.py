"""How an event is shown outside the app (API responses, JSON exports): one shape everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditui.events import safe_json
from auditui.events.normalize import AuditRecord

if TYPE_CHECKING:
    from rest_framework.request import Request


def record_json(record: AuditRecord, request: Request | None = None, *, writable: bool = True) -> dict:
    """One event as the API shows it: the indexed fields, then the whole event (``writable``:
    made writable by any JSON writer; callers that write with ``safe_json`` skip that pass)."""
    data = {
        "id": record.id,
        "cluster": record.cluster,
        "time": record.time.isoformat().replace("+00:00", "Z"),
        "audit_id": record.audit_id,
        "stage": record.stage,
        "level": record.level,
        "verb": record.verb,
        "username": record.username,
        "groups": record.user_groups,
        "impersonated_user": record.impersonated_user,
        "source_ips": record.source_ips,
        "user_agent": record.user_agent,
        "resource": record.resource,
        "subresource": record.subresource,
        "api_group": record.api_group,
        "api_version": record.api_version,
        "namespace": record.namespace,
        "name": record.name,
        "response_code": record.response_code,
        "decision": record.decision,
        "request_uri": record.request_uri,
        "source": record.source,
    }
    if request is not None:
        data["url"] = request.build_absolute_uri(f"/events/{record.id}/")
    # What orjson cannot write (300-level nesting, huge integers) comes back with a marker
    # in its place, so that one such event never fails a whole page of answers.
    data["event"] = safe_json.writable(record.raw) if writable else record.raw
    return data
