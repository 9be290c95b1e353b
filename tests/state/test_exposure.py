"""Calico's compliance flags on hand-built clusters: protected, internet, other namespaces, Envoy."""

from __future__ import annotations

from auditui.state.exposure import Evaluator
from tests.state.clusters import calico_policy, cluster, global_policy, k8s_policy, namespace, obj, pod

BASE = (namespace("payments", team="money"), namespace("shop", team="retail"), pod("web", labels={"app": "web"}),
        pod("cart", ns="shop", labels={"app": "cart"}))


def flags(*objects):
    evaluator = Evaluator(cluster(*BASE, *objects))
    endpoint = next(e for e in evaluator.endpoints if e.name == "web")
    return evaluator.evaluate(endpoint).flags


def test_it_leaves_an_unprotected_endpoint_open_to_everything():
    f = flags()
    assert (f.ingress_protected, f.egress_protected) == (False, False)
    assert f.ingress_from_internet and f.egress_to_internet
    assert f.ingress_from_other_namespace and f.egress_to_other_namespace


def test_it_protects_without_exposure_when_a_policy_denies_all():
    f = flags(k8s_policy("deny-all", podSelector={}, policyTypes=["Ingress", "Egress"]))
    assert (f.ingress_protected, f.egress_protected) == (True, True)
    assert not (f.ingress_from_internet or f.egress_to_internet)
    assert not (f.ingress_from_other_namespace or f.egress_to_other_namespace)


def test_it_counts_a_k8s_rule_without_peers_as_open():
    f = flags(k8s_policy("allow-all-in", podSelector={}, ingress=[{"ports": [{"port": 80}]}]))
    assert f.ingress_protected and f.ingress_from_internet and f.ingress_from_other_namespace
    assert not f.egress_protected  # Ingress only by default


def test_it_keeps_k8s_pod_selector_peers_in_the_namespace():
    f = flags(k8s_policy("same-ns", podSelector={}, ingress=[{"from": [{"podSelector": {}}]}]))
    assert f.ingress_protected and not f.ingress_from_internet and not f.ingress_from_other_namespace


def test_it_finds_other_namespaces_through_k8s_namespace_selector():
    shop = flags(k8s_policy("from-shop", podSelector={}, ingress=[
        {"from": [{"namespaceSelector": {"matchLabels": {"team": "retail"}}}]}]))
    own = flags(k8s_policy("from-own", podSelector={}, ingress=[
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "payments"}}}]}]))
    assert shop.ingress_from_other_namespace and not shop.ingress_from_internet
    assert not own.ingress_from_other_namespace


def test_it_reads_ip_blocks_with_their_exceptions():
    internet = flags(k8s_policy("egress-world", podSelector={}, policyTypes=["Egress"], egress=[
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]))
    private_only = flags(k8s_policy("egress-private", podSelector={}, policyTypes=["Egress"], egress=[
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["0.0.0.0/1", "128.0.0.0/1"]}}]}]))
    assert internet.egress_to_internet
    assert not private_only.egress_to_internet and not private_only.egress_to_other_namespace


def test_it_counts_only_allow_rules_of_calico_policies():
    denied = flags(calico_policy("default.deny", ingress=[{"action": "Deny"}]))
    allowed = flags(calico_policy("default.allow", ingress=[{"action": "Allow"}]))
    assert denied.ingress_protected and not denied.ingress_from_internet
    assert allowed.ingress_from_internet and allowed.ingress_from_other_namespace


def test_it_reads_calico_nets_and_not_nets():
    public = flags(calico_policy("default.public", ingress=[{"action": "Allow", "source": {"nets": ["8.8.8.0/24"]}}]))
    private = flags(calico_policy("default.private", ingress=[{"action": "Allow", "source": {"nets": ["10.0.0.0/8"]}}]))
    not_all = flags(calico_policy("default.not", ingress=[
        {"action": "Allow", "source": {"notNets": ["0.0.0.0/0", "::/0"]}}]))
    assert public.ingress_from_internet and not public.ingress_from_other_namespace
    assert not private.ingress_from_internet and private.ingress_from_other_namespace
    assert not not_all.ingress_from_internet


def test_it_keeps_a_namespaced_calico_selector_in_its_namespace():
    f = flags(calico_policy("default.own", ingress=[{"action": "Allow", "source": {"selector": "all()"}}]))
    assert not f.ingress_from_other_namespace and not f.ingress_from_internet


def test_it_reaches_other_namespaces_through_calico_namespace_selector_and_global_policies():
    by_ns = flags(calico_policy("default.shop", ingress=[
        {"action": "Allow", "source": {"namespaceSelector": "team == 'retail'"}}]))
    global_sel = flags(global_policy("default.carts", selector="app == 'web'", ingress=[
        {"action": "Allow", "source": {"selector": "app == 'cart'"}}]))
    none_there = flags(global_policy("default.ghosts", selector="app == 'web'", ingress=[
        {"action": "Allow", "source": {"selector": "app == 'ghost'"}}]))
    assert by_ns.ingress_from_other_namespace
    assert global_sel.ingress_from_other_namespace
    assert not none_there.ingress_from_other_namespace


def test_it_reaches_the_internet_through_selected_network_sets():
    world = obj("globalnetworksets", "world", labels={"kind": "world"}, spec={"nets": ["0.0.0.0/0"]})
    office = obj("networksets", "office", "payments", {"kind": "office"}, spec={"nets": ["192.168.1.0/24"]})
    to_world = flags(world, global_policy("default.out", selector="app == 'web'", egress=[
        {"action": "Allow", "destination": {"selector": "kind == 'world'"}}]))
    to_office = flags(office, calico_policy("default.office", egress=[
        {"action": "Allow", "destination": {"selector": "kind == 'office'"}}]))
    assert to_world.egress_to_internet
    assert to_office.egress_protected and not to_office.egress_to_internet


def test_it_matches_service_account_peers():
    f = flags(obj("serviceaccounts", "cart", "shop", {"public": "yes"}),
              pod("cart2", ns="shop", sa="cart"),
              global_policy("default.sa", selector="app == 'web'", ingress=[
                  {"action": "Allow", "source": {"serviceAccounts": {"selector": "public == 'yes'"}}}]))
    assert f.ingress_from_other_namespace and not f.ingress_from_internet


def test_it_detects_envoy_sidecars_as_calico_does():
    state = cluster(
        pod("annotated"),
        pod("proxy", containers=[{"name": "app", "image": "nginx"},
                                 {"name": "sidecar", "image": "docker.io/istio/proxyv2:1.22.0"}]),
        pod("plain", containers=[{"name": "app", "image": "nginx:1.27"}]),
    )
    state.get("pods", "payments", "annotated").object["metadata"]["annotations"] = {"sidecar.istio.io/status": "{}"}
    evaluator = Evaluator(state)
    envoy = {e.name: evaluator.evaluate(e).flags.envoy_enabled for e in evaluator.endpoints}
    assert envoy == {"annotated": True, "proxy": True, "plain": False}
