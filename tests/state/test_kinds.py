"""How audit events and kubectl items name the kinds the state follows."""

from __future__ import annotations

from auditui.state.kinds import for_event, for_item


def test_it_tells_kubernetes_and_calico_network_policies_apart():
    assert for_event("networking.k8s.io", "networkpolicies").key == "k8s_networkpolicies"
    assert for_event("projectcalico.org", "networkpolicies").key == "networkpolicies"
    assert for_event("crd.projectcalico.org", "globalnetworkpolicies").key == "globalnetworkpolicies"
    assert for_event("", "configmaps") is None


def test_it_names_kubectl_items_by_api_version_and_kind():
    assert for_item("v1", "Pod").key == "pods"
    assert for_item("networking.k8s.io/v1", "NetworkPolicy").key == "k8s_networkpolicies"
    assert for_item("projectcalico.org/v3", "NetworkPolicy").key == "networkpolicies"
    assert for_item("projectcalico.org/v3", "Tier").key == "tiers"
    assert for_item("apps/v1", "Deployment") is None
