"""What the alert pages show of an alert event: small objects, built from a row and its rule."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.events_face import events_page_url
from alerts.models import AlertEvent
from alerts.spec import clean_spec


@dataclass(frozen=True)
class EventRow:
    event: AlertEvent
    fields: list[tuple[str, str]]
    matching_href: str

    @property
    def measure(self) -> str:
        if self.event.value is not None and self.event.kind != AlertEvent.Kind.RECORD:
            value = self.event.value
            return str(int(value)) if float(value).is_integer() else f"{value:.3g}"
        return str(self.event.count)


def matching_href(event: AlertEvent) -> str:
    """The events page with the rule's query, the event's keys and its window."""
    rule = clean_spec(event.alert.spec)
    if event.kind == AlertEvent.Kind.RECORD:
        equals = {"cluster": event.keys.get("cluster"), "auditID": event.keys.get("auditID")}
    else:
        equals = dict(event.keys)
    return events_page_url(rule.query, equals, start=event.window_start, end=event.last_seen)


def event_rows(events: list[AlertEvent]) -> list[EventRow]:
    return [EventRow(event, [(k, "" if v is None else str(v)) for k, v in event.keys.items()], matching_href(event))
            for event in events]


@dataclass(frozen=True)
class DayCount:
    day: datetime
    count: int
    percent: int


def firings_by_day(times: list[datetime], *, days: int, now: datetime) -> list[DayCount]:
    """Firings per UTC day over the last ``days`` days (empty days included), for the chart."""
    first = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = Counter(t.replace(hour=0, minute=0, second=0, microsecond=0) for t in times if t >= first)
    top = max(counts.values(), default=0) or 1
    span = [first + timedelta(days=n) for n in range(days)]
    return [DayCount(day, counts.get(day, 0), round(100 * counts.get(day, 0) / top)) for day in span]
