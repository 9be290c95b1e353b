"""Builders for realistic audit events and users (personas) used across the suites."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

_counter = itertools.count(1)
BASE_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_event(
    *,
    verb: str = "get",
    resource: str = "pods",
    namespace: str | None = "default",
    name: str | None = "web-1",
    username: str = "alice@example.com",
    groups: list[str] | None = None,
    code: int = 200,
    time: datetime | None = None,
    stage: str = "ResponseComplete",
    level: str = "Metadata",
    api_group: str = "",
    audit_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An ``audit.k8s.io/v1`` Event as the API server writes it."""
    moment = time or BASE_TIME + timedelta(seconds=next(_counter))
    object_ref: dict[str, Any] = {"resource": resource, "apiVersion": "v1"}
    if api_group:
        object_ref["apiGroup"] = api_group
    if namespace:
        object_ref["namespace"] = namespace
    if name:
        object_ref["name"] = name
    prefix = f"/apis/{api_group}/v1" if api_group else "/api/v1"
    ns_part = f"/namespaces/{namespace}" if namespace else ""
    event = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": level,
        "auditID": audit_id or str(uuid.uuid4()),
        "stage": stage,
        "requestURI": f"{prefix}{ns_part}/{resource}" + (f"/{name}" if name else ""),
        "verb": verb,
        "user": {"username": username, "groups": ["system:authenticated"] if groups is None else groups},
        "sourceIPs": ["10.0.0.7"],
        "userAgent": "kubectl/v1.31.0 (linux/amd64) kubernetes/abc1234",
        "objectRef": object_ref,
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": rfc3339(moment),
        "stageTimestamp": rfc3339(moment + timedelta(milliseconds=12)),
        "annotations": {"authorization.k8s.io/decision": "allow" if code != 403 else "forbid"},
    }
    event.update(extra)
    return event


def event_list(events: list[dict]) -> dict[str, Any]:
    return {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": events}
