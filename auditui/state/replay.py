"""Replay audit events onto a ClusterState, as Calico's compliance replayer does.

``create``/``update``/``patch`` set the object from the response object, else from the request
body or the patch applied to the version we hold (the policy changelog's rebuilding,
``auditui.policies.history.version_after``); an object whose resourceVersion is older than the
one held is skipped; ``delete`` removes it; ``deletecollection`` removes what the response
lists, else what its ``labelSelector`` selects, else the whole collection; deleting a
namespace removes everything in it. Only successful requests at their final stage count.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from auditui.events.normalize import AuditRecord
from auditui.policies.history import version_after
from auditui.state.cluster import EVENTS, ClusterState, Entry, trimmed
from auditui.state.kinds import StateKind, for_event
from auditui.state.labels import selector_string_matches

WRITES = ("create", "update", "patch")
DELETES = ("delete", "deletecollection")
VERBS = WRITES + DELETES
FINAL = ("ResponseComplete",)


def relevant(record: AuditRecord) -> bool:
    """Whether the event can change the state: a successful, completed write to a followed kind."""
    return (
        record.stage in FINAL and record.verb in VERBS and record.succeeded
        and record.subresource in ("", "status", "binding")
        and for_event(record.api_group, record.resource) is not None
    )


def replay_order(record: AuditRecord) -> tuple:
    return (record.time, record.stage_time or record.time, record.audit_id)


def replay(state: ClusterState, records: Iterable[AuditRecord]) -> ClusterState:
    for record in sorted((r for r in records if relevant(r)), key=replay_order):
        apply(state, record)
    return state


def apply(state: ClusterState, record: AuditRecord) -> None:
    kind = for_event(record.api_group, record.resource)
    if kind is None or not relevant(record):
        return
    if record.verb == "deletecollection":
        _delete_collection(state, kind, record)
    elif record.verb == "delete":
        _delete(state, kind, record.namespace if kind.namespaced else "", record.name)
    elif record.subresource == "binding":
        _bind(state, record)
    else:
        _write(state, kind, record)


def _delete(state: ClusterState, kind: StateKind, namespace: str, name: str) -> None:
    state.remove(kind.key, namespace, name)
    if kind.key == "namespaces":
        state.remove_namespace(name)


def _delete_collection(state: ClusterState, kind: StateKind, record: AuditRecord) -> None:
    namespace = record.namespace if kind.namespaced else ""
    in_scope = {key: e for key, e in state.entries(kind.key).items() if not namespace or key[0] == namespace}
    listed = _listed_names(record)
    selector = parse_qs(urlsplit(record.request_uri).query).get("labelSelector", [""])[0]
    for (ns, name), entry in in_scope.items():
        if _gone(name, entry, listed, selector):
            _delete(state, kind, ns, name)


def _gone(name: str, entry: Entry, listed: set[str] | None, selector: str) -> bool:
    if listed is not None:  # the response names what went
        return name in listed
    # a selector picks what went; without one the whole collection went
    return not selector or selector_string_matches(selector, entry.labels)


def _listed_names(record: AuditRecord) -> set[str] | None:
    """The names a deletecollection's response lists (None when it lists nothing readable)."""
    response = record.raw.get("responseObject")
    items = response.get("items") if isinstance(response, dict) else None
    if not isinstance(items, list):
        return None
    return {str(i.get("metadata", {}).get("name")) for i in items if isinstance(i, dict)}


def _bind(state: ClusterState, record: AuditRecord) -> None:
    """``pods/binding``: the scheduler puts the pod on a node."""
    entry = state.get("pods", record.namespace, record.name)
    body = record.raw.get("requestObject")
    node = body.get("target", {}).get("name") if isinstance(body, dict) else None
    if entry is not None and node:
        spec = dict(entry.spec, nodeName=node)
        entry.object = {**entry.object, "spec": spec}
        entry.since = record.time


def _write(state: ClusterState, kind: StateKind, record: AuditRecord) -> None:
    namespace = record.namespace if kind.namespaced else ""
    held = state.get(kind.key, namespace, record.name) if record.name else None
    after, _source, _note = version_after(record, held.object if held and held.known else None)
    if after is None:
        # A status write cannot change labels or spec: not knowing it leaves what we know intact.
        if record.subresource != "status":
            _unknown_content(state, kind, record, held)
        return
    entry = Entry(trimmed(after), EVENTS, record.time, True)
    meta = entry.object.setdefault("metadata", {})
    meta.setdefault("name", record.name)
    if kind.namespaced:
        meta.setdefault("namespace", namespace)
    current = state.get(kind.key, str(meta.get("namespace") or "") if kind.namespaced else "", str(meta["name"]))
    if _older(entry, current):
        return  # Calico's replayer keeps the newer version it holds
    state.put(kind.key, entry)


def _older(entry: Entry, current: Entry | None) -> bool:
    if current is None or entry.resource_version is None or current.resource_version is None:
        return False
    return entry.resource_version < current.resource_version


def _unknown_content(state: ClusterState, kind: StateKind, record: AuditRecord, held: Entry | None) -> None:
    """A write whose result was not recorded (Metadata level): the object exists; what it holds
    is the last version we know, marked as not known any more."""
    if not record.name:
        return
    if held is not None:
        held.known, held.since = False, record.time
        return
    meta = {"name": record.name, **({"namespace": record.namespace} if kind.namespaced else {})}
    state.put(kind.key, Entry({"metadata": meta}, EVENTS, record.time, known=False))
