"""Reads for the policy changelog: lists of policies and one policy's changelog.

Everything goes through ``get_store()`` with the viewer's scope; the pages and the API both call
these, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.utils import timezone

from auditui.access.scope import ViewerScope
from auditui.events import object_summary
from auditui.events.normalize import AuditRecord
from auditui.events.store import EventQuery, ObjectActivity, ObjectRef, get_store
from auditui.policies import bulk_deletes, history
from auditui.policies.kinds import PolicyKind, kind_for, policy_kinds, resolve, tier_of

# What the changelog counts as a change is what the per-object summary counts (one definition).
WRITE_VERBS, WRITES, CHANGES = object_summary.WRITE_VERBS, object_summary.WRITES, object_summary.CHANGES
LIST_LIMIT = 1000
# A window that ends this close to now ends "now": its last change is the current state.
_NOW_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class PolicyRow:
    """One policy in a list: its changes in the window and its state after the latest one."""

    cluster: str
    kind: PolicyKind
    namespace: str
    name: str
    tier: str
    changes: int
    last_time: datetime
    last_user: str
    last_verb: str
    last_event_id: int | str | None
    exists: bool

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.cluster, self.kind.resource, self.name, self.namespace, self.kind.group)


@dataclass(frozen=True)
class PolicyList:
    rows: list[PolicyRow]
    truncated: bool
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class ListFilters:
    clusters: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # qualified names; empty: all configured kinds
    namespace: str = ""
    user: str = ""
    text: str = ""


def _kinds(filters: ListFilters) -> list[PolicyKind]:
    if not filters.kinds:
        return list(policy_kinds())
    return list({k.qualified: k for text in filters.kinds for k in resolve(text)}.values())


def changed_policies(scope: ViewerScope, *, start: datetime | None, end: datetime | None,
                     filters: ListFilters = ListFilters(), limit: int = LIST_LIMIT,
                     now: datetime | None = None) -> PolicyList:
    """Policies with at least one change in [start, end), newest change first. With neither
    bound, every policy that ever changed (the "all known policies" tab)."""
    kinds = _kinds(filters)
    if not kinds or scope.is_empty:
        return PolicyList([], False, start, end)
    q = EventQuery(scope=scope, start=start, end=end, clusters=filters.clusters, query=CHANGES,
                   filters={"namespace": filters.namespace} if filters.namespace else {})
    keys = [k.key for k in kinds]
    tiers: dict[ObjectRef, str] = {}
    found = _activity(q, keys, limit + 1, filters.namespace, tiers=tiers if _all_time(q, filters) else None)
    truncated = len(found) > limit
    found = found[:limit]
    latest = _latest_changes(q, keys, found, end, now or timezone.now(), filters.namespace)
    if filters.user:
        by_user = _activity(replace(q, filters={**q.filters, "username": filters.user}), keys, None,
                            filters.namespace)
        wanted = {a.ref for a in by_user}
        found = [a for a in found if a.ref in wanted]
    rows = [_row(a, latest.get(a.ref, a.last), tiers) for a in found
            if scope.allows(a.ref.cluster, a.ref.namespace)]
    return PolicyList([r for r in rows if _matches_text(r, filters.text)], truncated, start, end)


def _all_time(q: EventQuery, filters: ListFilters) -> bool:
    """Whether the list is every policy ever changed (what the per-object summary answers)."""
    return q.start is None and q.end is None and not filters.user


def _activity(q: EventQuery, keys: list, limit: int | None, namespace: str,
              tiers: dict[ObjectRef, str] | None = None) -> list[ObjectActivity]:
    """The policies ``q`` finds changes of, with the ones removed by collection deletes counted in.
    With ``tiers`` (a list of all time), from the store's per-object summary when it keeps one,
    whose tiers it fills in (the summary's last changes carry no event body)."""
    found = _summarised(q, keys, limit, tiers) if tiers is not None else None
    if found is None:
        found = get_store().object_activity(q, kinds=keys, limit=limit)
    deletes = bulk_deletes.read(q, keys, CHANGES)
    if deletes:
        found = bulk_deletes.merge_activity(found, q.scope, deletes, CHANGES, namespace)
    return found if limit is None else found[:limit]


def _summarised(q: EventQuery, keys: list, limit: int | None,
                tiers: dict[ObjectRef, str]) -> list[ObjectActivity] | None:
    summaries = get_store().object_summaries(q.scope, kinds=keys, clusters=q.clusters,
                                             namespace=q.filters.get("namespace", ""), limit=limit)
    if summaries is None:
        return None
    found = []
    for summary in summaries:
        activity = ObjectActivity(ObjectRef(summary.cluster, summary.resource, summary.name, summary.namespace,
                                            summary.api_group), summary.changes, summary.last_record())
        tiers[activity.ref] = summary.last_tier
        found.append(activity)
    return found


def _latest_changes(q: EventQuery, keys: list, found: list[ObjectActivity], end: datetime | None,
                    now: datetime, namespace: str) -> dict[ObjectRef, AuditRecord]:
    """For a window that ended in the past, each policy's latest change since its start (its
    current state); for a window ending now, the window's own last change is that already."""
    if end is None or end >= now - _NOW_SLACK or not found:
        return {}
    return {a.ref: a.last for a in _activity(replace(q, end=None), keys, None, namespace)}


def _row(activity: ObjectActivity, latest: AuditRecord, tiers: dict[ObjectRef, str]) -> PolicyRow:
    ref, last = activity.ref, activity.last
    kind = kind_for(ref.api_group or "", ref.resource)
    if latest.verb in ("delete", "deletecollection"):
        obj = None
    elif ref in tiers:  # from the summary: the tier its last change recorded
        obj = {"spec": {"tier": tiers[ref]}}
    else:
        obj = history.version_after(latest, None)[0]
    return PolicyRow(
        cluster=ref.cluster, kind=kind, namespace=ref.namespace, name=ref.name,
        tier=tier_of(kind, ref.name, obj), changes=activity.count, last_time=last.time,
        last_user=last.username, last_verb=last.verb, last_event_id=last.id,
        exists=latest.verb not in ("delete", "deletecollection"),
    )


def _matches_text(row: PolicyRow, text: str) -> bool:
    if not text:
        return True
    needle = text.casefold()
    haystack = (row.name, row.namespace, row.cluster, row.kind.kind, row.kind.qualified, row.tier, row.last_user)
    return any(needle in value.casefold() for value in haystack)


# --- one policy ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    cluster: str
    kind: PolicyKind


@dataclass(frozen=True)
class Lookup:
    """What a URL names: exactly one object (``ref``), several (``candidates``), or nothing."""

    ref: ObjectRef | None
    kind: PolicyKind | None
    candidates: list[Candidate]


def find_policy(scope: ViewerScope, resource: str, namespace: str, name: str, cluster: str = "") -> Lookup:
    """Resolve ``/policies/{resource}/{namespace or -}/{name}/?cluster=`` among the objects the
    viewer may see. Out of scope and unknown look the same: nothing."""
    kinds = resolve(resource)
    namespace = "" if namespace == "-" else namespace
    if not kinds or scope.is_empty or not name:
        return Lookup(None, None, [])
    q = EventQuery(scope=scope, clusters=(cluster,) if cluster else (), query=WRITES,
                   filters={"namespace": namespace, "name": name})
    candidates = [
        Candidate(c, k) for c, g, r in _written_kinds(q, kinds, cluster)
        for k in kinds if k.key == (g, r) and scope.allows(c, namespace)
    ]
    if len(candidates) != 1:
        return Lookup(None, None, candidates)
    only = candidates[0]
    return Lookup(ObjectRef(only.cluster, only.kind.resource, name, namespace, only.kind.group), only.kind,
                  candidates)


def _written_kinds(q: EventQuery, kinds: list[PolicyKind], cluster: str) -> list[tuple[str, str, str]]:
    """(cluster, api_group, resource) of the objects with that name that ``q`` finds writes to."""
    store = get_store()
    if cluster and len(kinds) == 1:
        # What the lists link to (cluster and qualified kind): one write decides, and the newest
        # is nearly always recent, where an all-time aggregate asks a search engine every day's
        # index of the cluster.
        (kind,) = kinds
        one_kind = replace(q, filters={**q.filters, "resource": kind.resource, "api_group": kind.group})
        written = next(store.newest_first(one_kind, anchor=timezone.now(), page_size=1), None)
        return [(cluster, kind.group, kind.resource)] if written else []
    groups = store.aggregate(q, group_by=["cluster", "api_group", "resource"], limit=None)
    return sorted(group.keys for group in groups)


def policy_changelog(scope: ViewerScope, ref: ObjectRef, *, start: datetime | None = None,
                     end: datetime | None = None) -> history.Changelog:
    """The changes of one object, rebuilt from its write events (see ``history``): all of them, or
    those received in [start, end). A window reads only its own events plus the few before it
    that give the version it starts from, so a busy policy's last day costs what a day costs."""
    if not scope.allows(ref.cluster, ref.namespace):
        return history.Changelog()
    store = get_store()
    records = store.history(EventQuery(scope=scope, start=start, end=end, query=WRITES), ref)
    if start is None:
        deletes = bulk_deletes.for_object(scope, ref, start=None, end=end, changes=CHANGES)
        return history.build_changelog(bulk_deletes.with_deletes(records, deletes, ref))
    base = _base_records(scope, ref, start)
    # From the version the window starts from (the base tells it), or from the window's start.
    deletes = bulk_deletes.for_object(scope, ref, start=base[0].time if base else start, end=end, changes=CHANGES)
    return history.window(history.build_changelog(bulk_deletes.with_deletes(base + records, deletes, ref)), start)


BASE_PAGE = 25
BASE_LIMIT = 100


def _base_records(scope: ViewerScope, ref: ObjectRef, start: datetime) -> list[AuditRecord]:
    """The changes just before ``start``, back to one that tells the whole object (a recorded
    response, a create or update body, or a delete), oldest first; at most a hundred."""
    filters = {"resource": ref.resource, "namespace": ref.namespace, "name": ref.name}
    if ref.api_group is not None:
        filters["api_group"] = ref.api_group
    q = EventQuery(scope=scope, end=start, clusters=(ref.cluster,), query=CHANGES, filters=filters)
    found: list[AuditRecord] = []
    # Newest first, looked for back from start step by step: the base is nearly always recent.
    for record in get_store().newest_first(q, anchor=start, page_size=BASE_PAGE):
        found.append(record)
        if history.self_contained(record) or len(found) >= BASE_LIMIT:
            break
    return found[::-1]
