"""Replaying audit events onto a state, as Calico's replayer does."""

from __future__ import annotations

from auditui.events.normalize import normalize_event
from auditui.state.cluster import ClusterState
from auditui.state.replay import apply, replay
from tests.state.story import ClusterStory


def names(state: ClusterState, kind: str) -> list[str]:
    return sorted(f"{ns}/{name}" if ns else name for ns, name in state.entries(kind))


def test_it_sets_objects_from_creates_and_patches():
    story = ClusterStory()
    story.create("namespaces", "payments", labels={"team": "money"})
    story.create("pods", "web", "payments", labels={"app": "web"}, spec={"serviceAccountName": "front"})
    story.patch("pods", "web", "payments", body={"metadata": {"labels": {"version": "2"}}}, response=False)
    state = replay(ClusterState("c1"), story.records())
    assert names(state, "namespaces") == ["payments"]
    assert state.get("pods", "payments", "web").labels == {"app": "web", "version": "2"}
    assert state.get("pods", "payments", "web").source == "events"


def test_it_skips_a_version_older_than_the_one_held():
    story = ClusterStory()
    create = story.create("pods", "web", "payments", labels={"v": "1"})
    newer = story.patch("pods", "web", "payments", body={"metadata": {"labels": {"v": "2"}}})
    stale = dict(create, auditID="late-replay", requestReceivedTimestamp=newer["requestReceivedTimestamp"])
    state = ClusterState("c1")
    for event in (create, newer):
        apply(state, normalize_event(event, cluster="c1"))
    stale_record = normalize_event(stale, cluster="c1")
    stale_record.time = stale_record.time.replace(microsecond=999_999)
    apply(state, stale_record)
    assert state.get("pods", "payments", "web").labels == {"v": "2"}


def test_it_removes_deleted_objects_and_cascades_namespace_deletion():
    story = ClusterStory()
    story.create("namespaces", "payments")
    story.create("namespaces", "shop")
    story.create("pods", "web", "payments")
    story.create("networkpolicies", "deny", "payments", spec={"podSelector": {}})
    story.create("pods", "cart", "shop")
    story.create("pods", "db", "shop")
    story.delete("pods", "db", "shop")
    story.delete("namespaces", "payments")
    state = replay(ClusterState("c1"), story.records())
    assert names(state, "namespaces") == ["shop"]
    assert names(state, "pods") == ["shop/cart"]
    assert names(state, "k8s_networkpolicies") == []


def test_it_deletes_collections_whole_or_by_label_selector():
    story = ClusterStory()
    for name, app in (("a", "web"), ("b", "web"), ("c", "db")):
        story.create("pods", name, "payments", labels={"app": app})
    story.create("pods", "d", "shop", labels={"app": "web"})
    story.delete_collection("pods", "payments", selector="app=web")
    partly = replay(ClusterState("c1"), story.records())
    story.delete_collection("pods", "payments")
    whole = replay(ClusterState("c1"), story.records())
    assert names(partly, "pods") == ["payments/c", "shop/d"]
    assert names(whole, "pods") == ["shop/d"]


def test_it_ignores_failed_writes_and_other_kinds():
    story = ClusterStory()
    story.create("pods", "web", "payments")
    failed = story.create("pods", "nope", "payments")
    failed["responseStatus"] = {"code": 409}
    story.events.append(dict(failed, objectRef={**failed["objectRef"], "resource": "configmaps"},
                             auditID="other-kind", responseStatus={"code": 200}))
    state = replay(ClusterState("c1"), story.records())
    assert names(state, "pods") == ["payments/web"]


def test_it_keeps_an_object_whose_content_was_not_recorded():
    story = ClusterStory()
    event = story.create("pods", "web", "payments")
    event["level"] = "Metadata"
    del event["requestObject"], event["responseObject"]
    state = replay(ClusterState("c1"), story.records())
    entry = state.get("pods", "payments", "web")
    assert entry is not None and not entry.known
    assert state.completeness().content_unknown == 1


def test_it_round_trips_through_json():
    story = ClusterStory()
    story.create("namespaces", "payments", labels={"team": "money"})
    story.create("pods", "web", "payments", labels={"app": "web"})
    state = replay(ClusterState("c1"), story.records())
    again = ClusterState.from_json(state.to_json())
    assert again.to_json() == state.to_json()
    assert again.get("pods", "payments", "web").since == state.get("pods", "payments", "web").since


def test_it_takes_addresses_from_status_writes_and_ignores_unrecorded_ones():
    story = ClusterStory()
    story.create("pods", "web", "payments", labels={"app": "web"}, spec={"nodeName": "node-1"})
    status = story.patch("pods", "web", "payments", body={"status": {"podIP": "10.1.0.5",
                                                                     "podIPs": [{"ip": "10.1.0.5"}]}})
    status["objectRef"]["subresource"] = "status"
    unrecorded = story.patch("pods", "web", "payments", body={"status": {"phase": "Running"}})
    unrecorded["objectRef"]["subresource"] = "status"
    unrecorded["level"] = "Metadata"
    del unrecorded["requestObject"], unrecorded["responseObject"]
    state = replay(ClusterState("c1"), story.records())
    entry = state.get("pods", "payments", "web")
    assert entry.known and entry.object["status"]["podIPs"] == [{"ip": "10.1.0.5"}]


def test_it_puts_a_pod_on_the_node_its_binding_names():
    story = ClusterStory()
    story.create("pods", "web", "payments")
    binding = story.create("pods", "web-binding", "payments")
    story.objects.pop(("pods", "payments", "web-binding"))
    binding["objectRef"].update(name="web", subresource="binding")
    binding["requestObject"] = {"kind": "Binding", "metadata": {"name": "web"}, "target": {"kind": "Node",
                                                                                         "name": "node-7"}}
    binding["responseObject"] = {"kind": "Status", "status": "Success", "metadata": {}}
    state = replay(ClusterState("c1"), story.records())
    assert names(state, "pods") == ["payments/web"]
    assert state.get("pods", "payments", "web").spec["nodeName"] == "node-7"
