"""The reports' section of ``/status/``: report runs behind schedule and recent failures."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from auditui import status
from reports.models import ReportRun

# Beat hands out due runs every minute; a run still waiting after this lost its beat or its worker.
LATE_AFTER = timedelta(minutes=5)


@status.section("report runs")
def report_runs() -> status.Section:
    now = timezone.now()
    waiting = ReportRun.objects.filter(state=ReportRun.PENDING).filter(
        Q(next_attempt_at__lt=now - LATE_AFTER) | Q(next_attempt_at__isnull=True, created__lt=now - LATE_AFTER))
    late = list(waiting.order_by("end").values_list("calico_id", flat=True)[:20])
    failed = list(ReportRun.objects.filter(state=ReportRun.FAILED, completed_at__gte=now - timedelta(days=1))
                  .values_list("calico_id", "error")[:20])
    summary = f"{len(late)} behind schedule, {len(failed)} failed in the last 24 h"
    return status.Section(ok=not late and not failed, summary=summary, details={
        "behind_schedule": late,
        "failed": [{"report": report_id, "error": error[:300]} for report_id, error in failed],
    })
