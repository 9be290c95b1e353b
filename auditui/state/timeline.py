"""Which policies applied to one pod, and since when: the state replayed from before the pod's
creation (or from the last snapshot before it), its applied policies re-evaluated whenever an
event could change them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from auditui.events.normalize import AuditRecord
from auditui.state import replay
from auditui.state.cluster import ClusterState
from auditui.state.endpoints import endpoint_of
from auditui.state.exposure import EndpointPolicies, Evaluator
from auditui.state.models import StateSnapshot
from auditui.state.policy import Policy
from auditui.state.rebuild import last_snapshot, rebuild, state_events

# Kinds whose changes can change which policies select a pod (besides the pod itself).
_SELECTION_RESOURCES = {
    "namespaces", "serviceaccounts", "networkpolicies", "globalnetworkpolicies", "stagednetworkpolicies",
    "stagedglobalnetworkpolicies", "stagedkubernetesnetworkpolicies", "tiers",
}


@dataclass(frozen=True)
class AppliedSince:
    policy: Policy
    since: datetime | None  # None: already before ``known_from``


@dataclass(frozen=True)
class PodTimeline:
    result: EndpointPolicies | None  # None: the pod did not exist at that instant
    applied: list[AppliedSince]
    known_from: datetime | None  # where the replay started (None: the first event held)


def _parse_created(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def pod_timeline(*, cluster: str, namespace: str, name: str, at: datetime, include_staged: bool) -> PodTimeline:
    current = rebuild(cluster, at)
    entry = current.get("pods", namespace, name)
    if entry is None:
        return PodTimeline(None, [], None)
    # From the last snapshot before the pod's creation; without a creation time, from the start.
    created = _parse_created(entry.metadata.get("creationTimestamp"))
    snapshot = last_snapshot(cluster, created) if created else None
    state = ClusterState.from_json(snapshot.state) if snapshot else ClusterState(cluster)
    since: dict[str, datetime | None] = {}
    _track(state, namespace, name, None, since, include_staged)
    for record in state_events(cluster, snapshot.at if snapshot else None, at + timedelta(microseconds=1)):
        replay.apply(state, record)
        if _may_change(record, namespace, name):
            _track(state, namespace, name, record.time, since, include_staged)
    result = Evaluator(current, include_staged=include_staged).evaluate(endpoint_of(entry))
    applied = [AppliedSince(p, since.get(p.id)) for p in result.applied]
    return PodTimeline(result, applied, _start(snapshot))


def _start(snapshot: StateSnapshot | None) -> datetime | None:
    return snapshot.at if snapshot else None


def _may_change(record: AuditRecord, namespace: str, name: str) -> bool:
    if record.resource == "pods":
        return record.namespace == namespace and (record.name == name or record.verb == "deletecollection")
    return record.resource in _SELECTION_RESOURCES


def _track(state: ClusterState, namespace: str, name: str, moment: datetime | None,
           since: dict[str, datetime | None], include_staged: bool) -> None:
    """Start the clock of policies that now apply; stop it for those that no longer do."""
    entry = state.get("pods", namespace, name)
    if entry is None:
        since.clear()
        return
    ids = {p.id for p in Evaluator(state, include_staged=include_staged).applied(endpoint_of(entry))}
    for gone in set(since) - ids:
        del since[gone]
    for new in ids - set(since):
        since[new] = moment
