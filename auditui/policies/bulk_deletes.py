"""Deletes of a whole collection (``kubectl delete networkpolicies --all``: verb
``deletecollection``). Their events name no object, so a history read by object name misses
them; this module says which objects each one removed.

- When the response was recorded (RequestResponse level) it lists the deleted objects (a
  ``…List`` whose items are those objects): exact.
- Otherwise a request without a label or field selector removed every object of its kind in its
  namespace (in every namespace, when it named none) that existed at that moment: the objects
  whose own history says they existed then.
- With a selector and no recorded response, which objects matched cannot be known, so none is
  attributed (the event is still found by the events search).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from auditui.access.scope import ViewerScope
from auditui.events.normalize import AuditRecord
from auditui.events.query import escape
from auditui.events.query.nodes import And, Compare, Node, Or
from auditui.events.store import EventQuery, ObjectActivity, ObjectRef, get_store
from auditui.policies import history

# Enough for years of `--all` deletes of one kind; more are not read (and the page says nothing
# about them), which keeps a runaway script from making every history slow.
MAX_BULK_DELETES = 1000
PAGE = 500
# In a list, the newest this many collection deletes without a recorded response are inferred.
MAX_INFERRED = 50
_SELECTORS = ("labelSelector", "fieldSelector")
_DELETECOLLECTION = Compare("verb", "=", "deletecollection")


@dataclass(frozen=True)
class BulkDelete:
    record: AuditRecord
    listed: frozenset[tuple[str, str]] | None  # (namespace, name) from the response; None: not recorded
    selective: bool  # the request had a label or field selector

    @classmethod
    def of(cls, record: AuditRecord) -> BulkDelete:
        return cls(record, _listed(record), _selective(record.request_uri))

    @property
    def inferred(self) -> bool:
        """No response says what it removed, and no selector narrowed it: everything then alive."""
        return self.listed is None and not self.selective

    def covers(self, namespace: str, name: str) -> bool | None:
        """Whether it removed this object: True or False when that is known; None when it
        removed it if the object existed then (no response recorded, no selector)."""
        if self.record.namespace and self.record.namespace != namespace:
            return False
        if self.listed is not None:
            return (namespace, name) in self.listed
        return None if self.inferred else False


def _listed(record: AuditRecord) -> frozenset[tuple[str, str]] | None:
    response = record.raw.get("responseObject")
    items = response.get("items") if isinstance(response, dict) else None
    if not isinstance(items, list):
        return None
    found = set()
    for item in items:
        meta = item.get("metadata") if isinstance(item, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else record.namespace
            found.add((namespace, meta["name"]))
    return frozenset(found)


def _selective(request_uri: str) -> bool:
    query = parse_qs(urlsplit(request_uri).query)
    return any(value.strip() for key in _SELECTORS for value in query.get(key, []))


def read(q: EventQuery, kinds: Iterable[tuple[str, str]], changes: Node) -> list[BulkDelete]:
    """The successful collection deletes of these kinds (api group, resource) that ``q`` reads
    (its namespace filter aside: a delete in every namespace has none), oldest first."""
    each = tuple(
        And((Compare("objectRef.apiGroup", "=", escape(group)), Compare("objectRef.resource", "=", escape(resource))))
        for group, resource in kinds
    )
    of_kinds = each[0] if len(each) == 1 else Or(each)
    # One query for every kind: an equality on the verb alone lets SQL read its (verb, time)
    # index, where these rare events are a handful of rows. The verb and the empty name as filters
    # too: a search engine then reads only the days with such deletes (its object-days index).
    filters = {**{k: v for k, v in q.filters.items() if k != "namespace"}, "name": "", "verb": "deletecollection"}
    return _read(replace(q, query=And((_DELETECOLLECTION, changes, of_kinds)), filters=filters))


def for_object(scope: ViewerScope, ref: ObjectRef, *, start: datetime | None, end: datetime | None,
               changes: Node) -> list[BulkDelete]:
    """The collection deletes in [start, end) that may have removed ``ref``: those of its kind in
    its namespace or in every namespace (named by the object's index: cluster, kind, namespace,
    and no name)."""
    if ref.api_group is None:
        return []
    found: list[BulkDelete] = []
    for namespace in dict.fromkeys((ref.namespace, "")):
        # The verb as a filter too: a search engine then reads only the days with such deletes.
        filters = {"resource": ref.resource, "api_group": ref.api_group, "namespace": namespace, "name": "",
                   "verb": "deletecollection"}
        q = EventQuery(scope=scope, start=start, end=end, clusters=(ref.cluster,),
                       query=And((_DELETECOLLECTION, changes)), filters=filters)
        found += _read(q)
    found.sort(key=lambda d: d.record.time)
    return [d for d in found if d.covers(ref.namespace, ref.name) is not False]


def _read(q: EventQuery) -> list[BulkDelete]:
    store, records, cursor = get_store(), [], None
    while len(records) < MAX_BULK_DELETES:
        page = store.search(q, page_size=PAGE, cursor=cursor)
        records += page.records
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return sorted((BulkDelete.of(r) for r in records[:MAX_BULK_DELETES]), key=lambda d: d.record.time)


def removed_objects(scope: ViewerScope, delete: BulkDelete, changes: Node,
                    already_removed: dict[ObjectRef, datetime]) -> list[ObjectRef]:
    """The objects ``delete`` removed: those its response lists, or those of its kind and
    namespace that existed just before it (their latest change then was not a delete, and no
    earlier collection delete in ``already_removed`` came after that change)."""
    record = delete.record
    if delete.listed is not None:
        return [ObjectRef(record.cluster, record.resource, name, namespace, record.api_group)
                for namespace, name in sorted(delete.listed)]
    if not delete.inferred:
        return []
    q = EventQuery(scope=scope, end=record.time, clusters=(record.cluster,), query=changes,
                   filters={"namespace": record.namespace} if record.namespace else {})
    before = get_store().object_activity(q, kinds=[(record.api_group, record.resource)], limit=None)
    return [
        a.ref for a in before
        if a.last.verb not in ("delete", "deletecollection") and already_removed.get(a.ref, a.last.time) <= a.last.time
    ]


def merge_activity(found: Sequence[ObjectActivity], scope: ViewerScope, deletes: Sequence[BulkDelete],
                   changes: Node, namespace: str = "") -> list[ObjectActivity]:
    """``found`` (objects with their count of changes and latest change) with the objects the
    collection deletes removed counted in; newest latest change first."""
    by_ref = {a.ref: a for a in found}
    removed: dict[ObjectRef, datetime] = {}
    # Inferring reads the kind's objects before each delete; a script that empties a namespace
    # every hour must not make the list read a year of changes thousands of times.
    inferred = [d for d in deletes if d.inferred]
    skipped = {id(d) for d in inferred[:-MAX_INFERRED]}
    for delete in deletes:  # oldest first
        if id(delete) in skipped:
            continue
        for ref in removed_objects(scope, delete, changes, removed):
            if namespace and ref.namespace != namespace:
                continue
            removed[ref] = delete.record.time
            had = by_ref.get(ref)
            if had is None:
                by_ref[ref] = ObjectActivity(ref, 1, delete.record)
            else:
                last = delete.record if delete.record.time >= had.last.time else had.last
                by_ref[ref] = ObjectActivity(ref, had.count + 1, last)
    return sorted(by_ref.values(), key=lambda a: a.last.time, reverse=True)


def with_deletes(records: list[AuditRecord], deletes: Sequence[BulkDelete], ref: ObjectRef) -> list[AuditRecord]:
    """An object's own write events plus the collection deletes that removed it. A delete whose
    response was not recorded counts when the object existed just before it: its last own change
    (or collection delete) until then was not a delete."""
    if not deletes:
        return records
    own = history.build_changelog(records).changes  # successful, in order
    merged, position, exists = list(records), 0, False
    for delete in deletes:  # oldest first
        while position < len(own) and own[position].time <= delete.record.time:
            exists = not own[position].is_delete
            position += 1
        covered = delete.covers(ref.namespace, ref.name)
        if covered is None:
            covered = exists
        if covered:
            merged.append(delete.record)
            exists = False
    return merged
