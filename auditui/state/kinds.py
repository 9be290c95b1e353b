"""The kinds of object the cluster state follows, and how audit events and ``kubectl get -o json``
items name them."""

from __future__ import annotations

from dataclasses import dataclass

CALICO_GROUPS = ("projectcalico.org", "crd.projectcalico.org")


@dataclass(frozen=True)
class StateKind:
    key: str  # the name inside a state (and its JSON)
    resource: str
    group: str  # "" for the core group
    kind: str
    namespaced: bool

    @property
    def groups(self) -> tuple[str, ...]:
        """Calico's kinds come through its API server or, without it, as CRDs."""
        return CALICO_GROUPS if self.group == "projectcalico.org" else (self.group,)


KINDS = (
    StateKind("namespaces", "namespaces", "", "Namespace", False),
    StateKind("pods", "pods", "", "Pod", True),
    StateKind("serviceaccounts", "serviceaccounts", "", "ServiceAccount", True),
    StateKind("services", "services", "", "Service", True),
    StateKind("k8s_networkpolicies", "networkpolicies", "networking.k8s.io", "NetworkPolicy", True),
    StateKind("networkpolicies", "networkpolicies", "projectcalico.org", "NetworkPolicy", True),
    StateKind("globalnetworkpolicies", "globalnetworkpolicies", "projectcalico.org", "GlobalNetworkPolicy", False),
    StateKind("stagednetworkpolicies", "stagednetworkpolicies", "projectcalico.org", "StagedNetworkPolicy", True),
    StateKind("stagedglobalnetworkpolicies", "stagedglobalnetworkpolicies", "projectcalico.org",
              "StagedGlobalNetworkPolicy", False),
    StateKind("stagedkubernetesnetworkpolicies", "stagedkubernetesnetworkpolicies", "projectcalico.org",
              "StagedKubernetesNetworkPolicy", True),
    StateKind("tiers", "tiers", "projectcalico.org", "Tier", False),
    StateKind("networksets", "networksets", "projectcalico.org", "NetworkSet", True),
    StateKind("globalnetworksets", "globalnetworksets", "projectcalico.org", "GlobalNetworkSet", False),
    StateKind("hostendpoints", "hostendpoints", "projectcalico.org", "HostEndpoint", False),
)
BY_KEY = {k.key: k for k in KINDS}
_BY_RESOURCE = {(group, k.resource): k for k in KINDS for group in k.groups}
_BY_KIND = {(group, k.kind): k for k in KINDS for group in k.groups}
# The resources events are read for (the store filters on the bare resource name).
RESOURCES = tuple(sorted({k.resource for k in KINDS}))


def for_event(api_group: str, resource: str) -> StateKind | None:
    return _BY_RESOURCE.get((api_group or "", resource))


def for_item(api_version: str, kind: str) -> StateKind | None:
    """The kind of a ``kubectl get -o json`` item (``apiVersion`` group/version or ``v1``)."""
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return _BY_KIND.get((group, kind))
