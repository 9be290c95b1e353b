"""What a report reads from the event store, for one interval, through the store's public face
(``auditui.events.store``, ``auditui.events.query``): on every backend alike.

Reports are generated once, in the whole view (``ViewerScope.all()``); what each viewer or
subscriber receives is cut to their scope afterwards (``reports.cut``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditui.access.scope import ViewerScope
from auditui.events.normalize import AuditRecord
from auditui.events.query import parse
from auditui.events.store import EventQuery, GroupCount, get_store
from reports.builtin_types import POLICY_RESOURCES

# Calico selects policy kinds by resource alone; auditui also names their groups, so that the
# writes the Calico API server makes to its own CRDs (crd.projectcalico.org) never count twice.
POLICY_GROUPS = ("projectcalico.org", "networking.k8s.io")
CHANGE_VERBS = ("create", "update", "patch", "delete")
# Each request once: the stage whose event carries the outcome.
ONE_STAGE = "stage = ResponseComplete"
SUCCESS = '"responseStatus.code" >= 200 AND "responseStatus.code" < 300'
PAGE = 1000


def _set(values: tuple[str, ...]) -> str:
    return "{" + ", ".join(f'"{v}"' for v in values) + "}"


POLICY_AUDIT_QUERY = (
    f'"objectRef.resource" IN {_set(POLICY_RESOURCES)} AND "objectRef.apiGroup" IN {_set(POLICY_GROUPS)} '
    f"AND verb IN {_set(CHANGE_VERBS)} AND {ONE_STAGE}"
)


def interval_query(start: datetime, end: datetime, text: str | None = None) -> EventQuery:
    return EventQuery(scope=ViewerScope.all(), start=start, end=end, query=parse(text) if text else None)


def events_oldest_first(q: EventQuery) -> list[AuditRecord]:
    """Every event ``q`` selects, oldest first (stores page newest first)."""
    records = list(get_store().every_record(q, page_size=PAGE))
    records.reverse()
    return records


def policy_audit_events(start: datetime, end: datetime) -> list[AuditRecord]:
    return events_oldest_first(interval_query(start, end, POLICY_AUDIT_QUERY))


@dataclass
class Table:
    """A short table of an activity summary: column titles and rows of cells."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Activity:
    """The interval's activity in numbers and short tables (``activity-summary``)."""

    counts: dict[str, int]
    tables: list[Table]
    policy_changes: list[dict[str, Any]]


def _count(store: Any, start: datetime, end: datetime, text: str) -> int:
    return int(store.count(interval_query(start, end, text)))


def _groups(store: Any, start: datetime, end: datetime, text: str | None, group_by: list[str],
            limit: int = 10) -> list[GroupCount]:
    return list(store.aggregate(interval_query(start, end, text), group_by=group_by, limit=limit))


def _created_deleted(store: Any, start: datetime, end: datetime, resource: str) -> tuple[int, int]:
    base = f'"objectRef.resource" = {resource} AND "objectRef.subresource" EMPTY AND {ONE_STAGE} AND {SUCCESS}'
    return (_count(store, start, end, f"{base} AND verb = create"),
            _count(store, start, end, f"{base} AND verb = delete"))


def activity(start: datetime, end: datetime) -> Activity:
    """Counts and top lists, each one aggregation in the store (never the interval's events one
    by one), so that it takes time with the number of groups, not of events."""
    store = get_store()
    pods = _created_deleted(store, start, end, "pods")
    namespaces = _created_deleted(store, start, end, "namespaces")
    forbidden = f'"responseStatus.code" = 403 AND {ONE_STAGE}'
    sessions = f'"objectRef.resource" = pods AND "objectRef.subresource" IN {{exec, attach}} AND {ONE_STAGE}'
    accounts = f'"objectRef.resource" = serviceaccounts AND verb = create AND {ONE_STAGE} AND {SUCCESS}'
    bindings = (f'"objectRef.resource" IN {{rolebindings, clusterrolebindings}} AND verb IN {_set(CHANGE_VERBS)} '
                f"AND {ONE_STAGE} AND {SUCCESS}")
    policy_text = f"{POLICY_AUDIT_QUERY} AND {SUCCESS}"
    changes = store.object_activity(interval_query(start, end, policy_text),
                                    kinds=[(g, r) for r in POLICY_RESOURCES for g in POLICY_GROUPS], limit=50)
    counts = {
        "numEvents": int(store.count(interval_query(start, end))),
        "numPodsCreated": pods[0], "numPodsDeleted": pods[1],
        "numNamespacesCreated": namespaces[0], "numNamespacesDeleted": namespaces[1],
        "numPolicyChanges": _count(store, start, end, policy_text),
        "numForbidden": _count(store, start, end, forbidden),
        "numExecSessions": _count(store, start, end, sessions),
        "numServiceAccountsCreated": _count(store, start, end, accounts),
        "numRbacBindingChanges": _count(store, start, end, bindings),
    }
    tables = [
        Table("Events by verb", ["verb", "events"],
              [[g.keys[0] or "-", g.count] for g in _groups(store, start, end, None, ["verb"], 20)]),
        Table("Events by resource", ["resource", "events"],
              [[g.keys[0] or "-", g.count] for g in _groups(store, start, end, None, ["resource"], 20)]),
        Table("Top users", ["user", "events"],
              [[g.keys[0] or "-", g.count] for g in _groups(store, start, end, None, ["username"])]),
        Table("Forbidden requests", ["user", "verb", "resource", "requests"],
              [[*g.keys, g.count] for g in _groups(store, start, end, forbidden, ["username", "verb", "resource"])]),
        Table("Exec and attach sessions", ["user", "namespace", "pod", "sessions"],
              [[*g.keys, g.count] for g in _groups(store, start, end, sessions, ["username", "namespace", "name"])]),
        Table("New service accounts", ["cluster", "namespace", "name"],
              [list(g.keys) for g in _groups(store, start, end, accounts, ["cluster", "namespace", "name"], 20)]),
        Table("RBAC binding changes", ["kind", "namespace", "name", "changes"],
              [[*g.keys, g.count]
               for g in _groups(store, start, end, bindings, ["resource", "namespace", "name"], 20)]),
    ]
    policy_changes = [{
        "cluster": c.ref.cluster, "resource": c.ref.resource, "apiGroup": c.ref.api_group,
        "namespace": c.ref.namespace, "name": c.ref.name, "changes": c.count,
        "lastUser": c.last.username, "lastTime": c.last.time.isoformat().replace("+00:00", "Z"),
    } for c in changes]
    return Activity(counts=counts, tables=tables, policy_changes=policy_changes)
