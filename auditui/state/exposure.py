"""What an endpoint's applied policies let in and out: Calico's compliance flags.

Per direction, an endpoint is *protected* when a policy of that direction selects it. An
unprotected direction is open to everything (Kubernetes' default), so it counts as reaching
the internet and other namespaces. Otherwise only rules that allow (Kubernetes rules, Calico's
``Allow``) count, and a rule's peer:
- without any restriction (no selectors, no nets) reaches everything;
- with nets only (``nets``/``notNets``, ``ipBlock`` with ``except``) reaches the internet when
  an address outside the private ranges is left, other namespaces when a private one is
  (pods' addresses are private);
- with selectors reaches other namespaces when it selects a pod of another namespace that
  exists in the state, and the internet when it selects a (Global)NetworkSet whose nets do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditui.state.cluster import ClusterState
from auditui.state.endpoints import Endpoint, endpoints_of, namespace_labels, service_account_labels
from auditui.state.labels import label_selector_matches
from auditui.state.nets import networks, reaches_internet, reaches_private
from auditui.state.policy import EGRESS, INGRESS, Policy, calico_matches, policies_of, selects

EVERYWHERE = networks(["0.0.0.0/0", "::/0"])


@dataclass(frozen=True)
class Reach:
    """Where a peer reaches: the internet, and the namespaces of the pods it selects."""

    internet: bool
    namespaces: frozenset[str] | None  # None: every namespace

    def other_namespace(self, own: str) -> bool:
        return self.namespaces is None or any(ns != own for ns in self.namespaces)


OPEN = Reach(True, None)
CLOSED = Reach(False, frozenset())


@dataclass(frozen=True)
class Flags:
    ingress_protected: bool
    egress_protected: bool
    ingress_from_internet: bool
    egress_to_internet: bool
    ingress_from_other_namespace: bool
    egress_to_other_namespace: bool
    envoy_enabled: bool


@dataclass(frozen=True)
class EndpointPolicies:
    endpoint: Endpoint
    ingress: tuple[Policy, ...]
    egress: tuple[Policy, ...]
    flags: Flags

    @property
    def applied(self) -> list[Policy]:
        """Every policy that selects the endpoint, in evaluation order, once."""
        seen = {p.id: p for p in (*self.ingress, *self.egress)}
        return sorted(seen.values(), key=lambda p: p.sort_key)


class Evaluator:
    """Evaluates every endpoint of one state; peers' reaches are computed once per rule."""

    def __init__(self, state: ClusterState, *, include_staged: bool = False,
                 endpoints: list[Endpoint] | None = None) -> None:
        """``endpoints``: the state's pods as endpoints, when the caller keeps them up to date
        (a replay over an interval), so that each step need not convert every pod again."""
        self.state = state
        self.policies = policies_of(state, include_staged=include_staged)
        self._reach: dict[tuple[str, str, int, int], Reach] = {}
        self._endpoints = endpoints

    @property
    def endpoints(self) -> list[Endpoint]:
        if self._endpoints is None:
            self._endpoints = endpoints_of(self.state)
        return self._endpoints

    def applied(self, endpoint: Endpoint) -> list[Policy]:
        """The policies that select ``endpoint``, in evaluation order."""
        return [p for p in self.policies if selects(p, endpoint, self.state)]

    def evaluate(self, endpoint: Endpoint) -> EndpointPolicies:
        applied = self.applied(endpoint)
        ingress = tuple(p for p in applied if INGRESS in p.types)
        egress = tuple(p for p in applied if EGRESS in p.types)
        in_reach = self._direction_reach(ingress, INGRESS)
        out_reach = self._direction_reach(egress, EGRESS)
        flags = Flags(
            bool(ingress), bool(egress),
            any(r.internet for r in in_reach), any(r.internet for r in out_reach),
            any(r.other_namespace(endpoint.namespace) for r in in_reach),
            any(r.other_namespace(endpoint.namespace) for r in out_reach),
            endpoint.envoy,
        )
        return EndpointPolicies(endpoint, ingress, egress, flags)

    def _direction_reach(self, policies: tuple[Policy, ...], direction: str) -> list[Reach]:
        if not policies:
            return [OPEN]
        reaches = []
        for policy in policies:
            for index, rule in enumerate(policy.rules(direction)):
                peers = _peers(policy, rule, direction)
                for peer_index, peer in enumerate(peers):
                    key = (policy.id, direction, index, peer_index)
                    if key not in self._reach:
                        self._reach[key] = self._peer_reach(policy, peer)
                    reaches.append(self._reach[key])
        return reaches

    def _peer_reach(self, policy: Policy, peer: dict[str, Any] | None) -> Reach:
        if peer is None:
            return OPEN
        if policy.is_kubernetes:
            return self._k8s_reach(policy, peer)
        return self._calico_reach(policy, peer)

    # --- Kubernetes peers ---------------------------------------------------------------------

    def _k8s_reach(self, policy: Policy, peer: dict[str, Any]) -> Reach:
        block = peer.get("ipBlock")
        if isinstance(block, dict):
            nets, excepts = networks([block.get("cidr", "")]), networks(block.get("except") or [])
            return Reach(reaches_internet(nets, excepts), None if reaches_private(nets, excepts) else frozenset())
        ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
        found = set()
        namespace_ok: dict[str, bool] = {}  # per namespace, not per pod: pods far outnumber them
        for ep in self.endpoints:
            if ns_selector is not None:
                if ep.namespace not in namespace_ok:
                    ns_labels = {**namespace_labels(self.state, ep.namespace),
                                 "kubernetes.io/metadata.name": ep.namespace}
                    namespace_ok[ep.namespace] = label_selector_matches(ns_selector, ns_labels)
                if not namespace_ok[ep.namespace]:
                    continue
            elif ep.namespace != policy.namespace:
                continue
            if pod_selector is None or label_selector_matches(pod_selector, ep.labels):
                found.add(ep.namespace)
        return Reach(False, frozenset(found))

    # --- Calico peers -------------------------------------------------------------------------

    def _calico_reach(self, policy: Policy, peer: dict[str, Any]) -> Reach:
        nets, not_nets = networks(peer.get("nets") or []), networks(peer.get("notNets") or [])
        selecting = any(peer.get(k) for k in ("selector", "notSelector", "namespaceSelector", "serviceAccounts"))
        if not selecting:
            if not nets:
                nets = EVERYWHERE
            private = reaches_private(nets, not_nets)
            return Reach(reaches_internet(nets, not_nets), None if private else frozenset())
        found = frozenset(ep.namespace for ep in self.endpoints if self._calico_peer_selects(policy, peer, ep))
        return Reach(self._sets_reach_internet(policy, peer, not_nets), found)

    def _peer_namespace_ok(self, policy: Policy, peer: dict[str, Any], namespace: str) -> bool:
        ns_selector = peer.get("namespaceSelector")
        if ns_selector:
            return calico_matches(ns_selector, namespace_labels(self.state, namespace))
        return not policy.namespace or namespace == policy.namespace

    def _calico_peer_selects(self, policy: Policy, peer: dict[str, Any], ep: Endpoint) -> bool:
        if not self._peer_namespace_ok(policy, peer, ep.namespace):
            return False
        labels = ep.calico_labels
        if peer.get("selector") and not calico_matches(peer["selector"], labels):
            return False
        if peer.get("notSelector") and calico_matches(peer["notSelector"], labels):
            return False
        accounts = peer.get("serviceAccounts")
        if isinstance(accounts, dict):
            if accounts.get("names") and ep.service_account not in accounts["names"]:
                return False
            sa_labels = service_account_labels(self.state, ep.namespace, ep.service_account)
            if accounts.get("selector") and not calico_matches(accounts["selector"], sa_labels):
                return False
        return True

    def _sets_reach_internet(self, policy: Policy, peer: dict[str, Any], not_nets: list) -> bool:
        """Whether the peer's selector picks a network set with internet addresses: sets of the
        policy's namespace (or of the namespaces ``namespaceSelector`` picks), and global ones
        from a global policy or with ``namespaceSelector: global()``."""
        selector = peer.get("selector")
        if not selector or peer.get("serviceAccounts"):
            return False
        ns_selector = str(peer.get("namespaceSelector") or "").strip()
        candidates = []
        if ns_selector == "global()" or (not policy.namespace and not ns_selector):
            candidates += list(self.state.entries("globalnetworksets").values())
        if ns_selector != "global()":
            candidates += [e for (ns, _n), e in self.state.entries("networksets").items()
                           if self._peer_namespace_ok(policy, peer, ns)]
        return any(
            calico_matches(selector, entry.labels)
            and reaches_internet(networks(entry.spec.get("nets") or []), not_nets)
            for entry in candidates
        )


def _peers(policy: Policy, rule: dict[str, Any], direction: str) -> list[dict[str, Any] | None]:
    """A rule's peers on the far side (None: anything); [] when the rule allows nothing."""
    if policy.is_kubernetes:
        peers = rule.get("from" if direction == INGRESS else "to")
        return [None] if not peers else [p for p in peers if isinstance(p, dict)]
    if rule.get("action") != "Allow":
        return []
    peer = rule.get("source" if direction == INGRESS else "destination")
    return [peer if isinstance(peer, dict) else {}]
