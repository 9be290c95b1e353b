"""The detection pack's 7-day replays, computed by a worker and stored (``PackBacktest``), so that
the pack page reads them instead of replaying a week of events on every load.

A template's replay runs over every event (``alerts.pack.replay_fires``) and keeps, per distinct
set of (cluster, namespace) pairs, how many alert events fired with it. A viewer's figure is the
sum over the sets whose every pair they may see (``alerts.pack.visible_count``): what
``alerts.pack.would_fire`` answers for them, and no viewer learns of a fire on pairs they may not
see.

Schedules are data, claimed atomically: ``queued_at`` is set with a conditional UPDATE by whoever
queues a computation (the beat tick, or the page for a template with no current result), so one
template is never queued twice at once; the worker clears it when done. A result is current while
its ``spec_digest`` is the template's spec's; it is recomputed every ``REFRESH``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from alerts.models import GlobalAlertTemplate, PackBacktest
from alerts.pack import PREFIX, PackEntry, pack_templates, replay_fires, visible_count
from auditui.access.scope import ViewerScope
from auditui.events.query import QueryError
from auditui.events.store import EventStore, StoreError, StoreUnavailable

log = logging.getLogger(__name__)

PACK_DAYS = 7
REFRESH = timedelta(hours=1)  # a result this old is computed again (the beat tick's rhythm)
RETRY = timedelta(minutes=10)  # after a failed computation, the next try waits this long
# A claim this old belonged to a worker that died (or a broker that lost the message): taken again.
# Longer than the task's time limit, so a running computation is never queued a second time.
CLAIM_TIMEOUT = timedelta(minutes=15)


def spec_digest(spec: dict) -> str:
    """What a result is keyed on: the same spec, whatever the order of its keys."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def is_current(row: PackBacktest | None, template: GlobalAlertTemplate) -> bool:
    """Whether ``row`` is a result of the template as it is now."""
    return bool(row and row.computed_at and row.spec_digest == spec_digest(template.spec))


def _rows() -> dict[int, PackBacktest]:
    """Each pack template's row (created, empty, for a template that has none yet)."""
    templates = list(pack_templates().values_list("pk", flat=True))
    rows = {row.template_id: row for row in PackBacktest.objects.filter(template_id__in=templates)}
    missing = [PackBacktest(template_id=pk) for pk in templates if pk not in rows]
    if missing:
        PackBacktest.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent page may too
        rows = {row.template_id: row for row in PackBacktest.objects.filter(template_id__in=templates)}
    return rows


def _claim(row: PackBacktest, *, now: datetime) -> bool:
    """Queue ``row``'s computation for this caller alone (False: someone else holds it)."""
    if row.queued_at is not None and row.queued_at > now - CLAIM_TIMEOUT:
        return False
    unclaimed = Q(queued_at__isnull=True) if row.queued_at is None else Q(queued_at=row.queued_at)
    return PackBacktest.objects.filter(unclaimed, pk=row.pk).update(queued_at=now) == 1


def _due(row: PackBacktest, template: GlobalAlertTemplate, *, now: datetime, missing_only: bool) -> bool:
    if row.error and row.attempted_at and row.attempted_at > now - RETRY:
        return False  # failed a moment ago: not again on every tick or page load
    if not is_current(row, template):
        return True
    return not missing_only and row.computed_at is not None and row.computed_at <= now - REFRESH


def pack_backtests_claim(*, now: datetime, missing_only: bool = False) -> list[int]:
    """Ids of the pack templates whose replay is due at ``now``, each claimed by this caller.
    Due: no current result (never computed, or the spec changed), or (unless ``missing_only``:
    the page's way) a result older than ``REFRESH``."""
    rows = _rows()
    return [t.pk for t in pack_templates() if t.pk in rows
            and _due(rows[t.pk], t, now=now, missing_only=missing_only) and _claim(rows[t.pk], now=now)]


@dataclass(frozen=True)
class Computed:
    template: str
    fired: int  # alert events over every event
    start: datetime
    end: datetime
    error: str = ""


def pack_backtest_run(*, template_id: int, store: EventStore, now: datetime) -> Computed | None:
    """Replay one template over the ``PACK_DAYS`` before ``now`` and store the result (on failure,
    the error, keeping the previous result); the claim is released either way. None: the template
    is gone."""
    template = GlobalAlertTemplate.objects.filter(pk=template_id).first()
    if template is None:
        return None
    start, digest = now - timedelta(days=PACK_DAYS), spec_digest(template.spec)
    row, _ = PackBacktest.objects.get_or_create(template=template)
    try:
        fires = replay_fires(template, store, start=start, end=now)
    except (StoreError, StoreUnavailable, QueryError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("detection pack backtest of %s failed: %s", template.name, error)
        PackBacktest.objects.filter(pk=row.pk).update(queued_at=None, attempted_at=now, error=error)
        return Computed(template.name, 0, start, now, error=error)
    PackBacktest.objects.filter(pk=row.pk).update(
        spec_digest=digest, start=start, end=now, computed_at=now, fires=fires, queued_at=None,
        attempted_at=now, error="")
    return Computed(template.name, sum(group["count"] for group in fires), start, now)


def pack_entries(*, scope: ViewerScope, installed: Iterable[str]) -> list[PackEntry]:
    """The pack with each template's stored replay as the viewer may see it (None: no current
    result, one is being computed). Reads the database only: no event store, no replay."""
    names = set(installed)
    rows = {row.template_id: row for row in PackBacktest.objects.filter(template__name__startswith=PREFIX)}
    entries = []
    for template in pack_templates():
        row = rows.get(template.pk)
        current = is_current(row, template)
        entries.append(PackEntry(template, visible_count(row.fires, scope) if row and current else None,
                                 template.name in names, result=row if current else None,
                                 failed=bool(row and row.error)))
    return entries


def pack_backtests_queue(*, now: datetime, missing_only: bool = False) -> list[int]:
    """Claim the due templates (``pack_backtests_claim``) and queue one task for each, once the
    claims are committed. Returns the claimed template ids."""
    # in the function: alerts.tasks imports this module (cycle)
    from alerts.tasks import backtest_pack_template

    claimed = pack_backtests_claim(now=now, missing_only=missing_only)
    for template_id in claimed:
        transaction.on_commit(functools.partial(backtest_pack_template.delay, template_id))
    return claimed
