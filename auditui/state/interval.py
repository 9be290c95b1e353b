"""Endpoints over an interval, worst case, as Calico's reports combine them (reference §3.2):
*protected* and *Envoy enabled* must hold for as long as the endpoint existed in the interval;
exposure to the internet or other namespaces counts if it held at any time; applied policies
are the union, and so are the services that select it. This is what inventory and network-access
reports are built from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from auditui.events.normalize import AuditRecord
from auditui.state import replay
from auditui.state.cluster import ClusterState, Completeness
from auditui.state.endpoints import Endpoint, endpoint_of
from auditui.state.exposure import Evaluator, Flags
from auditui.state.rebuild import rebuild, state_events

# Kinds whose change can change the flags of every pod (not only of the pod written).
_POD_ONLY = ("pods",)
_NAMESPACE_WIDE = ("namespaces", "serviceaccounts", "services")


def worst_case(flags: list[Flags]) -> Flags:
    """Calico's combination of one endpoint's flags over an interval."""
    return Flags(
        ingress_protected=all(f.ingress_protected for f in flags),
        egress_protected=all(f.egress_protected for f in flags),
        ingress_from_internet=any(f.ingress_from_internet for f in flags),
        egress_to_internet=any(f.egress_to_internet for f in flags),
        ingress_from_other_namespace=any(f.ingress_from_other_namespace for f in flags),
        egress_to_other_namespace=any(f.egress_to_other_namespace for f in flags),
        envoy_enabled=all(f.envoy_enabled for f in flags),
    )


@dataclass
class IntervalEndpoint:
    endpoint: Endpoint  # as last seen in the interval
    flags: Flags
    applied: list[str] = field(default_factory=list)  # policy ids, in the order first seen
    services: list[str] = field(default_factory=list)  # names of the services of its namespace selecting it

    def add(self, endpoint: Endpoint, flags: Flags, applied: list[str], services: list[str]) -> None:
        self.endpoint = endpoint
        self.flags = worst_case([self.flags, flags])
        self.applied += [p for p in applied if p not in self.applied]
        self.services += [s for s in services if s not in self.services]


@dataclass(frozen=True)
class IntervalState:
    """The endpoints of an interval and how complete the picture is at its end."""

    endpoints: dict[tuple[str, str], IntervalEndpoint]
    completeness: Completeness


def endpoints_over(*, cluster: str, start: datetime, end: datetime,
                   include_staged: bool = False) -> dict[tuple[str, str], IntervalEndpoint]:
    """Every pod that existed at some time in [start, end), with its worst-case flags."""
    return interval_state(cluster=cluster, start=start, end=end, include_staged=include_staged).endpoints


def interval_state(*, cluster: str, start: datetime, end: datetime, include_staged: bool = False) -> IntervalState:
    """``endpoints_over`` and the completeness of the state at the end of the interval."""
    state = rebuild(cluster, start, inclusive=False)
    result: dict[tuple[str, str], IntervalEndpoint] = {}
    pods = _Pods(state)
    _evaluate(state, pods, set(state.entries("pods")), result, include_staged)
    for record in state_events(cluster, start, end):
        replay.apply(state, record)
        pods.follow(record)
        _evaluate(state, pods, _touched(state, record), result, include_staged)
    return IntervalState(result, state.completeness())


class _Pods:
    """The state's pods as endpoints, kept up to date along a replay: a pod's write converts that
    pod only (converting every pod at each step was most of a report's time)."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self.by_key: dict[tuple[str, str], Endpoint] = {}
        self.reload()

    def reload(self) -> None:
        self.by_key = {key: endpoint_of(entry) for key, entry in self.state.entries("pods").items()}

    def follow(self, record: AuditRecord) -> None:
        if record.resource == "pods" and record.verb != "deletecollection":
            key = (record.namespace, record.name)
            entry = self.state.entries("pods").get(key)
            if entry is None:
                self.by_key.pop(key, None)
            else:
                self.by_key[key] = endpoint_of(entry)
        elif record.resource in ("pods", "namespaces"):  # a collection, or a namespace's cascade
            self.reload()


def services_selecting(state: ClusterState, endpoint: Endpoint) -> list[str]:
    """Services of the endpoint's namespace whose selector matches its labels (a service without
    a selector has its endpoints written by hand: no pod is its by labels)."""
    found = []
    for (namespace, name), entry in sorted(state.entries("services").items()):
        selector = entry.spec.get("selector")
        if namespace == endpoint.namespace and isinstance(selector, dict) and selector and all(
                endpoint.labels.get(str(k)) == str(v) for k, v in selector.items()):
            found.append(name)
    return found


def _touched(state: ClusterState, record: AuditRecord) -> set[tuple[str, str]]:
    pods = set(state.entries("pods"))
    if record.resource in _POD_ONLY and record.verb != "deletecollection":
        return {(record.namespace, record.name)} & pods
    if record.resource in _NAMESPACE_WIDE:
        namespace = record.name if record.resource == "namespaces" else record.namespace
        return {key for key in pods if key[0] == namespace}
    return pods  # a policy, tier or network set: any pod may be concerned


def _evaluate(state: ClusterState, pods: _Pods, keys: set[tuple[str, str]],
              result: dict[tuple[str, str], IntervalEndpoint], include_staged: bool) -> None:
    if not keys:
        return
    evaluator = Evaluator(state, include_staged=include_staged, endpoints=list(pods.by_key.values()))
    for key in sorted(keys):
        endpoint = pods.by_key[key]
        evaluated = evaluator.evaluate(endpoint)
        ids = [p.id for p in evaluated.applied]
        services = services_selecting(state, endpoint)
        if key in result:
            result[key].add(endpoint, evaluated.flags, ids, services)
        else:
            result[key] = IntervalEndpoint(endpoint, replace(evaluated.flags), ids, services)
