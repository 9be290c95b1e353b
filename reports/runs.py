"""The schedule as data: which intervals of which reports are due, and each run claimed,
generated, retried or failed exactly once, whatever number of beats and workers see it.

``runs_plan`` (beat, every minute) creates a pending run for every interval that ended at least
``AUDITUI_REPORT_DELAY`` ago and has none yet (oldest first, none older than
``AUDITUI_REPORT_MAX_CATCH_UP_HOURS``); the (report, start, end) unique constraint makes creating
one twice a no-op. ``run_execute`` claims a run with a conditional UPDATE (``== 1``: another
worker got there first otherwise), generates it, and on failure schedules the next attempt with
backoff, or fails it with the reason after ``AUDITUI_REPORT_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from reports import config, files, schedule
from reports.generate import NotGenerated, generate
from reports.mailing import deliveries_plan
from reports.models import GlobalReport, ReportRun, report_id

log = logging.getLogger(__name__)


def _new_run(report: GlobalReport, start: datetime, end: datetime, *, on_demand: bool, now: datetime) -> ReportRun:
    suffix = uuid.uuid4().hex[:12] if on_demand else ""
    return ReportRun(report=report, report_name=report.name, report_type=report.report_type, start=start, end=end,
                     on_demand=on_demand, next_attempt_at=now, spec=report.spec,
                     calico_id=report_id(report.name, report.report_type, start, end, suffix=suffix))


def report_plan(report: GlobalReport, *, now: datetime) -> int:
    """Pending runs for the report's due intervals; how many intervals were handed out."""
    ready_until = now - config.report_delay()
    first = report.scheduled_until or schedule.previous_fire(report.schedule, report.created)
    # Unstarted intervals older than the limit are not generated any more (Calico: 168 h).
    oldest = schedule.previous_fire(report.schedule, now - config.catch_up_limit())
    start = max(first, oldest)
    due = list(schedule.intervals(report.schedule, after=start, until=ready_until))
    if not due:
        return 0
    ReportRun.objects.bulk_create([_new_run(report, s, e, on_demand=False, now=now) for s, e in due],
                                  ignore_conflicts=True)
    GlobalReport.objects.filter(pk=report.pk, scheduled_until=report.scheduled_until).update(
        scheduled_until=due[-1][1])
    return len(due)


def runs_plan(*, now: datetime | None = None) -> list[int]:
    """Plan every scheduled, unsuspended report; the ids of runs due now, oldest interval first."""
    now = now or timezone.now()
    for report in GlobalReport.objects.filter(suspend=False).exclude(schedule=""):
        report_plan(report, now=now)
    _release_stale(now)
    due = ReportRun.objects.filter(state=ReportRun.PENDING, next_attempt_at__lte=now)
    return list(due.order_by("end", "id").values_list("id", flat=True))


def _release_stale(now: datetime) -> None:
    """Runs left RUNNING by a worker that died go back to pending (each release is conditional,
    so two beats release one run once)."""
    stale = ReportRun.objects.filter(state=ReportRun.RUNNING, claimed_at__lt=now - config.stale_after())
    for run in stale:
        ReportRun.objects.filter(pk=run.pk, state=ReportRun.RUNNING, claimed_at=run.claimed_at).update(
            state=ReportRun.PENDING, next_attempt_at=now, error="the worker generating it stopped")


def run_claim(run_id: int, *, now: datetime) -> bool:
    claimed = ReportRun.objects.filter(
        pk=run_id, state=ReportRun.PENDING, next_attempt_at__lte=now,
    ).update(state=ReportRun.RUNNING, claimed_at=now, attempts=F("attempts") + 1)
    return claimed == 1


def run_execute(run_id: int, *, now: datetime | None = None) -> str:
    """Claim and generate one run; its state afterwards (``skipped`` when not claimed)."""
    now = now or timezone.now()
    if not run_claim(run_id, now=now):
        return "skipped"
    run = ReportRun.objects.get(pk=run_id)
    try:
        summary, formats = generate(run)
    except NotGenerated as exc:
        return _finish(run, ReportRun.FAILED, error=str(exc))
    except Exception as exc:  # any failure is retried; the reason is kept for the status and the page
        log.warning("report %s [%s, %s) attempt %d failed", run.report_name, run.start, run.end, run.attempts,
                    exc_info=True)
        reason = f"{type(exc).__name__}: {exc}"
        if run.attempts >= config.max_attempts():
            return _finish(run, ReportRun.FAILED, error=f"failed after {run.attempts} attempts: {reason}")
        ReportRun.objects.filter(pk=run.pk, state=ReportRun.RUNNING).update(
            state=ReportRun.PENDING, error=reason,
            next_attempt_at=timezone.now() + config.retry_backoff(run.attempts))
        return ReportRun.PENDING
    state = _finish(run, ReportRun.SUCCEEDED, summary=summary, formats=formats)
    if not run.on_demand:  # subscribers get the scheduled reports; an on-demand run is its runner's

        run.refresh_from_db()
        deliveries_plan(run, now=now)
    return state


def _finish(run: ReportRun, state: str, *, error: str = "", summary: dict | None = None,
            formats: list[str] | None = None) -> str:
    ReportRun.objects.filter(pk=run.pk, state=ReportRun.RUNNING).update(
        state=state, error=error, summary=summary or {}, formats=formats or [], completed_at=timezone.now())
    return state


def report_run_now(report: GlobalReport, *, start: datetime | None = None, end: datetime | None = None,
                   now: datetime | None = None) -> ReportRun:
    """An on-demand run (``run_report``, "run now"): the given interval, else the schedule's last
    complete one (the last 24 hours for a report without a schedule). Not part of the status."""
    now = now or timezone.now()
    if start is None or end is None:
        if report.schedule:
            start, end = schedule.interval_containing(report.schedule, now)
            start, end = schedule.previous_fire(report.schedule, start - _TICK), start
        else:
            end = now.replace(microsecond=0)
            start = end - _DAY
    run = _new_run(report, start, end, on_demand=True, now=now)
    run.save()
    run_execute(run.pk, now=now)
    run.refresh_from_db()
    return run


def runs_purge(*, now: datetime | None = None) -> int:
    """Generated reports past ``AUDITUI_REPORT_RETENTION_DAYS``: rows and files."""
    now = now or timezone.now()
    expired = ReportRun.objects.filter(end__lt=now - config.retention())
    count = 0
    for run in expired.iterator():
        files.remove(run.calico_id)
        count += 1
    expired.delete()
    return count


_TICK = timedelta(microseconds=1)
_DAY = timedelta(days=1)
