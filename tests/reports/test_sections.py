"""Sections other apps add to the activity summary, through a setting (no import of theirs)."""

from __future__ import annotations

from datetime import UTC, datetime

from reports import files
from reports.runs import report_run_now
from tests.reports.test_generate import END, START, report


def fired_alerts(start: datetime, end: datetime) -> dict:
    return {"title": "Alerts fired", "columns": ["alert", "count"], "rows": [["policy.pod", 3]]}


def broken(start: datetime, end: datetime) -> dict:
    raise RuntimeError("the alerts app is down")


def test_it_adds_the_sections_of_other_apps_and_leaves_out_failing_ones(db, settings):
    here = "tests.reports.test_sections"
    settings.AUDITUI_SUMMARY_SECTIONS = [f"{here}.broken", f"{here}.fired_alerts"]
    run = report_run_now(report("activity-summary"), start=START, end=END)
    html = files.read(run.calico_id, "summary.html").decode()
    assert "Alerts fired" in html and "policy.pod" in html
    assert run.start == datetime(2026, 11, 20, tzinfo=UTC)
