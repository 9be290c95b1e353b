"""The reports' section of /status/: runs behind schedule and recent failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from auditui import status
from reports.models import ReportRun

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def run(state: str, *, due: datetime | None = None, **fields) -> ReportRun:
    return ReportRun.objects.create(
        calico_id=f"daily_policy-audit_{ReportRun.objects.count()}", report_name="daily",
        report_type="policy-audit", start=T0 - timedelta(days=1), end=T0, state=state, next_attempt_at=due,
        **fields)


@pytest.mark.django_db
def test_it_says_all_is_well_with_nothing_waiting():
    run(ReportRun.SUCCEEDED, completed_at=T0)
    with time_machine.travel(T0, tick=False):
        section = status.collect()["report runs"]
    assert section.ok and section.summary == "0 behind schedule, 0 failed in the last 24 h"


@pytest.mark.django_db
def test_it_names_runs_waiting_past_their_time_and_recent_failures():
    late = run(ReportRun.PENDING, due=T0)
    run(ReportRun.FAILED, completed_at=T0, error="the event store cannot take events")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        section = status.collect()["report runs"]
    assert not section.ok
    assert section.details["behind_schedule"] == [late.calico_id]
    assert section.details["failed"][0]["error"] == "the event store cannot take events"
