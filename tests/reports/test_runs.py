"""The schedule as data: intervals, the start delay, catching up, exactly-once claims, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from reports import runs
from reports.models import GlobalReport, ReportRun
from reports.presenters import report_status
from tests.reports.conftest import run_command

T0 = datetime(2026, 12, 1, 10, 15, tzinfo=UTC)


def hourly(name: str = "hourly-audit", report_type: str = "policy-audit", **fields) -> GlobalReport:
    with time_machine.travel(T0, tick=False):
        return GlobalReport.objects.create(
            name=name, report_type=report_type, schedule="0 * * * *",
            spec={"reportType": report_type, "schedule": "0 * * * *"}, **fields)


def intervals(report: GlobalReport) -> list[tuple[datetime, datetime]]:
    return list(report.runs.filter(on_demand=False).order_by("start").values_list("start", "end"))


def test_it_starts_an_interval_the_delay_after_it_ends(db):
    report = hourly()
    assert runs.runs_plan(now=datetime(2026, 12, 1, 11, 29, tzinfo=UTC)) == []
    due = runs.runs_plan(now=datetime(2026, 12, 1, 11, 30, tzinfo=UTC))
    assert len(due) == 1
    assert intervals(report) == [(datetime(2026, 12, 1, 10, tzinfo=UTC), datetime(2026, 12, 1, 11, tzinfo=UTC))]


def test_it_follows_the_delay_setting(db, settings):
    settings.AUDITUI_REPORT_DELAY = "5m"
    report = hourly()
    runs.runs_plan(now=datetime(2026, 12, 1, 11, 5, tzinfo=UTC))
    assert len(intervals(report)) == 1


def test_it_plans_each_interval_once_however_often_it_is_asked(db):
    report = hourly()
    now = datetime(2026, 12, 1, 15, 45, tzinfo=UTC)
    first = runs.runs_plan(now=now)
    GlobalReport.objects.filter(pk=report.pk).update(scheduled_until=None)  # a beat that planned from stale data
    assert runs.runs_plan(now=now) == first
    assert [end.hour for _, end in intervals(report)] == [11, 12, 13, 14, 15]


def test_it_catches_up_missed_intervals_oldest_first_up_to_168_hours(db):
    report = hourly(suspend=True)
    now = datetime(2026, 12, 20, 0, 30, tzinfo=UTC)
    assert runs.runs_plan(now=now) == []  # suspended: nothing
    GlobalReport.objects.filter(pk=report.pk).update(suspend=False)
    due = runs.runs_plan(now=now)
    planned = intervals(report)
    assert planned[0][0] == now.replace(minute=0) - timedelta(hours=168)
    assert planned[-1][1] == datetime(2026, 12, 20, 0, tzinfo=UTC)
    assert len(planned) == 168
    ends = [ReportRun.objects.get(pk=i).end for i in due]
    assert ends == sorted(ends)


def test_it_retries_with_backoff_then_fails_with_the_reason(db, settings):
    settings.AUDITUI_REPORT_MAX_ATTEMPTS = 2
    settings.EVENT_STORE_URL = "opensearch://127.0.0.1:1"  # nothing listens: the store is unavailable
    report = hourly()
    now = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
    [run_id] = runs.runs_plan(now=now)
    assert runs.run_execute(run_id, now=now) == ReportRun.PENDING
    run = ReportRun.objects.get(pk=run_id)
    assert run.error and run.next_attempt_at > now
    assert runs.run_execute(run_id, now=now) == "skipped"  # not due before its backoff
    assert runs.run_execute(run_id, now=run.next_attempt_at) == ReportRun.FAILED
    run.refresh_from_db()
    assert run.error.startswith("failed after 2 attempts")
    status = report_status(report)
    assert status["lastFailedReportJobs"][0]["end"] == "2026-12-01T11:00:00Z"
    assert "activeReportJobs" not in status


def test_it_fails_report_types_it_cannot_generate_with_the_reason(db):
    from reports.models import GlobalReportType

    GlobalReportType.objects.create(name="custom", spec={"uiSummaryTemplate": {"name": "ui", "template": "{}"}})
    hourly(name="weekly-custom", report_type="custom")
    now = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
    [run_id] = runs.runs_plan(now=now)
    assert runs.run_execute(run_id, now=now) == ReportRun.FAILED
    assert "auditui renders only its built-in types" in ReportRun.objects.get(pk=run_id).error


def test_it_generates_inventory_runs_now(db):
    hourly(name="weekly-inventory", report_type="inventory")
    now = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
    [run_id] = runs.runs_plan(now=now)
    assert runs.run_execute(run_id, now=now) == ReportRun.SUCCEEDED


def test_it_releases_a_run_whose_worker_died(db):
    hourly()
    now = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
    [run_id] = runs.runs_plan(now=now)
    assert runs.run_claim(run_id, now=now)
    assert runs.runs_plan(now=now + timedelta(minutes=5)) == []
    assert runs.runs_plan(now=now + timedelta(hours=1))[0] == run_id  # the next interval is due too


def test_it_shows_active_and_last_scheduled_jobs_in_the_status(db):
    report = hourly()
    runs.runs_plan(now=datetime(2026, 12, 1, 12, 30, tzinfo=UTC))
    status = report_status(report)
    assert [job["start"] for job in status["activeReportJobs"]] == ["2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"]
    assert status["lastScheduledReportJob"]["end"] == "2026-12-01T12:00:00Z"


def test_run_report_generates_on_demand_outside_the_status(db):
    report = hourly(report_type="activity-summary")
    output = run_command("run_report", report.name, "--start", "2026-12-01T00:00:00Z", "--end", "2026-12-02T00:00:00Z")
    assert output.startswith("hourly-audit_activity-summary_") and "summary.csv" in output
    assert report_status(report) == {}
    assert ReportRun.objects.get().on_demand


def test_run_report_refuses_half_an_interval(db):
    hourly()
    with pytest.raises(Exception, match="both --start and --end"):
        run_command("run_report", "hourly-audit", "--start", "2026-12-01T00:00:00Z")


def test_it_purges_reports_past_their_retention_with_their_files(db, settings):
    from reports import files

    settings.AUDITUI_REPORT_RETENTION_DAYS = 30
    report = hourly(report_type="activity-summary")
    old = runs.report_run_now(report, start=T0 - timedelta(days=40), end=T0 - timedelta(days=39))
    new = runs.report_run_now(report, start=T0 - timedelta(days=2), end=T0 - timedelta(days=1))
    assert runs.runs_purge(now=T0) == 1
    assert list(ReportRun.objects.values_list("pk", flat=True)) == [new.pk]
    with pytest.raises(FileNotFoundError):
        files.read(old.calico_id, "summary.csv")
    assert files.read(new.calico_id, "summary.csv")


def test_a_changed_schedule_starts_from_the_interval_now_is_in(db, apply_text):
    from tests.reports.conftest import DAILY_AUDIT

    with time_machine.travel(datetime(2026, 11, 1, 12, tzinfo=UTC), tick=False):
        apply_text(DAILY_AUDIT)
    with time_machine.travel(datetime(2026, 11, 20, 12, 10, tzinfo=UTC), tick=False):
        apply_text(DAILY_AUDIT.replace("0 0 * * *", "0 * * * *"))
    report = GlobalReport.objects.get()
    runs.runs_plan(now=datetime(2026, 11, 20, 13, 40, tzinfo=UTC))
    assert intervals(report) == [(datetime(2026, 11, 20, 12, tzinfo=UTC), datetime(2026, 11, 20, 13, tzinfo=UTC))]


def test_get_shows_calicos_status_fields(db):
    import yaml

    hourly(report_type="activity-summary")
    now = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    first, _second = runs.runs_plan(now=now)
    runs.run_execute(first, now=now)
    status = yaml.safe_load(run_command("get", "globalreport", "hourly-audit", "-o", "yaml"))["status"]
    assert set(status) == {"lastSuccessfulReportJobs", "activeReportJobs", "lastScheduledReportJob"}
    assert status["lastSuccessfulReportJobs"][0]["jobCompletionTime"].endswith("Z")
