"""The view model of one policy's history page: its state in the URL (cluster, window, layout,
noise, instant, page), the changelog and the links that change one thing at a time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from urllib.parse import urlencode

from auditui import links as url_links
from auditui.access.scope import ViewerScope
from auditui.events.store import ObjectRef
from auditui.events.viewer_time import iso_micro, local_input
from auditui.policies import params, presenters, selectors
from auditui.policies.diff import without_noise
from auditui.policies.history import Changelog, Snapshot
from auditui.policies.kinds import PolicyKind
from auditui.policies.yamldiff import to_yaml

STATE_KEYS = ("cluster", "start", "end", "view", "noise", "at", "page")


@dataclass
class Links:
    """``href(page=2)``: this page with one parameter changed (None removes it)."""

    base: str
    state: dict[str, str] = field(default_factory=dict)

    def href(self, **changes: object) -> str:
        return url_links.href(self.base, {**self.state, **changes})


@dataclass
class PolicyHistoryPage:
    """Everything the history template shows (``context()`` is its context, key by key)."""

    ref: ObjectRef
    kind: PolicyKind
    log: Changelog
    page: presenters.HistoryPage
    noise: bool
    split: bool
    tier: str
    window_error: str
    window_end: datetime | None
    snapshot: Snapshot | None
    at_error: str
    snapshot_yaml: str
    at_input: str
    snapshot_utc: str
    hrefs: dict[str, str]
    state: dict[str, str]

    def context(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def build(scope: ViewerScope, lookup: selectors.Lookup, get: Mapping) -> PolicyHistoryPage:
    ref, kind = lookup.ref, lookup.kind
    start, end, window_error = _window(get)
    log = selectors.policy_changelog(scope, ref, start=start, end=end)
    links = Links(presenters.history_path(kind, ref), _state(get, ref.cluster, start, end))
    noise = links.state.get("noise") == "1"
    snapshot, at_error = _snapshot(log, links.state.get("at", ""))
    page = presenters.build_history_page(log, ref, noise=noise, at_base=links.href(at=None) + "&",
                                         page=_page_number(links, log, snapshot))
    if "page" in links.state:
        links.state["page"] = str(page.pager.number)
    return PolicyHistoryPage(
        ref=ref, kind=kind, log=log, page=page, noise=noise, split=links.state.get("view") == "split",
        tier=presenters.tier(kind, ref, log), window_error=window_error, window_end=end,
        snapshot=snapshot, at_error=at_error, snapshot_yaml=_snapshot_yaml(snapshot, noise),
        at_input=local_input(snapshot.at) if snapshot else "",
        snapshot_utc=iso_micro(snapshot.at) if snapshot else "",
        hrefs=_hrefs(links, kind, ref, page, log, snapshot), state=links.state,
    )


def _window(get: Mapping) -> tuple[datetime | None, datetime | None, str]:
    try:
        start, end = params.parse_changelog_window(get)
    except params.ParamError as exc:
        return None, None, str(exc)
    return start, end, ""


def _state(get: Mapping, cluster: str, start: datetime | None, end: datetime | None) -> dict[str, str]:
    state = {key: get.get(key, "").strip() for key in STATE_KEYS}
    state["cluster"] = cluster
    state["start"] = state["start"] if start else ""
    state["end"] = state["end"] if end else ""
    state["page"] = state["page"] if state["page"].isdigit() else ""
    return {k: v for k, v in state.items() if v}


def _page_number(links: Links, log: Changelog, snapshot: Snapshot | None) -> int | None:
    """The page asked for; else, with a snapshot, the page of the change it comes from."""
    if "page" in links.state:
        return int(links.state["page"])
    if snapshot is not None and snapshot.change is not None:
        links.state["page"] = str(presenters.page_of(snapshot.change.number, len(log.changes)))
        return int(links.state["page"])
    return None


def _snapshot(log: Changelog, at_text: str) -> tuple[Snapshot | None, str]:
    if not at_text:
        return None, ""
    try:
        return log.at(params.parse_instant(at_text)), ""
    except params.ParamError as exc:
        return None, str(exc)


def _snapshot_yaml(snapshot: Snapshot | None, noise: bool) -> str:
    if snapshot is None or snapshot.object is None:
        return ""
    return to_yaml(snapshot.object if noise else without_noise(snapshot.object))


def _hrefs(links: Links, kind, ref, page: presenters.HistoryPage, log: Changelog,
           snapshot: Snapshot | None) -> dict[str, str]:
    number = page.pager.number
    snapshot_page = presenters.page_of(snapshot.change.number, len(log.changes)) if snapshot and snapshot.change else 0
    return {
        "self": links.base,
        "unified": links.href(view=None), "split": links.href(view="split"),
        "noise_on": links.href(noise="1"), "noise_off": links.href(noise=None),
        "clear_at": links.href(at=None), "whole": links.href(start=None, end=None, page=None),
        "earlier": links.href(page=number - 1, at=None), "later": links.href(page=number + 1, at=None),
        "first_page": links.href(page=1, at=None), "last_page": links.href(page=None, at=None),
        "snapshot_change": links.href(page=snapshot_page, at=None) if snapshot_page else "",
        "api": presenters.changelog_api_path(kind, ref) + "?" + urlencode({"cluster": ref.cluster}),
        "events": presenters.object_events_href(ref),
    }
