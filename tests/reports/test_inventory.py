"""inventory and network-access reports on a hand-built cluster, on every backend: each of Calico's
flags over the interval, the endpoints selection, Calico's files and columns, the scope cut."""

from __future__ import annotations

import csv
import io

import pytest

from reports import access
from reports.models import GlobalReport, ReportRun
from reports.runs import report_run_now
from tests.reports.conftest import INVENTORY
from tests.state.story import ClusterStory

pytest_plugins = ["tests.backends"]

NETWORK_ACCESS = """\
apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata:
  name: hourly-accounts-networkaccess
spec:
  reportType: network-access
  endpoints:
    namespaces:
      selector: department == 'accounts'
  schedule: 0 * * * *
"""
ENVOY = {"sidecar.istio.io/status": '{"containers":["istio-proxy"]}'}


def cluster_story() -> tuple[ClusterStory, object, object]:
    """payments (department accounts): web (Envoy, service web-svc, protected in both directions,
    reachable from shop), db (protected only from the middle of the interval); shop: cart
    (egress to a public network, protected egress)."""
    story = ClusterStory()
    story.create("namespaces", "payments", labels={"department": "accounts"})
    story.create("namespaces", "shop", labels={"department": "sales"})
    story.create("pods", "web", "payments", labels={"app": "web"}, spec={"serviceAccountName": "front"})
    story.patch("pods", "web", "payments", body={"metadata": {"annotations": ENVOY}})
    story.create("pods", "db", "payments", labels={"app": "db"}, spec={"serviceAccountName": "data"})
    story.create("pods", "cart", "shop", labels={"app": "cart"})
    story.create("services", "web-svc", "payments", spec={"selector": {"app": "web"}})
    story.create("networkpolicies", "web-in", "payments", spec={
        "podSelector": {"matchLabels": {"app": "web"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"department": "sales"}}}]}]})
    story.create("globalnetworkpolicies", "default.egress-closed", spec={"selector": "app in {'web', 'cart'}",
                                                                          "types": ["Egress"]})
    story.create("calico-networkpolicies", "default.cart-out", "shop", spec={
        "selector": "app == 'cart'", "types": ["Egress"],
        "egress": [{"action": "Allow", "destination": {"nets": ["8.8.8.0/24"]}}]})
    start = story.at(1)
    story.create("networkpolicies", "db-in", "payments", spec={"podSelector": {"matchLabels": {"app": "db"}}},
                 minutes=30)
    end = story.at(30)
    return story, start, end


def run_of(text: str, apply_text, start, end) -> ReportRun:
    apply_text(text)
    report = GlobalReport.objects.get()
    run = report_run_now(report, start=start, end=end)
    assert run.state == ReportRun.SUCCEEDED, run.error
    return run


def read(run: ReportRun, fmt: str, scope=None) -> list[dict[str, str]]:
    from auditui.access.scope import ViewerScope

    content = access.files_for(run, scope or ViewerScope.all(), [fmt])[fmt]
    return list(csv.DictReader(io.StringIO(content.decode())))


@pytest.fixture
def story(backend_store, ingest):
    story, start, end = cluster_story()
    ingest(story.events, cluster="c1")
    return story, start, end


def test_it_writes_calicos_inventory_files_with_each_flag(story, apply_text):
    _story, start, end = story
    run = run_of(INVENTORY, apply_text, start, end)
    assert run.formats == ["summary.csv", "endpoints.csv", "namespaces.csv", "services.csv"]
    [summary] = read(run, "summary.csv")
    assert list(summary) == [
        "startTime", "endTime", "endpointSelector", "namespaceNames", "namespaceSelector", "serviceAccountNames",
        "serviceAccountSelectors", "endpointsNumInScope", "endpointsNumIngressProtected",
        "endpointsNumEgressProtected", "namespacesNumInScope", "namespacesNumIngressProtected",
        "namespacesNumEgressProtected", "serviceAccountsNumInScope"]
    assert (summary["endpointsNumInScope"], summary["endpointsNumIngressProtected"],
            summary["endpointsNumEgressProtected"]) == ("3", "1", "2")
    assert (summary["namespacesNumInScope"], summary["namespacesNumIngressProtected"],
            summary["namespacesNumEgressProtected"], summary["serviceAccountsNumInScope"]) == ("2", "0", "1", "3")
    endpoints = {row["endpoint"]: row for row in read(run, "endpoints.csv")}
    web, db = endpoints["Pod(payments/web)"], endpoints["Pod(payments/db)"]
    assert (web["ingressProtected"], web["egressProtected"], web["envoyEnabled"]) == ("true", "true", "true")
    assert web["appliedPolicies"] == ("NetworkPolicy.networking.k8s.io(payments/web-in);"  # order 1000 first
                                      "GlobalNetworkPolicy.projectcalico.org(default.egress-closed)")
    assert web["services"] == "Service(payments/web-svc)"
    assert db["ingressProtected"] == "false"  # protected only from the middle of the interval
    assert "NetworkPolicy.networking.k8s.io(payments/db-in)" in db["appliedPolicies"]
    assert read(run, "namespaces.csv") == [
        {"namespace": "Namespace(payments)", "ingressProtected": "false", "egressProtected": "false",
         "envoyEnabled": "false"},
        {"namespace": "Namespace(shop)", "ingressProtected": "false", "egressProtected": "true",
         "envoyEnabled": "false"}]
    assert read(run, "services.csv") == [
        {"service": "Service(payments/web-svc)", "ingressProtected": "true", "envoyEnabled": "true"}]
    assert run.summary["completeness"]["c1"]["objectsFromEvents"] > 0
    assert [c["value"] for c in run.summary["charts"]] == [1, 0, 2, 1]


