"""What a rule finds in one window: pure logic over the store's interface (no models, no writes).

Calico's semantics (reference §4), over ``[start, end)``:

* with ``aggregateBy`` or a metric: one aggregation in the store; each bucket that passes the
  metric, condition and threshold (no metric: every bucket) is a finding with its keys and
  ``count``/the metric. A metric without ``aggregateBy`` is one comparison;
* with neither: every matching record is a finding, with its ``auditID`` and main fields.

Every cluster is evaluated apart, as Calico's controller runs in each cluster: the cluster is
always one of the bucket keys. Each finding carries the (cluster, namespace) pairs of the records
behind it (a second aggregation when the namespace is not a key) so that only viewers allowed to
see every one of them see it, and an ``open_key`` that says which firings are "the same".
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from alerts.events_face import store_field
from alerts.spec import Rule
from auditui.access.scope import ViewerScope
from auditui.events.store import EventQuery, EventStore, GroupCount

MAX_BUCKETS = 10_000  # Calico's composite aggregation stops there too
MAX_RECORDS = 1_000  # per-record findings per run: a broader query is a rule to narrow
MAX_AUDIT_IDS = 100
_VAR = re.compile(r"\$\{([^}]*)\}")
_CONDITIONS: dict[str, Callable[[float, float], bool]] = {
    "eq": operator.eq, "not_eq": operator.ne, "gt": operator.gt, "gte": operator.ge,
    "lt": operator.lt, "lte": operator.le,
}
# A per-record finding's fields: query key → record attribute.
RECORD_FIELDS = {
    "cluster": "cluster", "auditID": "audit_id", "verb": "verb", "user.username": "username",
    "objectRef.resource": "resource", "objectRef.namespace": "namespace", "objectRef.name": "name",
    "responseStatus.code": "response_code", "stage": "stage",
}


@dataclass(frozen=True)
class Finding:
    kind: str  # "record", "bucket" or "metric" (AlertEvent.Kind)
    open_key: str
    keys: dict[str, Any]
    count: int
    value: float | None
    pairs: tuple[tuple[str, str], ...]
    description: str
    audit_ids: tuple[str, ...] = ()


@dataclass
class Findings:
    items: list[Finding] = field(default_factory=list)
    left_out: int = 0  # matching records beyond MAX_RECORDS (per-record rules)


def render(template: str, values: dict[str, Any]) -> str:
    """``${var}`` filled from the finding's keys and metric; unknown variables stay as written."""
    return _VAR.sub(lambda m: _text(values[m.group(1)]) if m.group(1) in values else m.group(0), template)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def passes(rule: Rule, count: int, value: float | None) -> tuple[bool, float | None]:
    """Whether a bucket passes the rule's test, and the measure it was tested on."""
    metric = rule.metric
    if metric is None:
        return True, None
    measure = float(count) if metric == "count" else value
    if measure is None:
        return False, None
    return _CONDITIONS[rule.spec["condition"]](measure, float(rule.spec["threshold"])), measure


def window_query(rule: Rule, start: datetime, end: datetime) -> EventQuery:
    return EventQuery(scope=ViewerScope.all(), start=start, end=end, query=rule.query)


def evaluate(rule: Rule, store: EventStore, *, start: datetime, end: datetime, audit_ids: bool = True) -> Findings:
    q = window_query(rule, start, end)
    if rule.aggregate_by or rule.metric:
        return Findings(_buckets(rule, store, q, audit_ids=audit_ids))
    return _records(rule, store, q)


def _group_fields(rule: Rule) -> list[str]:
    fields = ["cluster"]
    for key in rule.aggregate_by:
        name = store_field(key)
        if name and name not in fields:
            fields.append(name)
    return fields


def _buckets(rule: Rule, store: EventStore, q: EventQuery, *, audit_ids: bool) -> list[Finding]:
    group_by = _group_fields(rule)
    metric = rule.metric or "count"
    measured = store_field(rule.spec["field"]) if rule.spec.get("field") else None
    groups = store.aggregate(q, group_by=group_by, metric=metric, field=measured, limit=MAX_BUCKETS)
    passing = [(g, m) for g in groups for ok, m in [passes(rule, g.count, g.value)] if ok]
    if not passing:
        return []
    pairs = _pairs(store, q, group_by, [g for g, _ in passing])
    template = rule.spec.get("summary") or rule.spec["description"]
    kind = "bucket" if rule.aggregate_by else "metric"
    found = []
    for group, measure in passing:
        keys = _bucket_keys(rule, group)
        values = {**keys, "count": group.count}
        if rule.metric:
            values[rule.metric] = measure
        ids = _bucket_audit_ids(store, q, group_by, group) if audit_ids else ()
        found.append(Finding(
            kind=kind, open_key=f"{kind}:" + json.dumps(list(group.keys), default=str), keys=keys,
            count=group.count, value=measure, pairs=pairs[group.keys], description=render(template, values),
            audit_ids=ids,
        ))
    return found


def _bucket_keys(rule: Rule, group: GroupCount) -> dict[str, Any]:
    keys: dict[str, Any] = {"cluster": group.keys[0]}
    fields = _group_fields(rule)
    for key in rule.aggregate_by:
        keys[key] = group.keys[fields.index(store_field(key) or "")]
    return keys


def _pairs(store: EventStore, q: EventQuery, group_by: list[str],
           groups: Iterable[GroupCount]) -> dict[tuple[Any, ...], tuple[tuple[str, str], ...]]:
    """The (cluster, namespace) pairs behind each bucket, from the store (one more aggregation
    unless the namespace is already a key)."""
    wanted = {g.keys for g in groups}
    if "namespace" in group_by:
        at = group_by.index("namespace")
        return {keys: ((keys[0], keys[at] or ""),) for keys in wanted}
    found: dict[tuple[Any, ...], set[tuple[str, str]]] = {keys: set() for keys in wanted}
    for row in store.aggregate(q, group_by=[*group_by, "namespace"], limit=None):
        bucket = row.keys[:-1]
        if bucket in found:
            found[bucket].add((row.keys[0], row.keys[-1] or ""))
    return {keys: tuple(sorted(pairs)) for keys, pairs in found.items()}


def _bucket_audit_ids(store: EventStore, q: EventQuery, group_by: list[str], group: GroupCount) -> tuple[str, ...]:
    filters = {name: value for name, value in zip(group_by, group.keys, strict=True) if value is not None}
    page = store.search(replace(q, filters=filters), page_size=MAX_AUDIT_IDS, columns_only=True)
    return tuple(record.audit_id for record in page.records)


def _records(rule: Rule, store: EventStore, q: EventQuery) -> Findings:
    template = rule.spec.get("summary") or rule.spec["description"]
    findings = Findings()
    cursor: str | None = None
    while len(findings.items) < MAX_RECORDS:
        page = store.search(q, page_size=min(500, MAX_RECORDS - len(findings.items)), cursor=cursor,
                            columns_only=True)
        for record in page.records:
            keys = {key: getattr(record, attr) for key, attr in RECORD_FIELDS.items()}
            findings.items.append(Finding(
                kind="record", open_key=f"record:{record.cluster}/{record.audit_id}/{record.stage}", keys=keys,
                count=1, value=None, pairs=((record.cluster, record.namespace or ""),),
                description=render(template, keys), audit_ids=(record.audit_id,),
            ))
        cursor = page.next_cursor
        if not cursor:
            return findings
    if cursor:
        store.release_cursor(cursor)
    findings.left_out = max(0, store.count(q) - len(findings.items))
    return findings
