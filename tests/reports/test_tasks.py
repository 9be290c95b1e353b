"""The beat tick: due runs are handed to workers once their transaction commits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from auditui.celery import app
from reports import tasks
from reports.models import GlobalReport, ReportRun


@pytest.fixture
def eager():
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_it_plans_and_generates_due_reports_through_celery(db, django_capture_on_commit_callbacks, eager):
    with time_machine.travel(datetime(2026, 12, 1, 10, 15, tzinfo=UTC), tick=False):
        GlobalReport.objects.create(name="hourly", report_type="activity-summary", schedule="0 * * * *",
                                    spec={"reportType": "activity-summary", "schedule": "0 * * * *"})
    with time_machine.travel(datetime(2026, 12, 1, 11, 31, tzinfo=UTC), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_due_reports() == 1
    run = ReportRun.objects.get()
    assert run.state == ReportRun.SUCCEEDED and run.formats == ["summary.csv", "summary.html"]
    assert "dispatch-due-reports" in app.conf.beat_schedule
