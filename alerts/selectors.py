"""Reads of alert events, always through the viewer's scope.

A viewer sees an alert event only when their scope allows every (cluster, namespace) pair of the
records behind it (a cluster-scoped object, namespace "", needs the whole cluster), so an alert
never shows anyone an event they could not find on the events page. The pairs are JSON, so the
scope test runs in Python over the candidates the database filters leave: one pass, linear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from alerts.models import AlertEvent
from auditui.access.scope import ViewerScope

MAX_PAGE_SIZE = 500


class FilterError(ValueError):
    """A bad filter parameter: ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"error": self.message, "field": self.field}


@dataclass(frozen=True)
class InboxFilters:
    alert: str = ""
    min_severity: int | None = None
    cluster: str = ""
    namespace: str = ""
    state: str = ""
    start: datetime | None = None
    end: datetime | None = None

    def as_params(self) -> dict[str, str]:
        values = {"alert": self.alert, "severity": str(self.min_severity or ""), "cluster": self.cluster,
                  "namespace": self.namespace, "state": self.state,
                  "start": self.start.isoformat() if self.start else "",
                  "end": self.end.isoformat() if self.end else ""}
        return {key: value for key, value in values.items() if value}


def _instant(params: Mapping[str, str], name: str) -> datetime | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(name, f"{text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = timezone.make_aware(moment)  # as typed in the viewer's zone
    return moment


def parse_filters(params: Mapping[str, str]) -> InboxFilters:
    severity = (params.get("severity") or "").strip()
    if severity and not (severity.isdigit() and 1 <= int(severity) <= 100):
        raise FilterError("severity", "a minimum severity from 1 to 100")
    state = (params.get("state") or "").strip()
    if state and state not in AlertEvent.State.values:
        raise FilterError("state", f"one of {', '.join(AlertEvent.State.values)}")
    return InboxFilters(
        alert=(params.get("alert") or "").strip(), min_severity=int(severity) if severity else None,
        cluster=(params.get("cluster") or "").strip(), namespace=(params.get("namespace") or "").strip(),
        state=state, start=_instant(params, "start"), end=_instant(params, "end"),
    )


def visible_to(scope: ViewerScope, pairs: Iterable[Iterable[str]]) -> bool:
    pairs = [tuple(pair) for pair in pairs]
    if scope.everything:
        return True
    return bool(pairs) and all(scope.allows(cluster, namespace) for cluster, namespace in pairs)


def _filtered(filters: InboxFilters) -> QuerySet[AlertEvent]:
    qs = AlertEvent.objects.all()
    if filters.alert:
        qs = qs.filter(alert__name=filters.alert)
    if filters.min_severity:
        qs = qs.filter(severity__gte=filters.min_severity)
    if filters.cluster:
        qs = qs.filter(clusters__contains=f"|{filters.cluster}|")
    if filters.namespace:
        qs = qs.filter(namespaces__contains=f"|{filters.namespace}|")
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.start:
        qs = qs.filter(last_seen__gte=filters.start)
    if filters.end:
        qs = qs.filter(time__lt=filters.end)
    return qs


def visible_ids(*, scope: ViewerScope, filters: InboxFilters = InboxFilters()) -> list[int]:
    """Ids of the alert events the viewer sees that pass the filters, newest first."""
    if scope.is_empty:
        return []
    rows = _filtered(filters).order_by("-time", "-id").values_list("pk", "pairs")
    return [pk for pk, pairs in rows.iterator(chunk_size=2000) if visible_to(scope, pairs)]


@dataclass(frozen=True)
class EventPage:
    events: list[AlertEvent]
    count: int
    next_offset: int | None


def alert_event_page(*, scope: ViewerScope, filters: InboxFilters, offset: int = 0, limit: int = 50) -> EventPage:
    ids = visible_ids(scope=scope, filters=filters)
    chosen = ids[offset:offset + limit]
    by_id = AlertEvent.objects.select_related("alert", "state_changed_by").in_bulk(chosen)
    events = [by_id[pk] for pk in chosen if pk in by_id]
    return EventPage(events, len(ids), offset + limit if offset + limit < len(ids) else None)


def new_alert_count(*, scope: ViewerScope) -> int:
    """For the navigation: the viewer's alert events still in state new."""
    return len(visible_ids(scope=scope, filters=InboxFilters(state=AlertEvent.State.NEW)))


def alert_event_get(*, scope: ViewerScope, event_id: int) -> AlertEvent | None:
    event = AlertEvent.objects.select_related("alert").filter(pk=event_id).first()
    return event if event is not None and visible_to(scope, event.pairs) else None


def alert_event_times(*, scope: ViewerScope, alert: str) -> list[datetime]:
    """When each of one rule's alert events the viewer sees fired (for its chart)."""
    if scope.is_empty:
        return []
    rows = AlertEvent.objects.filter(alert__name=alert).values_list("time", "pairs")
    return [time for time, pairs in rows.iterator(chunk_size=2000) if visible_to(scope, pairs)]
