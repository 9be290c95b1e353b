"""The endpoints filters (API and page alike), read from a query string; a bad one raises
ParamError naming the parameter (and, for a selector, the position Calico's parser stopped at)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from auditui import params
from auditui.events.search import SearchError, parse_instant
from auditui.state.selector import Selector, SelectorError, parse

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50


# The shared bad-parameter error (auditui.params), named here for the endpoint pages' callers.
ParamError = params.ParamError


@dataclass(frozen=True)
class EndpointFilters:
    cluster: str
    at: datetime
    selector_text: str
    selector: Selector
    namespace: str
    service_account: str
    page_size: int
    offset: int


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ParamError(name, f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def endpoint_filters(params: Mapping[str, str], clusters: list[str], now: datetime | None = None) -> EndpointFilters:
    """``clusters``: those the viewer sees; without ``cluster=`` the only one, if only one."""
    cluster = (params.get("cluster") or "").strip()
    if not cluster:
        if len(clusters) != 1:
            raise ParamError("cluster", "cluster is required (the cluster whose endpoints to list)")
        cluster = clusters[0]
    moment = now or timezone.now()
    try:
        at = parse_instant(params.get("at") or "now", moment, "at")
    except SearchError as exc:
        raise ParamError("at", str(exc)) from exc
    text = params.get("selector") or ""
    try:
        selector = parse(text)
    except SelectorError as exc:
        raise ParamError("selector", f"selector: {exc.message}", exc.position) from exc
    return EndpointFilters(
        cluster=cluster, at=at, selector_text=text, selector=selector,
        namespace=(params.get("namespace") or "").strip(),
        service_account=(params.get("serviceAccount") or "").strip(),
        page_size=_int(params, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        offset=_int(params, "cursor", 0, 0, 10**9),
    )
