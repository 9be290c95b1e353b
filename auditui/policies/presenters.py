"""View models of the policy pages: what each change shows (who, when, from where, the
structural summary and the YAML diff), built from a ``history.Changelog``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse

from auditui.events.query.text import clause
from auditui.events.store import ObjectRef
from auditui.events.viewer_time import iso_micro, iso_z
from auditui.policies import diff as structural
from auditui.policies.history import Attempt, Change, Changelog, Life
from auditui.policies.kinds import PolicyKind, tier_of
from auditui.policies.yamldiff import Hunk, line_diff, to_yaml

AROUND = timedelta(minutes=15)
PAGE_SIZE = 50  # changes per page of a history
MAX_ATTEMPTS = 200


def history_path(kind: PolicyKind, ref: ObjectRef) -> str:
    return reverse("policies:history", args=[kind.qualified, ref.namespace or "-", ref.name])


def changelog_api_path(kind: PolicyKind, ref: ObjectRef) -> str:
    return reverse("api-policy-changelog", args=[kind.qualified, ref.namespace or "-", ref.name])


def events_around_href(cluster: str, moment: datetime) -> str:
    params = {"cluster": cluster, "start": iso_z(moment - AROUND), "end": iso_z(moment + AROUND)}
    return reverse("events:list") + "?" + urlencode(params)


@dataclass(frozen=True)
class Who:
    user: str
    impersonated: str
    groups: str
    source_ips: str
    user_agent: str


def who(record) -> Who:
    return Who(record.username, record.impersonated_user, ", ".join(record.user_groups),
               ", ".join(record.source_ips), record.user_agent)


@dataclass
class ChangeView:
    change: Change
    who: Who
    time: datetime
    time_utc: str
    event_href: str
    around_href: str
    at_href: str
    title: str
    summary: list[structural.PathChange] = field(default_factory=list)
    hidden_noise: int = 0
    hunks: list[Hunk] | None = None
    request_yaml: str = ""
    after_yaml: str = ""  # the version after, when there is nothing to diff it with
    new_life: Life | None = None
    continued: bool = False  # the life began on an earlier page
    life_label: str = ""

    @property
    def number(self) -> int:
        return self.change.number


@dataclass
class AttemptView:
    attempt: Attempt
    who: Who
    time: datetime
    time_utc: str
    event_href: str


@dataclass
class Pager:
    number: int
    count: int
    first: int  # number of the first change shown
    last: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


@dataclass
class HistoryPage:
    changes: list[ChangeView]
    attempts: list[AttemptView]
    lives: list[Life]
    pager: Pager
    attempts_total: int


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def page_of(number: int, total: int) -> int:
    """The page that shows change ``number`` (1-based). Pages are cut from the newest change
    back, so the newest page, the one shown first, is always full; the oldest may be short."""
    return page_count(total) - (total - number) // PAGE_SIZE


def page_slice(page: int, total: int) -> slice:
    from_end = page_count(total) - page
    return slice(max(total - (from_end + 1) * PAGE_SIZE, 0), total - from_end * PAGE_SIZE)


class _YamlCache:
    """Each version is dumped once: the ``after`` of one change is the ``before`` of the next."""

    def __init__(self, noise: bool) -> None:
        self.noise = noise
        self.texts: dict[int, str] = {}

    def text(self, obj: dict | None) -> str:
        if obj is None:
            return ""
        key = id(obj)
        if key not in self.texts:
            self.texts[key] = to_yaml(obj if self.noise else structural.without_noise(obj))
        return self.texts[key]


def build_history_page(log: Changelog, ref: ObjectRef, *, noise: bool, at_base: str,
                       page: int | None = None) -> HistoryPage:
    """One page of the history (the last, newest, one by default): diffs are only worked out
    for the changes shown."""
    total, count = len(log.changes), page_count(len(log.changes))
    number = count if page is None else min(max(page, 1), count)
    shown = log.changes[page_slice(number, total)]
    yaml_cache = _YamlCache(noise)
    lives = {life.number: life for life in log.lives}
    views, previous_life = [], 0
    for change in shown:
        view = _change_view(change, ref, noise, yaml_cache, at_base)
        if change.life != previous_life:
            view.new_life, previous_life = lives.get(change.life), change.life
            view.continued = change.number > 1 and log.changes[change.number - 2].life == change.life
            view.life_label = _life_label(view.new_life, change, view.continued, log.since is not None)
        views.append(view)
    recent = log.attempts[-MAX_ATTEMPTS:]
    attempts = [AttemptView(a, who(a.record), a.record.time, iso_micro(a.record.time), _event_href(a.record))
                for a in recent]
    pager = Pager(number, count, shown[0].number if shown else 0, shown[-1].number if shown else 0, total)
    return HistoryPage(views, attempts, log.lives, pager, len(log.attempts))


def _life_label(life: Life | None, change: Change, continued: bool, windowed: bool) -> str:
    if life is None:
        return ""
    if continued or (life.created is not None and life.created is not change):
        return "continued"
    if life.created is not None:
        return "Recreated as a new object" if life.number > 1 else "Created"
    if life.note:
        return "Recreated as a new object"
    return "Existing object" if windowed else "Existed before the first recorded change"


def _event_href(record) -> str:
    return reverse("events:detail", args=[record.id]) if record.id is not None else ""


def _change_view(change: Change, ref: ObjectRef, noise: bool, yaml_cache: _YamlCache, at_base: str) -> ChangeView:
    record = change.record
    view = ChangeView(
        change=change, who=who(record), time=record.time, time_utc=iso_micro(record.time),
        event_href=_event_href(record), around_href=events_around_href(ref.cluster, record.time),
        at_href=f"{at_base}at={iso_micro(record.time)}#as-it-was", title="",
    )
    if change.diffable:
        before = None if change.is_create else change.before
        everything = structural.diff(before, change.after, noise=True)
        view.summary = everything if noise else [c for c in everything if not c.noise]
        view.hidden_noise = len(everything) - len(view.summary)
        view.hunks = line_diff(yaml_cache.text(before), yaml_cache.text(change.after))
    elif change.known and change.after is not None:
        view.after_yaml = yaml_cache.text(change.after)
    elif change.record.raw.get("requestObject") is not None and not change.is_delete:
        view.request_yaml = to_yaml(change.record.raw["requestObject"])
    view.title = _title(change, view)
    return view


def _title(change: Change, view: ChangeView) -> str:
    if change.is_create:
        return "Created"
    if change.is_delete:
        return "Deleted"
    if not change.diffable:
        return "Changed · content not known" if not change.known else "Changed · previous version not recorded"
    if not view.summary:
        return "No change to the policy" + (" (server bookkeeping only)" if view.hidden_noise else "")
    count = len(view.summary)
    return f"{count} change{'s' if count != 1 else ''}"


def tier(kind: PolicyKind, ref: ObjectRef, log: Changelog) -> str:
    latest = next((c.after for c in reversed(log.changes) if c.after is not None), None)
    return tier_of(kind, ref.name, latest)


def object_events_href(ref: ObjectRef) -> str:
    """Every event about this object (reads too) on the search page, over the last 30 days."""
    parts = [clause("objectRef.resource", ref.resource), clause("objectRef.name", ref.name)]
    if ref.api_group:
        parts.append(clause("objectRef.apiGroup", ref.api_group))
    parts.append(clause("objectRef.namespace", ref.namespace))
    params = {"query": " AND ".join(parts), "cluster": ref.cluster, "start": "now-30d"}
    return reverse("events:list") + "?" + urlencode(params)
