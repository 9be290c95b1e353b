"""The detection pack: auditui's ``k8s.*`` GlobalAlertTemplates (``alerts/detections/k8s-pack.yaml``),
what each would have raised over a past interval for one viewer, and installing them as rules.
The page's figures are stored replays, computed by a worker: ``alerts.pack_backtests``.

The pack's templates are plain templates (copy, change, delete them like any other); what makes
them the pack is the ``k8s.`` name and their annotations: ``auditui.io/mitre-attack`` and
``auditui.io/rationale``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from alerts import services
from alerts.backtest import backtest
from alerts.models import GlobalAlertTemplate, PackBacktest
from alerts.selectors import visible_to
from alerts.spec import Rule, rule_of
from auditui.access.scope import ViewerScope
from auditui.events.store import EventQuery, EventStore
from auditui.resources.registry import Outcome

PACK_FILE = Path(__file__).resolve().parent / "detections" / "k8s-pack.yaml"
PREFIX = "k8s."
MITRE = "auditui.io/mitre-attack"
RATIONALE = "auditui.io/rationale"


def pack_templates() -> QuerySet[GlobalAlertTemplate]:
    return GlobalAlertTemplate.objects.filter(name__startswith=PREFIX).order_by("name")


@dataclass(frozen=True)
class PackEntry:
    """One template of the pack as the alerts page lists it."""

    template: GlobalAlertTemplate
    would_fire: int | None  # alert events over the interval, of what the viewer sees; None: not computed
    installed: bool
    result: PackBacktest | None = None  # the stored replay would_fire comes from (its interval, its time)
    failed: bool = False  # the last computation failed (would_fire, if any, is the previous one's)

    @property
    def rationale(self) -> str:
        return self.template.annotations.get(RATIONALE, "")

    @property
    def techniques(self) -> list[str]:
        return [t.strip() for t in self.template.annotations.get(MITRE, "").split(",") if t.strip()]

    @property
    def severity(self) -> int:
        return int(self.template.spec.get("severity", 100))


def would_fire(template: GlobalAlertTemplate, store: EventStore, *, scope: ViewerScope,
               start: datetime, end: datetime) -> int:
    """How many alert events the template, as a rule, would have raised in ``[start, end)``,
    counting those the viewer may see (the same replay as ``evaluate_alerts --backtest``). The
    pack page reads the stored replay instead (``alerts.pack_backtests``), which answers the same."""
    if scope.is_empty:
        return 0
    return visible_count(replay_fires(template, store, start=start, end=end), scope)


def replay_fires(template: GlobalAlertTemplate, store: EventStore, *, start: datetime,
                 end: datetime) -> list[dict]:
    """The template's replay over ``[start, end)`` of every event: how many alert events fired
    with each distinct set of (cluster, namespace) pairs (what ``PackBacktest.fires`` stores)."""
    rule = rule_of(template.spec)
    # One count first: most templates match nothing on most days, and a replay is one store
    # query per period (2,016 over a week of 5-minute periods).
    if store.count(EventQuery(scope=ViewerScope.all(), start=start, end=end, query=rule.query)) == 0:
        return []
    counts: Counter[tuple[tuple[str, str], ...]] = Counter()
    for span_start, span_end in busy_spans(rule, store, start=start, end=end):
        for fired in backtest(template.name, rule, store, start=span_start, end=span_end):
            counts[tuple(sorted((cluster, namespace) for cluster, namespace in fired.pairs))] += 1
    return [{"pairs": [list(pair) for pair in pairs], "count": n} for pairs, n in sorted(counts.items())]


def visible_count(fires: list[dict], scope: ViewerScope) -> int:
    """Alert events of a replay (``replay_fires``) the viewer may see: every pair of a fire must
    be theirs, as for the alert events themselves."""
    if scope.is_empty:
        return 0
    return sum(group["count"] for group in fires if visible_to(scope, group["pairs"]))


def busy_spans(rule: Rule, store: EventStore, *, start: datetime,
               end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of ``[start, end)`` whose windows can find anything, on the replay's own instants
    (``start`` + k periods). A window with no matching record finds nothing and ends every bucket,
    so replaying only the periods with matches, each with a lookback and a period of margin on
    both sides (spans closer than three margins are one span), fires exactly what the whole replay
    fires."""
    margin = rule.lookback + rule.period
    q = EventQuery(scope=ViewerScope.all(), start=start, end=end, query=rule.query)
    busy = [b.start for b in store.histogram(q, interval=rule.period) if b.count]
    spans: list[list[datetime]] = []
    for moment in busy:
        if spans and moment - spans[-1][1] <= 3 * margin:
            spans[-1][1] = moment
        else:
            spans.append([moment, moment])
    return [(_on_instant(max(start, first - margin), start, rule.period),
             min(end, _on_instant(last + 2 * rule.period + margin, start, rule.period))) for first, last in spans]


def _on_instant(moment: datetime, origin: datetime, period: timedelta) -> datetime:
    """``moment`` moved back onto the replay's grid of instants (``origin`` + k periods)."""
    return origin + ((moment - origin) // period) * period


def pack_install(*, names: Iterable[str], user: Any = None) -> dict[str, Outcome]:
    """Each named pack template as a GlobalAlert of the same name and spec (created, or brought
    back to the template's spec); names outside the pack are ignored."""
    wanted = set(names)
    outcomes: dict[str, Outcome] = {}
    with transaction.atomic():
        for template in pack_templates().filter(name__in=wanted):
            outcomes[template.name] = services.alert_apply(name=template.name, spec=template.spec, user=user)
    return outcomes
