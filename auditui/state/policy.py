"""Which policies select an endpoint, per direction, with Calico's semantics (pure: no database).

Kubernetes NetworkPolicies select pods of their namespace by ``podSelector``; ``policyTypes``
defaults to Ingress, plus Egress when the policy has egress rules. Calico NetworkPolicies
select endpoints of their namespace by ``selector`` (and ``serviceAccountSelector``),
GlobalNetworkPolicies endpoints of any namespace (``namespaceSelector`` on the namespace's
labels); ``types`` defaults to the directions that have rules, Ingress when neither has.
Policies with ``doNotTrack`` or ``preDNAT`` apply to host endpoints only. Staged policies count
only when asked (``AUDITUI_INCLUDE_STAGED_POLICIES``), and not those staging a deletion. Order:
the tier's order, then the policy's (absent = last), then the name; Kubernetes policies sit in
the ``default`` tier at order 1000, as Calico converts them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from auditui.state.cluster import ClusterState, Entry
from auditui.state.endpoints import Endpoint, namespace_labels, service_account_labels
from auditui.state.kinds import BY_KEY, StateKind
from auditui.state.labels import label_selector_matches
from auditui.state.selector import SelectorError, parse

INGRESS, EGRESS = "Ingress", "Egress"
K8S_KINDS = ("k8s_networkpolicies", "stagedkubernetesnetworkpolicies")
CALICO_KINDS = ("networkpolicies", "globalnetworkpolicies", "stagednetworkpolicies", "stagedglobalnetworkpolicies")
STAGED_KINDS = ("stagednetworkpolicies", "stagedglobalnetworkpolicies", "stagedkubernetesnetworkpolicies")
DEFAULT_TIER = "default"
DEFAULT_TIER_ORDER = 1_000_000.0  # Calico's default tier comes after tiers with an order
K8S_ORDER = 1000.0


@dataclass(frozen=True)
class Policy:
    kind: StateKind
    namespace: str  # "" for global policies
    name: str
    tier: str
    tier_order: float
    order: float
    types: frozenset[str]
    spec: dict[str, Any]

    @property
    def is_kubernetes(self) -> bool:
        return self.kind.key in K8S_KINDS

    @property
    def id(self) -> str:
        """``Kind.group(namespace/name)``, as Calico's reports name resources."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind.kind}.{self.kind.group}({where})"

    @property
    def directions(self) -> list[str]:
        return sorted(self.types, key=(INGRESS, EGRESS).index)

    @property
    def sort_key(self) -> tuple:
        return (self.tier_order, self.tier, self.order, self.name, self.namespace, self.kind.key)

    def rules(self, direction: str) -> list[dict[str, Any]]:
        if direction not in self.types:
            return []
        rules = self.spec.get("ingress" if direction == INGRESS else "egress") or []
        return [r for r in rules if isinstance(r, dict)]


def _number(value: Any, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _types(entry: Entry, kubernetes: bool) -> frozenset[str]:
    spec = entry.spec
    declared = spec.get("policyTypes" if kubernetes else "types")
    if isinstance(declared, list) and declared:
        return frozenset(str(t) for t in declared if t in (INGRESS, EGRESS))
    if kubernetes:
        return frozenset([INGRESS, EGRESS] if spec.get("egress") else [INGRESS])
    has_in, has_out = bool(spec.get("ingress")), bool(spec.get("egress"))
    if has_out and not has_in:
        return frozenset([EGRESS])
    return frozenset([INGRESS, EGRESS] if has_out else [INGRESS])


def tier_orders(state: ClusterState) -> dict[str, float]:
    orders = {DEFAULT_TIER: DEFAULT_TIER_ORDER}
    for (_ns, name), entry in state.entries("tiers").items():
        orders[name] = _number(entry.spec.get("order"), DEFAULT_TIER_ORDER if name == DEFAULT_TIER else math.inf)
    return orders


def policies_of(state: ClusterState, *, include_staged: bool = False) -> list[Policy]:
    """Every policy that can select a pod, in the order Calico evaluates them."""
    tiers = tier_orders(state)
    result = []
    for key in (*K8S_KINDS, *CALICO_KINDS):
        if key in STAGED_KINDS and not include_staged:
            continue
        for (namespace, name), entry in state.entries(key).items():
            policy = _policy(BY_KEY[key], namespace, name, entry, tiers)
            if policy is not None:
                result.append(policy)
    return sorted(result, key=lambda p: p.sort_key)


def _policy(kind: StateKind, namespace: str, name: str, entry: Entry, tiers: dict[str, float]) -> Policy | None:
    spec = entry.spec
    if kind.key in STAGED_KINDS and spec.get("stagedAction") == "Delete":
        return None
    if spec.get("doNotTrack") or spec.get("preDNAT"):
        return None  # host endpoints only
    kubernetes = kind.key in K8S_KINDS
    tier = DEFAULT_TIER if kubernetes else str(spec.get("tier") or DEFAULT_TIER)
    order = K8S_ORDER if kubernetes else _number(spec.get("order"), math.inf)
    return Policy(kind, namespace, name, tier, tiers.get(tier, math.inf), order, _types(entry, kubernetes), spec)


def calico_matches(selector: Any, labels: dict[str, str]) -> bool:
    """A Calico selector from a stored object (absent or empty = all(); unparseable = nothing)."""
    try:
        return parse(str(selector or "")).matches(labels)
    except SelectorError:
        return False


def selects(policy: Policy, endpoint: Endpoint, state: ClusterState) -> bool:
    spec = policy.spec
    if policy.is_kubernetes:
        return policy.namespace == endpoint.namespace and label_selector_matches(
            spec.get("podSelector") if spec.get("podSelector") is not None else {}, endpoint.labels)
    if policy.namespace and policy.namespace != endpoint.namespace:
        return False
    if not calico_matches(spec.get("selector"), endpoint.calico_labels):
        return False
    if not policy.namespace and spec.get("namespaceSelector") and not calico_matches(
            spec["namespaceSelector"], namespace_labels(state, endpoint.namespace)):
        return False
    if spec.get("serviceAccountSelector"):
        sa_labels = service_account_labels(state, endpoint.namespace, endpoint.service_account)
        return calico_matches(spec["serviceAccountSelector"], sa_labels)
    return True
