"""``manage.py import_snapshot``: kubectl's JSON as a cluster's state at an instant."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from auditui.events.ingest import ingest_events
from auditui.state.models import StateSnapshot
from auditui.state.rebuild import rebuild
from auditui.state.snapshots import snapshot_take
from tests.state.story import ClusterStory

KUBECTL_LIST = {
    "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
    "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments", "labels": {"team": "money"},
                                                               "resourceVersion": "50"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "old-web", "namespace": "payments", "labels": {"app": "web"}, "resourceVersion": "60",
            "managedFields": [{"manager": "kubelet"}]},
         "spec": {"serviceAccountName": "front", "nodeName": "node-1"},
         "status": {"podIPs": [{"ip": "10.1.2.3"}]}},
        {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
         "metadata": {"name": "default.deny", "resourceVersion": "70"}, "spec": {"selector": "all()"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "payments"}},
    ],
}


@pytest.fixture
def kubectl_file(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps(KUBECTL_LIST))
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_snapshot", *args, stdout=out)
    return out.getvalue()


def test_it_takes_a_kubectl_list_as_the_state_at_that_instant(db, kubectl_file):
    story = ClusterStory()
    at = story.at()
    output = run(str(kubectl_file), "--cluster", "c1", "--at", at.isoformat())
    assert "pods: 1" in output and "skipped v1/ConfigMap: 1" in output
    assert "imported 3 objects" in output
    story.create("pods", "new-web", "payments", minutes=5)
    ingest_events(story.events, cluster="c1")
    state = rebuild("c1", story.at())
    assert sorted(state.entries("pods")) == [("payments", "new-web"), ("payments", "old-web")]
    old = state.get("pods", "payments", "old-web")
    assert old.source == "snapshot" and "managedFields" not in old.metadata
    completeness = state.completeness()
    assert completeness.imported_at == at
    assert (completeness.from_snapshot, completeness.from_events) == (3, 1)


def test_it_keeps_kinds_the_file_does_not_hold_and_drops_later_snapshots(db, tmp_path):
    story = ClusterStory()
    story.create("networkpolicies", "web-in", "payments", spec={"podSelector": {}})
    story.create("pods", "gone", "payments")
    ingest_events(story.events, cluster="c1")
    snapshot_take(cluster="c1", at=story.at(60))
    pods_only = tmp_path / "pods.json"
    pods_only.write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "items": [KUBECTL_LIST["items"][1]]}))
    run(str(pods_only), "--cluster", "c1", "--at", story.at(1).isoformat())
    state = rebuild("c1", story.at(2))
    assert sorted(state.entries("pods")) == [("payments", "old-web")]
    assert sorted(state.entries("k8s_networkpolicies")) == [("payments", "web-in")]
    assert list(StateSnapshot.objects.values_list("source", flat=True)) == ["imported"]


def test_it_refuses_what_is_not_kubectl_json(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('["not", "a", "list"]')
    with pytest.raises(CommandError, match="kubectl get"):
        run(str(bad), "--cluster", "c1")
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="not JSON"):
        run(str(bad), "--cluster", "c1")
