"""Running rules on their schedule: claim what is due, evaluate it, record what fired.

Schedules are data: each rule's ``next_run_at``. A beat tick (or ``manage.py evaluate_alerts``)
claims a due rule with ``filter(pk=…, next_run_at=old).update(next_run_at=new) == 1``, so several
beats and workers never evaluate one rule twice for the same instant; the new ``next_run_at`` is
one period after the tick, so a run missed while the workers were down is caught up once.

Unlike Calico, a record fires once however many lookback windows hold it, and a bucket that
stays over its threshold is one ongoing alert event (last seen, count and value updated) that
resolves when the condition stops holding; only then can the same bucket fire anew.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.evaluator import Finding, Findings, evaluate
from alerts.models import MAX_ERROR_CONDITIONS, MAX_RECENT_RUNS, AlertEvent, GlobalAlert
from alerts.notifications import deliveries_plan
from alerts.spec import Rule
from auditui.events.query import QueryError
from auditui.events.store import StoreError, StoreUnavailable, get_store

log = logging.getLogger(__name__)
_CHUNK = 500  # keys per IN (…): well under SQLite's limit on variables


@dataclass
class RunResult:
    alert: str
    new: list[int] = field(default_factory=list)  # AlertEvent ids that fired now
    ongoing: int = 0
    resolved: int = 0
    error: str = ""


def alerts_claim_due(*, now: datetime) -> list[int]:
    """Ids of the active rules due at ``now``, each claimed by this caller alone."""
    claimed = []
    due = GlobalAlert.objects.filter(active=True, next_run_at__lte=now).values_list("pk", "next_run_at", "spec")
    with transaction.atomic():  # one commit for the whole tick; each claim is still conditional
        for pk, old, spec in due:
            alert = GlobalAlert(pk=pk, spec=spec)
            if GlobalAlert.objects.filter(pk=pk, next_run_at=old).update(next_run_at=alert.next_after(now)) == 1:
                claimed.append(pk)
    return claimed


@dataclass
class _Evaluated:
    alert: GlobalAlert
    rule: Rule
    findings: Findings | None = None
    error: str = ""


def _evaluate(alert: GlobalAlert, now: datetime) -> _Evaluated:
    """The store's part of a run: reads only, so runs may evaluate side by side."""
    rule = alert.rule
    try:
        # A stored bucket needs no auditIDs (its keys and window lead to its records); reading
        # them is one search per bucket, most of a busy round's cost.
        findings = evaluate(rule, get_store(), start=now - rule.lookback, end=now, audit_ids=False)
    except (StoreError, StoreUnavailable, QueryError) as exc:
        return _Evaluated(alert, rule, error=f"{type(exc).__name__}: {exc}")
    return _Evaluated(alert, rule, findings)


def _record(evaluated: _Evaluated, now: datetime) -> RunResult:
    alert, rule, findings = evaluated.alert, evaluated.rule, evaluated.findings
    result = RunResult(alert=alert.name, error=evaluated.error)
    if findings is None:
        _record_status(alert, now=now, result=result, errors=[("QueryFailed", result.error)])
        return result
    with transaction.atomic():
        _record_findings(alert, findings.items, now=now, window_start=now - rule.lookback, result=result)
        if rule.aggregate_by or rule.metric:  # only buckets go on, and end
            result.resolved = _resolve_ended(alert, {f.open_key for f in findings.items}, now=now)
        deliveries_plan(event_ids=result.new)
    errors = [("TooManyRecords", _too_many(findings))] if findings.left_out else []
    _record_status(alert, now=now, result=result, errors=errors)
    return result


def alert_run(*, alert_id: int, now: datetime) -> RunResult:
    """Evaluate one (claimed) rule over ``[now − lookback, now)`` and record what it found."""
    alert = GlobalAlert.objects.filter(pk=alert_id).first()
    if alert is None:  # deleted since it was claimed
        return RunResult(alert=f"#{alert_id}", error="the alert was deleted")
    return _record(_evaluate(alert, now), now)


def _reads_side_by_side() -> int:
    """How many rules the command evaluates at once: a search engine answers over the network,
    so its waits overlap; the SQL store reads through this thread's database connection."""
    scheme = settings.EVENT_STORE_URL.split("://", 1)[0].lower()
    return 1 if scheme in ("", "sql") else max(1, int(getattr(settings, "AUDITUI_ALERT_THREADS", 4)))


