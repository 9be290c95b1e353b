"""Search services shared by the events page, the API and exports: one way to turn request
parameters into an ``EventQuery``, so the page and the API always agree."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from auditui.access.scope import ViewerScope
from auditui.events import fields
from auditui.events.normalize import RejectedRecord, parse_time
from auditui.events.query import QueryError, parse
from auditui.events.query.fields import column_for
from auditui.events.store import EventQuery, GroupCount, get_store
from auditui.params import ParamError

DEFAULT_RANGE = "now-24h"
_RELATIVE = re.compile(r"^now(?:-(\d+)([smhdw]))?$")
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Histogram intervals people read easily; the first that gives at most MAX_BUCKETS wins.
NICE_INTERVALS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
MAX_BUCKETS = 120
MAX_RANGE = timedelta(days=3660)


class SearchError(ParamError):
    """A bad search parameter; ``param`` names it so the page can show the message beside it."""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 1h, 7d")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def parse_instant(text: str, now: datetime, param: str) -> datetime:
    """ISO 8601 / RFC3339, or relative to now: ``now``, ``now-15m``, ``now-7d``."""
    text = text.strip()
    match = _RELATIVE.match(text)
    if match:
        if not match[1]:
            return now
        return now - timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    try:
        return parse_time(text.replace(" ", "T", 1) if len(text) > 10 else text + "T00:00:00Z", param)
    except RejectedRecord as exc:
        raise SearchError(param, f"{param}: {text!r} is not a time (use ISO 8601 or now-24h)") from exc


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    @property
    def span(self) -> timedelta:
        return self.end - self.start


def parse_range(start: str | None, end: str | None, now: datetime | None = None) -> TimeRange:
    now = now or timezone.now()
    start_at = parse_instant(start or DEFAULT_RANGE, now, "start")
    end_at = parse_instant(end or "now", now, "end")
    if start_at >= end_at:
        raise SearchError("start", "start must be before end")
    if end_at - start_at > MAX_RANGE:
        raise SearchError("start", "the time range is longer than ten years")
    return TimeRange(start_at, end_at)


def parse_query(text: str | None):
    """The query-language AST, or None for an empty query."""
    if not text or not text.strip():
        return None

    try:
        return parse(text)
    except QueryError as exc:
        raise SearchError("query", str(exc), position=getattr(exc, "position", None)) from exc


def build_query(scope: ViewerScope, *, query: str | None, time_range: TimeRange,
                clusters: tuple[str, ...] = ()) -> EventQuery:
    return EventQuery(scope=scope, start=time_range.start, end=time_range.end,
                      clusters=tuple(c for c in clusters if c), query=parse_query(query))


def auto_interval(time_range: TimeRange, buckets: int = MAX_BUCKETS) -> timedelta:
    seconds = time_range.span.total_seconds()
    for step in NICE_INTERVALS:
        if seconds / step <= buckets:
            return timedelta(seconds=step)
    return timedelta(seconds=NICE_INTERVALS[-1])


def whole_range_interval(time_range: TimeRange) -> timedelta:
    """One bucket's width that covers the range in one or two buckets, in whole hours from an hour
    on (so that a SQL store counts whole hours from its hourly counts): a histogram whose sum is
    the range's count."""
    seconds = max(1, math.ceil(time_range.span.total_seconds()))
    return timedelta(seconds=seconds if seconds < 3600 else math.ceil(seconds / 3600) * 3600)


def interval_label(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def resolve_interval(text: str | None, time_range: TimeRange) -> timedelta:
    if not text or text == "auto":
        return auto_interval(time_range)
    try:
        interval = parse_duration(text)
    except ValueError as exc:
        raise SearchError("interval", str(exc)) from exc
    if interval.total_seconds() <= 0 or time_range.span / interval > 10_000:
        raise SearchError("interval", f"interval {text} gives too many buckets for this range")
    return interval


@dataclass(frozen=True)
class TopValues:
    field: str
    total: int
    values: list[GroupCount]

    @property
    def other(self) -> int:
        return max(self.total - sum(v.count for v in self.values), 0)


# Fields offered in the sidebar, in query-language names.
SIDEBAR_FIELDS = fields.SIDEBAR_FIELDS


def top_values(q: EventQuery, field: str, limit: int = 10) -> TopValues:
    """The most frequent values of one indexed field among the matching events."""
    column = column_for(field)
    if column is None or column.kind == "time":
        raise SearchError("field", f"no top values for {field!r}: it is not an indexed field")
    store = get_store()
    groups = store.aggregate(q, group_by=[column.name], limit=limit)
    total = store.count(q)
    return TopValues(field=field, total=total, values=groups)


def sample_top_values(records: list, field: str, limit: int = 10) -> TopValues:
    """Top values among already-fetched records (Discover's sidebar works on a sample too: exact
    counts over a week of a busy cluster cost seconds, a sample costs nothing)."""
    column = column_for(field)
    if column is None or column.kind == "time":
        raise SearchError("field", f"no top values for {field!r}: it is not an indexed field")
    counts: Counter = Counter()
    for record in records:
        value = getattr(record, column.name)
        if column.kind == "list":
            counts.update(set(value))
        else:
            counts[value] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[:limit]
    return TopValues(field=field, total=len(records), values=[GroupCount(keys=(v,), count=n) for v, n in ranked])