def test_it_writes_calicos_network_access_files_for_the_selected_namespaces(story, apply_text):
    _story, start, end = story
    run = run_of(NETWORK_ACCESS, apply_text, start, end)
    assert run.formats == ["summary.csv", "endpoints.csv"]
    [summary] = read(run, "summary.csv")
    assert summary["namespaceSelector"] == "department == 'accounts'"
    assert {k: summary[k] for k in list(summary)[7:]} == {
        "endpointsNumIngressProtected": "1", "endpointsNumEgressProtected": "1",
        "endpointsNumIngressUnprotected": "1", "endpointsNumEgressUnprotected": "1",
        "endpointsNumIngressFromInternet": "1", "endpointsNumEgressToInternet": "1",
        "endpointsNumIngressFromOtherNamespace": "2", "endpointsNumEgressToOtherNamespace": "1",
        "endpointsNumEnvoyEnabled": "1"}
    rows = {row["endpoint"]: row for row in read(run, "endpoints.csv")}
    assert list(rows) == ["Pod(payments/db)", "Pod(payments/web)"]  # shop is not in the selection
    web = rows["Pod(payments/web)"]
    assert list(web) == [
        "endpoint", "ingressProtected", "egressProtected", "ingressFromInternet", "egressToInternet",
        "ingressFromOtherNamespace", "egressToOtherNamespace", "envoyEnabled", "appliedPolicies",
        "trafficAggregationPrefix", "endpointsGeneratingTrafficToThisEndpoint",
        "endpointsReceivingTrafficFromThisEndpoint"]
    assert (web["ingressFromInternet"], web["ingressFromOtherNamespace"]) == ("false", "true")  # from shop only
    assert (web["egressToInternet"], web["egressToOtherNamespace"]) == ("false", "false")  # egress closed
    assert web["trafficAggregationPrefix"] == "" and "flow logs" in run.summary["flowLogs"]
    assert rows["Pod(payments/db)"]["ingressFromInternet"] == "true"  # open before db-in came


def test_it_reads_egress_to_a_public_network_from_an_allow_rule(story, apply_text):
    _story, start, end = story
    run = run_of(INVENTORY.replace("weekly-full-inventory", "na").replace("inventory", "network-access"),
                 apply_text, start, end)
    cart = next(r for r in read(run, "endpoints.csv") if r["endpoint"] == "Pod(shop/cart)")
    assert (cart["egressProtected"], cart["egressToInternet"], cart["egressToOtherNamespace"]) == (
        "true", "true", "false")


def test_a_scoped_viewer_gets_the_rows_and_counts_of_their_namespaces(story, apply_text):
    from auditui.access.scope import Grant, ViewerScope

    _story, start, end = story
    run = run_of(INVENTORY, apply_text, start, end)
    payments = ViewerScope(grants=(Grant(("*",), ("payments",)),))
    assert [r["endpoint"] for r in read(run, "endpoints.csv", payments)] == ["Pod(payments/db)",
                                                                            "Pod(payments/web)"]
    [summary] = read(run, "summary.csv", payments)
    assert (summary["endpointsNumInScope"], summary["namespacesNumInScope"]) == ("2", "1")
    assert access.summary_for(run, payments)["endpointsNumInScope"] == 2


def test_it_ands_service_account_names_with_the_namespaces_and_names_clusters_when_several(db, ingest,
                                                                                          apply_text):
    story, start, end = cluster_story()
    ingest(story.events, cluster="c1")
    ingest(story.events, cluster="c2")
    selected = INVENTORY.replace("  jobNodeSelector:\n    nodetype: infrastructure\n", (
        "  endpoints:\n    serviceAccounts:\n      names: [front, data]\n    namespaces:\n      names: [payments]\n"))
    run = run_of(selected, apply_text, start, end)
    rows = [r["endpoint"] for r in read(run, "endpoints.csv")]
    assert rows == ["c1:Pod(payments/db)", "c1:Pod(payments/web)", "c2:Pod(payments/db)", "c2:Pod(payments/web)"]
    [summary] = read(run, "summary.csv")
    assert (summary["namespaceNames"], summary["serviceAccountNames"]) == ("payments", "front;data")
    assert summary["serviceAccountsNumInScope"] == "4" and summary["namespacesNumInScope"] == "2"
