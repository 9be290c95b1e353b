"""Request parameters of the policy lists, read one way for the pages and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from auditui import params
from auditui.events import search
from auditui.policies.selectors import ListFilters

WINDOWS = (("1h", "1 hour"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days"))
DEFAULT_WINDOW = "24h"


# The shared bad-parameter error (auditui.params), named here for the policy pages' callers.
ParamError = params.ParamError


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    within: str  # the preset (1h, 24h…), or "" for a custom range


def parse_window(params: Mapping, now: datetime | None = None) -> Window:
    """``changed_within=24h`` (any duration like 90m, 2d), or ``start=``/``end=`` (ISO 8601 or
    ``now-…``); the default is the last 24 hours."""
    now = now or timezone.now()
    start, end = params.get("start", "").strip(), params.get("end", "").strip()
    within = params.get("changed_within", "").strip()
    if within and (start or end):
        raise ParamError("changed_within", "give changed_within or start/end, not both")
    if start or end:
        try:
            time_range = search.parse_range(start or None, end or None, now)
        except search.SearchError as exc:
            raise ParamError(exc.param, str(exc)) from exc
        return Window(time_range.start, time_range.end, "")
    within = within or DEFAULT_WINDOW
    try:
        span = search.parse_duration(within)
    except ValueError as exc:
        raise ParamError("changed_within", str(exc)) from exc
    if span.total_seconds() <= 0 or span > search.MAX_RANGE:
        raise ParamError("changed_within", "changed_within must be between 1s and ten years")
    return Window(now - span, now, within)


def parse_filters(params: Mapping) -> ListFilters:
    def many(name: str) -> tuple[str, ...]:
        values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name, "")]
        return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))

    return ListFilters(
        clusters=many("cluster"), kinds=many("kind"), namespace=params.get("namespace", "").strip(),
        user=params.get("user", "").strip(), text=params.get("q", "").strip(),
    )


def parse_instant(text: str, param: str = "at") -> datetime:
    try:
        return search.parse_instant(text, timezone.now(), param)
    except search.SearchError as exc:
        raise ParamError(param, str(exc)) from exc


def parse_changelog_window(params: Mapping) -> tuple[datetime | None, datetime | None]:
    """``start=``/``end=`` of a changelog (ISO 8601 or now-24h); none: the whole history."""
    start, end = params.get("start", "").strip(), params.get("end", "").strip()
    if not start and not end:
        return None, None
    start_at = parse_instant(start, "start") if start else None
    end_at = parse_instant(end, "end") if end else None
    if start_at and end_at and start_at >= end_at:
        raise ParamError("start", "start must be before end")
    return start_at, end_at
