"""Which policies select an endpoint: Kubernetes and Calico selection, types, tiers, staging."""

from __future__ import annotations

from auditui.state.exposure import Evaluator
from tests.state.clusters import calico_policy, cluster, global_policy, k8s_policy, namespace, obj, pod


def applied(state, name="web", ns="payments", **kwargs) -> list[str]:
    evaluator = Evaluator(state, **kwargs)
    endpoint = next(e for e in evaluator.endpoints if (e.namespace, e.name) == (ns, name))
    return [p.id for p in evaluator.evaluate(endpoint).applied]


def test_it_selects_pods_by_k8s_pod_selector_match_labels_and_expressions():
    state = cluster(
        pod("web", labels={"app": "web", "tier": "front"}),
        k8s_policy("by-labels", podSelector={"matchLabels": {"app": "web"}}),
        k8s_policy("by-expression", podSelector={"matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "edge"]},
            {"key": "legacy", "operator": "DoesNotExist"}]}),
        k8s_policy("other-app", podSelector={"matchLabels": {"app": "db"}}),
        k8s_policy("not-in", podSelector={"matchExpressions": [
            {"key": "tier", "operator": "NotIn", "values": ["front"]}]}),
        k8s_policy("everything", podSelector={}),
        k8s_policy("other-namespace", ns="shop", podSelector={}),
    )
    assert applied(state) == [
        "NetworkPolicy.networking.k8s.io(payments/by-expression)",
        "NetworkPolicy.networking.k8s.io(payments/by-labels)",
        "NetworkPolicy.networking.k8s.io(payments/everything)",
    ]


def test_it_defaults_k8s_policy_types_to_ingress_plus_egress_when_it_has_egress_rules():
    state = cluster(
        pod("web"),
        k8s_policy("ingress-only", podSelector={}),
        k8s_policy("with-egress", podSelector={}, egress=[{"to": [{"podSelector": {}}]}]),
        k8s_policy("egress-declared", podSelector={}, policyTypes=["Egress"]),
    )
    evaluator = Evaluator(state)
    result = evaluator.evaluate(evaluator.endpoints[0])
    assert [p.name for p in result.ingress] == ["ingress-only", "with-egress"]
    assert sorted(p.name for p in result.egress) == ["egress-declared", "with-egress"]


def test_it_selects_with_calico_selectors_and_automatic_labels():
    state = cluster(
        namespace("payments", team="money"),
        namespace("shop", team="retail"),
        pod("web", sa="frontend", labels={"app": "web"}),
        obj("serviceaccounts", "frontend", "payments", {"role": "public"}),
        calico_policy("default.by-selector", selector="app == 'web'"),
        calico_policy("default.by-sa-label", selector="projectcalico.org/serviceaccount == 'frontend'"),
        calico_policy("default.by-sa-selector", serviceAccountSelector="role == 'public'"),
        calico_policy("default.wrong-sa", serviceAccountSelector="role == 'internal'"),
        global_policy("default.by-namespace", namespaceSelector="team == 'money'"),
        global_policy("default.by-ns-name", namespaceSelector="projectcalico.org/name == 'payments'"),
        global_policy("default.orchestrator", selector="projectcalico.org/orchestrator == 'k8s' && "
                                                       "projectcalico.org/namespace == 'payments'"),
        global_policy("default.retail", namespaceSelector="team == 'retail'"),
        global_policy("default.host-only", selector="all()", doNotTrack=True),
    )
    assert sorted(applied(state)) == sorted([
        "NetworkPolicy.projectcalico.org(payments/default.by-selector)",
        "NetworkPolicy.projectcalico.org(payments/default.by-sa-label)",
        "NetworkPolicy.projectcalico.org(payments/default.by-sa-selector)",
        "GlobalNetworkPolicy.projectcalico.org(default.by-namespace)",
        "GlobalNetworkPolicy.projectcalico.org(default.by-ns-name)",
        "GlobalNetworkPolicy.projectcalico.org(default.orchestrator)",
    ])


def test_it_defaults_calico_types_from_the_rules_present():
    state = cluster(
        pod("web"),
        calico_policy("default.none"),
        calico_policy("default.egress-rules", egress=[{"action": "Allow"}]),
        calico_policy("default.both", ingress=[{"action": "Allow"}], egress=[{"action": "Allow"}]),
    )
    evaluator = Evaluator(state)
    result = evaluator.evaluate(evaluator.endpoints[0])
    assert sorted(p.name for p in result.ingress) == ["default.both", "default.none"]
    assert sorted(p.name for p in result.egress) == ["default.both", "default.egress-rules"]


def test_it_orders_by_tier_then_policy_order_then_name():
    state = cluster(
        pod("web"),
        obj("tiers", "security", spec={"order": 100}),
        calico_policy("default.late", order=10),
        calico_policy("security.first", tier="security", order=500),
        k8s_policy("k8s", podSelector={}),
        calico_policy("default.early", order=1),
        calico_policy("default.no-order"),
    )
    assert [i.split("(")[1].rstrip(")") for i in applied(state)] == [
        "payments/security.first", "payments/default.early", "payments/default.late", "payments/k8s",
        "payments/default.no-order",
    ]


def test_it_leaves_staged_policies_out_unless_asked():
    state = cluster(
        pod("web"),
        obj("stagednetworkpolicies", "default.staged", "payments", spec={"selector": "all()"}),
        obj("stagednetworkpolicies", "default.deleting", "payments", spec={"stagedAction": "Delete"}),
        obj("stagedkubernetesnetworkpolicies", "staged-k8s", "payments", spec={"podSelector": {}}),
    )
    assert applied(state) == []
    assert sorted(applied(state, include_staged=True)) == [
        "StagedKubernetesNetworkPolicy.projectcalico.org(payments/staged-k8s)",
        "StagedNetworkPolicy.projectcalico.org(payments/default.staged)",
    ]
