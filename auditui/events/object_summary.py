"""The per-object summary: for every object of the followed kinds, its first and last change,
how many changes, who made the last and with which verb, and whether it is deleted.

Why: "all known policies" asked for every change ever stored of the followed kinds and grouped
them per object, on every page view; at a year of events that was the slowest read left
(issue 18). Stores that keep this summary (``EventStore.object_summaries``) keep it up to date
as they write, so the list reads one row per object instead.

A *change* is what the policy changelog counts (``CHANGES``): a write request about the object
itself (``create``, ``update``, ``patch``, ``delete``), at its final stage, not answered with an
error. Objects are named (collection deletes name none: the lists merge those in as before).

The followed kinds are the policy changelog's (``AUDITUI_POLICY_KINDS``); ``auditui.policies``
registers them here (``follow``), since this package imports no app built on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from auditui.events.normalize import AuditRecord
from auditui.events.query.matcher import matches
from auditui.events.query.nodes import And, Compare, Empty, InSet, Not

WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
DELETE_VERBS = ("delete", "deletecollection")
# Every write request about an object itself (not its status), any stage and outcome.
WRITES = And((InSet("verb", WRITE_VERBS), Empty("objectRef.subresource")))
# The writes that changed it: the final stage, not answered with an error. (Written as NOT >= 400
# rather than < 400: the same events, but SQLite then reads the (resource, time) index instead of
# scanning every successful request through the response-code index.)
CHANGES = And((*WRITES.children, Compare("stage", "=", "ResponseComplete"),
               Not(Compare("responseStatus.code", ">=", "400"))))

Key = tuple[str, str, str, str, str]  # cluster, api_group, resource, namespace, name
KEY_FIELDS = ("cluster", "api_group", "resource", "namespace", "name")

_followed: list[Callable[[], Iterable[tuple[str, str]]]] = []


def follow(kinds: Callable[[], Iterable[tuple[str, str]]]) -> None:
    """Register a source of followed kinds, ``(api_group, resource)`` pairs (read at each call,
    so that settings changed in tests are seen)."""
    if kinds not in _followed:
        _followed.append(kinds)


def followed_kinds() -> frozenset[tuple[str, str]]:
    return frozenset(kind for source in _followed for kind in source())


@dataclass(frozen=True)
class ObjectSummary:
    cluster: str
    api_group: str
    resource: str
    namespace: str
    name: str
    first_seen: datetime
    last_seen: datetime
    changes: int
    last_verb: str
    last_user: str
    last_event_id: int | str | None
    # The object's ``spec.tier`` after its last change, when that change recorded it (Calico's
    # tiered policies): what the policy lists show without reading the event.
    last_tier: str
    deleted: bool

    @property
    def key(self) -> Key:
        return (self.cluster, self.api_group, self.resource, self.namespace, self.name)

    def last_record(self) -> AuditRecord:
        """The last change as a record of its indexed fields only (no raw event)."""
        return AuditRecord(cluster=self.cluster, audit_id="", stage="ResponseComplete", time=self.last_seen,
                           raw={}, verb=self.last_verb, username=self.last_user, resource=self.resource,
                           api_group=self.api_group, namespace=self.namespace, name=self.name,
                           id=self.last_event_id)


def key_of(record: AuditRecord) -> Key:
    return (record.cluster, record.api_group, record.resource, record.namespace, record.name)


def changes_of(records: Iterable[AuditRecord], kinds: frozenset[tuple[str, str]]) -> list[AuditRecord]:
    """The records that change an object of ``kinds`` (the kind test first: it is cheap, and on
    the ingest path nearly every record fails it)."""
    if not kinds:
        return []
    return [r for r in records
            if r.name and (r.api_group, r.resource) in kinds
            and matches(CHANGES, r.raw, cluster=r.cluster, record=r)]


def tier_hint(record: AuditRecord) -> str:
    """``spec.tier`` of the object after this change, as the changelog rebuilds it without the
    previous version: the recorded response, else a create's or update's request body."""
    if record.verb in DELETE_VERBS:
        return ""
    raw = record.raw
    obj = raw.get("responseObject")
    recorded = (isinstance(obj, dict) and obj.get("kind") not in ("Status", None)
                and isinstance(obj.get("metadata"), dict))
    if not recorded:
        obj = raw.get("requestObject") if record.verb in ("create", "update") else None
    spec = obj.get("spec") if isinstance(obj, dict) else None
    tier = spec.get("tier") if isinstance(spec, dict) else None
    return tier if isinstance(tier, str) else ""


def newer(a: AuditRecord, b: AuditRecord | None) -> bool:
    """Whether ``a`` comes after ``b`` for "last": later time; on a tie, the higher id."""
    if b is None:
        return True
    if a.time != b.time:
        return a.time > b.time
    return _id_order(a.id) > _id_order(b.id)


def _id_order(value: int | str | None) -> tuple[int, str]:
    if isinstance(value, int):
        return (value, "")
    return (-1, value or "")


def summarise(records: Sequence[AuditRecord]) -> dict[Key, ObjectSummary]:
    """One summary per object of these change records (their ids set), in any order."""
    firsts: dict[Key, datetime] = {}
    counts: dict[Key, int] = {}
    lasts: dict[Key, AuditRecord] = {}
    for record in records:
        key = key_of(record)
        counts[key] = counts.get(key, 0) + 1
        if key not in firsts or record.time < firsts[key]:
            firsts[key] = record.time
        if newer(record, lasts.get(key)):
            lasts[key] = record
    return {key: of_last(lasts[key], first_seen=firsts[key], changes=counts[key]) for key in lasts}


def of_last(last: AuditRecord, *, first_seen: datetime, changes: int) -> ObjectSummary:
    return ObjectSummary(
        cluster=last.cluster, api_group=last.api_group, resource=last.resource, namespace=last.namespace,
        name=last.name, first_seen=first_seen, last_seen=last.time, changes=changes, last_verb=last.verb,
        last_user=last.username, last_event_id=last.id, last_tier=tier_hint(last),
        deleted=last.verb in DELETE_VERBS,
    )
