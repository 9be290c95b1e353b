"""``spec.endpoints`` of a policy-audit report: only events on the policies applied to those
endpoints in the interval are kept, as Calico's reporter does (reference §3.2 step 5; staged
policies and network sets are dropped). Uses the cluster state's public functions
(``auditui.state.interval.endpoints_over``, ``rebuild``, ``selector``, ``labels``).

``namespaces`` and ``serviceAccounts`` are ``names`` AND ``selector``, and the three selections
are ANDed (Calico). Namespace and service-account selectors see their labels as they were at the
end of the interval (with Calico's ``projectcalico.org/name``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditui.state.interval import endpoints_over
from auditui.state.labels import named_labels
from auditui.state.rebuild import rebuild
from auditui.state.selector import parse

# (apiGroup, resource) of an event → the kind as Calico's resource ids name it.
POLICY_KINDS = {
    ("networking.k8s.io", "networkpolicies"): "NetworkPolicy",
    ("projectcalico.org", "networkpolicies"): "NetworkPolicy",
    ("projectcalico.org", "globalnetworkpolicies"): "GlobalNetworkPolicy",
}


@dataclass
class Selection:
    """``spec.endpoints``, with the labels its namespace and service-account selectors need."""

    spec: dict[str, Any]
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    account_labels: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def _part(self, key: str) -> dict[str, Any]:
        return self.spec.get(key) or {}

    @property
    def needs_labels(self) -> bool:
        return bool(self._part("namespaces").get("selector") or self._part("serviceAccounts").get("selector"))

    def load_labels(self, cluster: str, end: datetime) -> None:
        state = rebuild(cluster, end, inclusive=False)
        self.namespace_labels = {name: named_labels(entry.labels, name)
                                 for (_ns, name), entry in state.entries("namespaces").items()}
        self.account_labels = {(ns, name): named_labels(entry.labels, name)
                               for (ns, name), entry in state.entries("serviceaccounts").items()}

    def matches(self, namespace: str, service_account: str, labels: dict[str, str]) -> bool:
        selector = self.spec.get("selector")
        if selector and not parse(selector).matches(labels):
            return False
        spaces, accounts = self._part("namespaces"), self._part("serviceAccounts")
        if spaces.get("names") and namespace not in spaces["names"]:
            return False
        if spaces.get("selector") and not parse(spaces["selector"]).matches(self.namespace_labels.get(namespace, {})):
            return False
        if accounts.get("names") and service_account not in accounts["names"]:
            return False
        return not (accounts.get("selector") and not parse(accounts["selector"]).matches(
            self.account_labels.get((namespace, service_account), {})))


def applied_policies(endpoints: dict[str, Any], *, clusters: list[str], start: datetime,
                     end: datetime) -> set[tuple[str, str]]:
    """(cluster, policy id) of every policy applied to an in-scope endpoint in ``[start, end)``."""
    applied: set[tuple[str, str]] = set()
    for cluster in clusters:
        selection = Selection(endpoints)
        if selection.needs_labels:
            selection.load_labels(cluster, end)
        for found in endpoints_over(cluster=cluster, start=start, end=end).values():
            endpoint = found.endpoint
            if selection.matches(endpoint.namespace, endpoint.service_account, endpoint.calico_labels):
                applied.update((cluster, policy) for policy in found.applied)
    return applied


def policy_id(event: dict[str, Any]) -> str | None:
    """The event's object as Calico names resources: ``Kind.group(namespace/name)``."""
    ref = event.get("objectRef") or {}
    kind = POLICY_KINDS.get((ref.get("apiGroup", ""), ref.get("resource", "")))
    if kind is None or not ref.get("name"):
        return None
    where = f"{ref['namespace']}/{ref['name']}" if ref.get("namespace") else ref["name"]
    return f"{kind}.{ref['apiGroup']}({where})"
