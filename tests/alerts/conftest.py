"""Rules and events for the alerts suites: applied through the real kind handlers, events through
the real ingest path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.alerts.servers import http_receiver, smtp_server  # noqa: F401 - fixtures of this package
from tests.factories import audit_event

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def alert_document(name: str, **spec: Any) -> dict[str, Any]:
    body = {"description": f"{name} fired", "severity": 80, "dataSet": "audit", "period": "5m", "lookback": "10m"}
    body.update(spec)
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalAlert", "metadata": {"name": name}, "spec": body}


@pytest.fixture
def make_alert(db):
    """``make_alert(name, **spec)`` → the GlobalAlert, applied as ``apply`` would, due at T0."""
    from alerts.models import GlobalAlert
    from alerts.resources import GlobalAlertKind

    def _make(name: str, **spec: Any) -> GlobalAlert:
        kind = GlobalAlertKind()
        kind.apply(kind.validate(alert_document(name, **spec)))
        alert = GlobalAlert.objects.get(name=name)
        GlobalAlert.objects.filter(pk=alert.pk).update(next_run_at=T0)
        return GlobalAlert.objects.get(pk=alert.pk)

    return _make


@pytest.fixture
def pod_created(ingest):
    """``pod_created(namespace, at, name=…, cluster=…)``: a pod created at that instant."""

    def _created(namespace: str, at: datetime, *, name: str = "web", cluster: str = "c1", **kw: Any) -> dict:
        event = audit_event(verb="create", resource="pods", namespace=namespace, name=name, time=at, **kw)
        ingest([event], cluster=cluster)
        return event

    return _created


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