def alerts_evaluate_due(*, now: datetime | None = None) -> list[RunResult]:
    """Claim and run, in this process, every rule due at ``now`` (the command's way)."""
    moment = now or timezone.now()
    alerts = list(GlobalAlert.objects.filter(pk__in=alerts_claim_due(now=moment)).order_by("name"))
    threads = _reads_side_by_side()
    if threads == 1:
        return [_record(_evaluate(alert, moment), moment) for alert in alerts]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        evaluated = list(pool.map(lambda alert: _evaluate(alert, moment), alerts))
    return [_record(item, moment) for item in evaluated]


def _too_many(findings: Findings) -> str:
    return (f"{findings.left_out} more matching records were left out (at most {len(findings.items)} "
            "alert events per run): narrow the query or aggregate")


def _existing(alert: GlobalAlert, keys: list[str]) -> dict[str, AlertEvent]:
    found: dict[str, AlertEvent] = {}
    for at in range(0, len(keys), _CHUNK):
        for event in AlertEvent.objects.filter(alert=alert, open_key__in=keys[at:at + _CHUNK]):
            found[event.open_key or ""] = event
    return found


def _record_findings(alert: GlobalAlert, findings: list[Finding], *, now: datetime, window_start: datetime,
                     result: RunResult) -> None:
    existing = _existing(alert, [f.open_key for f in findings])
    fresh = [f for f in findings if f.open_key not in existing]
    for finding in findings:
        event = existing.get(finding.open_key)
        if event is not None and event.kind != AlertEvent.Kind.RECORD:
            event.last_seen, event.window_end, event.count, event.value = now, now, finding.count, finding.value
            event.save(update_fields=["last_seen", "window_end", "count", "value"])
            result.ongoing += 1
    created = AlertEvent.objects.bulk_create([_event(alert, f, now, window_start) for f in fresh])
    result.new = [event.pk for event in created]  # SQLite and PostgreSQL return the new ids


def _event(alert: GlobalAlert, finding: Finding, now: datetime, window_start: datetime) -> AlertEvent:
    clusters = sorted({cluster for cluster, _ in finding.pairs})
    namespaces = sorted({namespace for _, namespace in finding.pairs})
    return AlertEvent(
        alert=alert, kind=finding.kind, open_key=finding.open_key, severity=alert.severity, time=now,
        last_seen=now, window_start=window_start, window_end=now, description=finding.description,
        keys=finding.keys, count=finding.count, value=finding.value, audit_ids=list(finding.audit_ids),
        pairs=[list(pair) for pair in finding.pairs], clusters="|" + "|".join(clusters) + "|",
        namespaces="|" + "|".join(namespaces) + "|",
        # A record is over when it fires; a bucket goes on while its condition holds.
        ongoing=finding.kind != AlertEvent.Kind.RECORD, ended_at=now if finding.kind == "record" else None,
    )


def _resolve_ended(alert: GlobalAlert, holding: set[str], *, now: datetime) -> int:
    """Ongoing buckets whose condition no longer holds: ended, and resolved unless dismissed."""
    ongoing = AlertEvent.objects.filter(alert=alert, ongoing=True).exclude(kind=AlertEvent.Kind.RECORD)
    ended = [pk for pk, key in ongoing.values_list("pk", "open_key") if key not in holding]
    for at in range(0, len(ended), _CHUNK):
        chunk = AlertEvent.objects.filter(pk__in=ended[at:at + _CHUNK])
        chunk.filter(state__in=[AlertEvent.State.NEW, AlertEvent.State.ACKNOWLEDGED]).update(
            state=AlertEvent.State.RESOLVED, state_changed_at=now, state_changed_by=None)
        chunk.update(ongoing=False, open_key=None, ended_at=now)
    return len(ended)


def _record_status(alert: GlobalAlert, *, now: datetime, result: RunResult, errors: list[tuple[str, str]]) -> None:
    """Calico's status: healthy unless this run failed; the last 10 error conditions kept; and
    the alert page's recent runs."""
    conditions = list(alert.error_conditions or [])
    conditions += [{"type": kind, "message": message, "time": now.isoformat()} for kind, message in errors]
    run = {"time": now.isoformat(), "new": len(result.new), "ongoing": result.ongoing, "resolved": result.resolved,
           "error": result.error}
    updates = {
        "last_executed": now, "healthy": all(kind != "QueryFailed" for kind, _ in errors),
        "error_conditions": conditions[-MAX_ERROR_CONDITIONS:],
        "recent_runs": [run, *(alert.recent_runs or [])][:MAX_RECENT_RUNS],
    }
    if result.new:
        updates["last_event"] = now
    GlobalAlert.objects.filter(pk=alert.pk).update(**updates)
    if errors:
        log.warning("alert %s: %s", alert.name, "; ".join(message for _, message in errors))
