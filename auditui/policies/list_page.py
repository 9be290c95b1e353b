"""The view model of ``/policies/``: tabs, time window presets, filters and rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.urls import reverse

from auditui import links
from auditui.access.scope import ViewerScope
from auditui.events.store import get_store
from auditui.events.viewer_time import iso_z, local_input, local_text
from auditui.policies import params, selectors
from auditui.policies.kinds import PolicyKind, policy_kinds
from auditui.policies.presenters import history_path


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    active: bool


@dataclass(frozen=True)
class Row:
    policy: selectors.PolicyRow
    href: str


@dataclass
class ListPage:
    tab: str
    tabs: list[Link]
    windows: list[Link]
    custom: bool
    window: params.Window | None
    window_label: str
    start_input: str
    end_input: str
    filters: selectors.ListFilters
    kinds: list[PolicyKind]
    clusters: list[str]
    rows: list[Row]
    truncated: bool
    error: params.ParamError | None
    hidden: list[tuple[str, str]]  # the state to keep when a filter form is sent
    api_href: str


def _href(query: Mapping[str, object], **changes: object) -> str:
    return links.href(reverse("policies:list"), {**query, **changes})


def _state(get: Mapping) -> dict[str, object]:
    keys = ("tab", "changed_within", "start", "end", "namespace", "user", "q")
    state: dict[str, object] = {k: get.get(k, "").strip() for k in keys}
    state["cluster"] = tuple(get.getlist("cluster"))
    state["kind"] = tuple(get.getlist("kind"))
    return state


def build(scope: ViewerScope, get: Mapping) -> ListPage:
    state = _state(get)
    tab = "known" if state["tab"] == "known" else "changed"
    error, window, result = None, None, None
    filters = params.parse_filters(get)
    try:
        window = params.parse_window(get)
        start, end = (None, None) if tab == "known" else (window.start, window.end)
        result = selectors.changed_policies(scope, start=start, end=end, filters=filters)
    except params.ParamError as exc:
        error = exc
    rows = [Row(p, history_path(p.kind, p.ref) + "?" + urlencode(_row_params(p, tab, window, state)))
            for p in (result.rows if result else [])]
    current = (window.within if window else "") if not (state["start"] or state["end"]) else ""
    custom = bool(state["start"] or state["end"])
    return ListPage(
        tab=tab,
        tabs=[Link("Changed", _href(state, tab=""), tab == "changed"),
              Link("All known policies", _href(state, tab="known"), tab == "known")],
        windows=[Link(label, _href(state, changed_within=value, start="", end=""),
                      not custom and (current or params.DEFAULT_WINDOW) == value) for value, label in params.WINDOWS],
        custom=custom, window=window, window_label=_window_label(window, custom),
        start_input=local_input(window.start) if window else "", end_input=local_input(window.end) if window else "",
        filters=filters, kinds=list(policy_kinds()), clusters=_clusters(scope), rows=rows,
        truncated=bool(result and result.truncated), error=error,
        hidden=[(k, v) for k, v in (("tab", state["tab"]), ("changed_within", state["changed_within"]),
                                    ("start", state["start"]), ("end", state["end"])) if v],
        api_href=reverse("api-policies") + "?" + urlencode(_api_params(state, tab)),
    )


def _row_params(policy: selectors.PolicyRow, tab: str, window: params.Window | None, state: dict) -> dict:
    """A row opens the policy's changes in the list's window (the page links to the rest)."""
    query = {"cluster": policy.cluster}
    if tab == "changed" and window is not None:
        query["start"] = iso_z(window.start)
        if state["end"]:
            query["end"] = iso_z(window.end)
    return query


def _api_params(state: dict, tab: str) -> list[tuple[str, object]]:
    pairs = [(k, state[k]) for k in ("changed_within", "start", "end", "namespace", "user", "q") if state[k]]
    pairs += [("cluster", c) for c in state["cluster"]] + [("kind", k) for k in state["kind"]]
    return pairs + ([("known", "true")] if tab == "known" else [])


def _window_label(window: params.Window | None, custom: bool) -> str:
    if window is None:
        return ""
    if not custom:
        return f"Last {dict(params.WINDOWS).get(window.within, window.within)}"
    return f"{local_text(window.start)} → {local_text(window.end)}"


def _clusters(scope: ViewerScope) -> list[str]:
    """The clusters the viewer has events from, for the cluster filter."""
    if scope.is_empty:
        return []
    return sorted(get_store().cluster_totals(scope))


def when(moment: datetime) -> str:
    return local_text(moment)
