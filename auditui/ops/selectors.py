"""Reads for the status page, the status API and readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from auditui import status
from auditui.access.scope import ViewerScope
from auditui.events.store import EventQuery, get_store


@dataclass(frozen=True)
class SystemStatus:
    at: datetime
    sections: dict[str, status.Section]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sections.values())


def system_status() -> SystemStatus:
    return SystemStatus(at=timezone.now(), sections=status.collect())


def status_json(report: SystemStatus) -> dict:
    return {
        "ok": report.ok,
        "at": report.at.isoformat().replace("+00:00", "Z"),
        "sections": {name: {"ok": s.ok, "summary": s.summary, "details": s.details}
                     for name, s in report.sections.items()},
    }


def readiness() -> dict[str, tuple[bool, str]]:
    return {"database": _database_answers(), "event_store": _store_answers()}


def _database_answers() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return False, type(exc).__name__
    return True, connection.vendor


def _store_answers() -> tuple[bool, str]:
    try:
        store = get_store()
        store.count(EventQuery(scope=ViewerScope.all(), start=timezone.now() - timedelta(minutes=1)))
    except Exception as exc:  # noqa: BLE001 - StoreUnavailable, a connection refused, a bad URL
        return False, f"{type(exc).__name__}: {exc}"[:300]
    return True, type(store).__name__
