"""Replaying rules over history, window by window as the scheduler would, storing nothing.

The first window ends one period after ``start``, each next one a period later, up to ``end``;
a window never reaches back before ``start``. What would have fired follows the live rules: a
record once, a bucket once while its condition holds (again only after it stopped holding).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from alerts.evaluator import evaluate
from alerts.spec import Rule
from auditui.events.store import EventStore


@dataclass(frozen=True)
class WouldFire:
    alert: str
    time: datetime
    description: str
    audit_ids: tuple[str, ...]
    count: int
    value: float | None
    keys: dict
    pairs: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict:
        return {"alert": self.alert, "time": self.time.isoformat().replace("+00:00", "Z"),
                "description": self.description, "audit_ids": list(self.audit_ids)}


def instants(rule: Rule, start: datetime, end: datetime) -> Iterator[datetime]:
    moment = start + rule.period
    while moment <= end:
        yield moment
        moment += rule.period


def backtest(name: str, rule: Rule, store: EventStore, *, start: datetime, end: datetime) -> Iterator[WouldFire]:
    fired_records: set[str] = set()
    holding: set[str] = set()
    for moment in instants(rule, start, end):
        findings = evaluate(rule, store, start=max(start, moment - rule.lookback), end=moment)
        now_holding = set()
        for finding in findings.items:
            if finding.kind == "record":
                if finding.open_key in fired_records:
                    continue
                fired_records.add(finding.open_key)
            else:
                now_holding.add(finding.open_key)
                if finding.open_key in holding:
                    continue
            yield WouldFire(name, moment, finding.description, finding.audit_ids, finding.count, finding.value,
                            finding.keys, finding.pairs)
        holding = now_holding
