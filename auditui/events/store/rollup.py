"""Answers from HourlyEventCount: counts, groups and histograms over whole hours.

A query qualifies when it filters only on what the table keeps (cluster, namespace, verb and
the viewer's scope, which is about clusters and namespaces). The part of the range that is not
whole hours is counted from the events themselves, so answers are exact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from django.db.models import Q, QuerySet, Sum

from auditui.events.models import HourlyEventCount
from auditui.events.query import And, Compare
from auditui.events.query.fields import column_for, value_for_key
from auditui.events.query.values import read_value
from auditui.events.store.base import EventQuery, micros

ROLLUP_FIELDS = frozenset({"cluster", "namespace", "verb"})
HOUR = 3600
HOUR_US = HOUR * 1_000_000
# Below this many whole hours, counting the events directly is as fast and simpler.
MIN_HOURS = 3


def qualifies(q: EventQuery, group_by: Sequence[str] = ()) -> bool:
    return (
        query_filters(q.query) is not None and set(q.filters) <= ROLLUP_FIELDS and set(group_by) <= ROLLUP_FIELDS
    )


def query_filters(node) -> dict[str, str] | None:
    """A query that only says ``cluster=a AND verb=delete AND "objectRef.namespace"=x`` (plain
    values, no wildcards) as column filters; None for anything else. Same readings as the SQL
    compiler (``query.sql._compare``), so both paths select the same events."""
    if node is None:
        return {}
    found: dict[str, str] = {}
    for child in node.children if isinstance(node, And) else (node,):
        if not isinstance(child, Compare) or child.op != "=":
            return None
        column = column_for(child.key)
        if column is None or column.name not in ROLLUP_FIELDS or column.kind != "text":
            return None
        value = read_value(value_for_key(child.key, child.value))
        if value.wildcard or found.get(column.name, value.text) != value.text:
            return None
        found[column.name] = value.text
    return found


@dataclasses.dataclass(frozen=True)
class Split:
    """[first_hour, end_hour) from the table (end_hour None: open); the rest from the events."""

    first_hour: int | None
    end_hour: int | None
    edges: list[EventQuery]


def split(q: EventQuery) -> Split | None:
    """How to answer ``q`` with whole hours plus raw edges, or None if it is not worth it."""
    # In microseconds, as the times are: a range ending at 10:00:00.3 has an edge from 10:00
    # (in whole seconds it would not, and the events of those 0.3 s would go uncounted).
    start = micros(q.start) if q.start else None
    end = micros(q.end) if q.end else None
    first_hour = -(-start // HOUR_US) * HOUR if start is not None else None
    end_hour = end // HOUR_US * HOUR if end is not None else None
    if first_hour is not None and end_hour is not None and (end_hour - first_hour) // HOUR < MIN_HOURS:
        return None
    edges = []
    if start is not None and start < first_hour * 1_000_000:
        edges.append(dataclasses.replace(q, end=_at(first_hour)))
    if end is not None and end_hour * 1_000_000 < end:
        edges.append(dataclasses.replace(q, start=_at(end_hour)))
    return Split(first_hour, end_hour, edges)


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def counts(q: EventQuery, part: Split, scope_q: Q) -> QuerySet[HourlyEventCount]:
    qs = HourlyEventCount.objects.filter(scope_q)
    if part.first_hour is not None:
        qs = qs.filter(hour__gte=part.first_hour)
    if part.end_hour is not None:
        qs = qs.filter(hour__lt=part.end_hour)
    if q.clusters:
        qs = qs.filter(cluster__in=q.clusters)
    if q.filters:
        qs = qs.filter(**dict(q.filters))
    return qs.filter(**(query_filters(q.query) or {}))


def total(qs: QuerySet[HourlyEventCount]) -> int:
    return qs.aggregate(n=Sum("count"))["n"] or 0
