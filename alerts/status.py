"""The alerts' section of ``/status/``: rule rounds behind schedule and unhealthy rules."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from alerts.models import GlobalAlert
from auditui import status

# Beat hands out due rules every 30 s; a rule still due after this lost its beat or its worker.
LATE_AFTER = timedelta(minutes=2)


@status.section("alert rounds")
def alert_rounds() -> status.Section:
    now = timezone.now()
    rules = GlobalAlert.objects.filter(active=True)
    late = list(rules.filter(next_run_at__lt=now - LATE_AFTER).order_by("next_run_at")
                .values_list("name", "next_run_at")[:20])
    unhealthy = list(rules.filter(healthy=False).values_list("name", flat=True)[:20])
    summary = f"{rules.count()} active rules"
    if late:
        summary += f", {len(late)} behind schedule (due since {late[0][1]:%Y-%m-%d %H:%M} UTC)"
    if unhealthy:
        summary += f", {len(unhealthy)} unhealthy"
    return status.Section(ok=not late and not unhealthy, summary=summary, details={
        "behind_schedule": [{"alert": name, "due": due.isoformat()} for name, due in late],
        "unhealthy": unhealthy,
    })
