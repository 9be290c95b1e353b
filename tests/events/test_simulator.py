"""The audit-activity simulator: reproducible, valid, realistic, and consistent policy histories."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import jsonpatch
import pytest

from auditui.events.normalize import normalize_event
from auditui.events.simulator import default_cluster_names, generate, is_policy_change, simulate_cluster
from auditui.events.simulator.objects import merge_apply

START = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RFC3339_MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
POLICY_KINDS = {
    ("networking.k8s.io", "networkpolicies"),
    ("projectcalico.org", "globalnetworkpolicies"),
    ("projectcalico.org", "networkpolicies"),
    ("projectcalico.org", "stagednetworkpolicies"),
    ("projectcalico.org", "tiers"),
    ("projectcalico.org", "networksets"),
    ("projectcalico.org", "globalnetworksets"),
}


def _events(days: float, rate: float, seed: int = 42, clusters: tuple[str, ...] = ("prod-eu",)) -> list[dict]:
    return [
        event
        for _, event in generate(
            clusters=list(clusters), start=START, days=days, events_per_second=rate, seed=seed
        )
    ]


@pytest.fixture(scope="module")
def day() -> list[dict]:
    """One weekday of one cluster at 0.2 events/s (about 17,000 events)."""
    return _events(1, 0.2)


@pytest.fixture(scope="module")
def two_days() -> list[dict]:
    """Two days at a small rate: enough for every policy kind to go through its lifecycle."""
    return _events(2, 0.1, seed=7)


def _object_key(event: dict) -> tuple:
    ref = event["objectRef"]
    return ref.get("apiGroup"), ref["resource"], ref.get("namespace", ""), ref["name"]


def _change_mode(event: dict) -> str:
    """create / update / delete, or for a patch its body type: json (a list of ops) or merge."""
    if event["verb"] != "patch":
        return event["verb"]
    return "json-patch" if isinstance(event["requestObject"], list) else "merge-patch"


def _policy_histories(events: list[dict]) -> dict[tuple, list[dict]]:
    histories: dict[tuple, list[dict]] = defaultdict(list)
    for event in events:
        if is_policy_change(event):
            histories[_object_key(event)].append(event)
    return histories


# --- determinism ---------------------------------------------------------------------------------


def test_it_repeats_itself_for_the_same_seed():
    def first(seed: int) -> list[tuple[str, dict]]:
        stream = generate(
            clusters=["prod-eu", "staging"], start=START, days=1, events_per_second=1, seed=seed
        )
        return list(itertools.islice(stream, 2000))

    assert first(42) == first(42)
    assert first(42) != first(43)
    assert [e["auditID"] for _, e in first(42)] != [e["auditID"] for _, e in first(43)]


def test_a_cluster_stream_does_not_depend_on_the_other_clusters():
    together = [
        e
        for c, e in generate(
            clusters=["prod-eu", "prod-us"], start=START, days=0.1, events_per_second=0.5, seed=1
        )
        if c == "prod-eu"
    ]
    alone = list(simulate_cluster("prod-eu", start=START, days=0.1, events_per_second=0.5, seed=1))
    assert together == alone


def test_it_merges_clusters_in_time_order():
    pairs = list(
        generate(clusters=default_cluster_names(3), start=START, days=0.2, events_per_second=0.3, seed=3)
    )
    assert {c for c, _ in pairs} == {"prod-eu", "prod-us", "staging"}
    times = [e["requestReceivedTimestamp"] for _, e in pairs]
    assert times == sorted(times)


def test_default_cluster_names():
    assert default_cluster_names(5) == ["prod-eu", "prod-us", "staging", "cluster-4", "cluster-5"]
    assert default_cluster_names(1) == ["prod-eu"]


# --- validity ------------------------------------------------------------------------------------


def _assert_valid(event: dict) -> None:
    assert event["kind"] == "Event" and event["apiVersion"] == "audit.k8s.io/v1"
    assert event["level"] in ("Metadata", "Request", "RequestResponse")
    assert UUID4.match(event["auditID"])
    assert event["stage"] in ("RequestReceived", "ResponseStarted", "ResponseComplete")
    assert event["requestURI"].startswith("/") and event["verb"]
    assert isinstance(event["sourceIPs"], list) and event["sourceIPs"] and event["userAgent"]
    assert RFC3339_MICRO.match(event["requestReceivedTimestamp"])
    assert RFC3339_MICRO.match(event["stageTimestamp"])
    assert event["stageTimestamp"] >= event["requestReceivedTimestamp"]
    if event["stage"] == "RequestReceived":
        assert "responseStatus" not in event and "annotations" not in event
        return
    code = event["responseStatus"]["code"]
    if code == 401:  # authentication failed: nobody is known, nothing was authorized
        assert event["user"] == {} and "annotations" not in event
        return
    assert event["user"]["username"] and isinstance(event["user"]["groups"], list)
    decision = event["annotations"]["authorization.k8s.io/decision"]
    assert decision == ("forbid" if code == 403 else "allow")
    if code in (403, 404, 409):
        assert event["responseStatus"]["reason"] and event["responseStatus"]["message"]
    if event["level"] == "Metadata":
        assert "requestObject" not in event and "responseObject" not in event


def test_every_event_is_a_valid_audit_event(day):
    for event in day:
        _assert_valid(event)
        normalize_event(event, cluster="prod-eu")  # what ingest accepts


def test_events_come_in_time_order_within_the_window(day):
    times = [e["requestReceivedTimestamp"] for e in day]
    assert times == sorted(times)
    assert times[0] >= "2026-11-23T00:00:00" and times[-1] < "2026-11-24T00:00:00"
    assert max(e["stageTimestamp"] for e in day) < "2026-11-24T00:00:00"


def test_the_rate_is_the_average_over_a_day(day):
    assert 0.9 * 0.2 * 86400 < len(day) < 1.1 * 0.2 * 86400


def test_office_hours_are_busier_than_the_night(day):
    # prod-eu's people work on Central European time.
    by_hour = Counter(int(e["requestReceivedTimestamp"][11:13]) for e in day)
    assert by_hour[9] > 1.5 * by_hour[2]


def test_stages_of_one_request_share_its_audit_id(day):
    stages = defaultdict(list)
    for event in day:
        stages[event["auditID"]].append(event["stage"])
    assert {tuple(s) for s in stages.values()} <= {
        ("ResponseComplete",),
        ("RequestReceived", "ResponseComplete"),
        ("ResponseStarted",),
        ("ResponseStarted", "ResponseComplete"),
    }
    assert any(s == ["RequestReceived", "ResponseComplete"] for s in stages.values())
    assert any(s == ["ResponseStarted", "ResponseComplete"] for s in stages.values())


# --- realism -------------------------------------------------------------------------------------


def test_the_cast_is_all_there(day):
    users = {e["user"].get("username") for e in day}
    assert {
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
        "system:serviceaccount:ci:deployer",
        "system:anonymous",
        "system:serviceaccount:kube-system:replicaset-controller",
        "system:kube-scheduler",
    } <= users
    assert any(u and u.startswith("system:node:") for u in users)  # 401s have no username
    namespaces = {e.get("objectRef", {}).get("namespace") for e in day}
    assert {"payments", "checkout", "frontend", "monitoring", "kube-system", "kube-node-lease"} <= namespaces


def test_it_has_the_interesting_requests(day):
    codes = Counter(e["responseStatus"]["code"] for e in day if "responseStatus" in e)
    assert codes[403] and codes[401] and codes[404] and codes[101]
    anonymous = [e for e in day if e["user"].get("username") == "system:anonymous"]
    assert {e["responseStatus"]["code"] for e in anonymous} >= {200, 403}
    assert any("impersonatedUser" in e for e in day)
    assert any(
        e.get("objectRef", {}).get("subresource") == "exec" and e["stage"] == "ResponseStarted" for e in day
    )
    assert any(e["verb"] == "watch" for e in day)
    assert any(
        e.get("objectRef", {}).get("apiGroup") == "rbac.authorization.k8s.io" and e["verb"] == "create"
        for e in day
    )


def test_about_two_percent_are_policy_changes(day):
    share = sum(map(is_policy_change, day)) / len(day)
    assert 0.01 < share < 0.04


def test_every_policy_kind_lives_a_full_lifecycle(two_days):
    modes = defaultdict(set)
    for event in two_days:
        if is_policy_change(event):
            modes[(event["objectRef"]["apiGroup"], event["objectRef"]["resource"])].add(_change_mode(event))
    assert set(modes) == POLICY_KINDS
    for kind, seen in modes.items():
        assert {"create", "update", "merge-patch", "json-patch", "delete"} <= seen, kind
    k8s_patches = [
        e
        for e in two_days
        if is_policy_change(e)
        and e["objectRef"]["apiGroup"] == "networking.k8s.io"
        and "fieldManager=kubectl-client-side-apply" in e["requestURI"]
        and e["verb"] == "patch"
    ]
    assert k8s_patches, "kubectl apply sends strategic merge patches to Kubernetes NetworkPolicies"


def test_policy_changes_are_refused_sometimes(two_days):
    refused = Counter(
        e["responseStatus"]["code"]
        for e in two_days
        if e.get("objectRef", {}).get("apiGroup") in ("projectcalico.org", "networking.k8s.io")
        and e["verb"] in ("create", "update", "patch", "delete")
        and e["stage"] == "ResponseComplete"
        and e["responseStatus"]["code"] >= 400
    )
    assert refused[403] and refused[409]


def test_deleted_policies_come_back_with_a_new_uid(two_days):
    recreated = 0
    for history in _policy_histories(two_days).values():
        last_uid = None
        for event in history:
            if event["verb"] == "delete":
                continue
            uid = event["responseObject"]["metadata"]["uid"]
            if event["verb"] == "create" and last_uid is not None:
                assert uid != last_uid
                recreated += 1
            last_uid = uid
    assert recreated


def test_each_version_is_the_previous_one_with_the_change_applied(two_days):
    checked = Counter()
    for key, history in _policy_histories(two_days).items():
        for before, after in itertools.pairwise(history):
            if before["verb"] == "delete":
                assert after["verb"] == "create", key
                continue
            if after["verb"] == "delete":
                continue
            old, new = before["responseObject"], after["responseObject"]
            assert int(new["metadata"]["resourceVersion"]) > int(old["metadata"]["resourceVersion"]), key
            mode = _change_mode(after)
            if mode == "json-patch":
                assert jsonpatch.apply_patch(old, after["requestObject"])["spec"] == new["spec"], key
            elif mode == "merge-patch":
                patched = merge_apply(old, after["requestObject"])
                assert patched["spec"] == new["spec"], key
                assert patched["metadata"].get("labels") == new["metadata"].get("labels"), key
            elif mode == "update":
                assert after["requestObject"]["spec"] == new["spec"], key
                assert (
                    after["requestObject"]["metadata"]["resourceVersion"]
                    == old["metadata"]["resourceVersion"]
                )
            if new["spec"] != old["spec"]:
                assert new["metadata"]["generation"] == old["metadata"]["generation"] + 1, key
            checked[mode] += 1
    assert checked["json-patch"] > 10 and checked["merge-patch"] > 10 and checked["update"] > 10


def test_server_bookkeeping_is_there_for_a_changelog_to_hide(two_days):
    obj = next(e["responseObject"] for e in two_days if is_policy_change(e) and e["verb"] == "update")
    meta = obj["metadata"]
    assert {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"} <= meta.keys()
    assert meta["managedFields"][0]["fieldsType"] == "FieldsV1"


def test_calico_specs_look_like_calico(two_days):
    specs = [
        e["responseObject"]["spec"]
        for e in two_days
        if is_policy_change(e)
        and e["verb"] != "delete"
        and e["objectRef"]["resource"] == "globalnetworkpolicies"
    ]
    assert specs
    for spec in specs:
        assert {"tier", "order", "selector", "types"} <= spec.keys()
        for rule in spec.get("ingress", []) + spec.get("egress", []):
            assert rule["action"] in ("Allow", "Deny", "Pass", "Log")


def test_nothing_happens_in_no_time():
    assert _events(0, 1) == []
    assert (
        list(generate(clusters=["a"], start=START + timedelta(days=1), days=1, events_per_second=0, seed=1))
        == []
    )


def test_preview_cleanup_removes_its_policies_with_one_collection_delete():
    from auditui.events.simulator.stories import preview_cleanup

    end = datetime(2026, 11, 27, 12, tzinfo=UTC)
    events = preview_cleanup("staging", end=end, seed=3)
    assert events == preview_cleanup("staging", end=end, seed=3)  # reproducible
    done = [e for e in events if e["stage"] == "ResponseComplete"]
    creates, (cleanup,) = done[:-1], done[-1:]
    assert [e["verb"] for e in creates] == ["create"] * 3 and cleanup["verb"] == "deletecollection"
    namespace = cleanup["objectRef"]["namespace"]
    assert "name" not in cleanup["objectRef"]
    assert cleanup["requestURI"].endswith(f"/namespaces/{namespace}/networkpolicies")
    assert [i["metadata"]["uid"] for i in cleanup["responseObject"]["items"]] == [
        e["responseObject"]["metadata"]["uid"] for e in creates]
    times = [e["requestReceivedTimestamp"] for e in events]
    assert times == sorted(times) and end - timedelta(hours=3) <= datetime.fromisoformat(times[0]) < end
    # The cluster's own people: the same identities as in its simulation.
    simulated = {e["user"].get("username"): e["user"].get("uid") for e in simulate_cluster(
        "staging", start=end - timedelta(days=1), days=1, events_per_second=0.2, seed=3)}
    story_users = {e["user"]["username"]: e["user"].get("uid") for e in events}
    assert set(story_users) == {"carol@example.com", "system:serviceaccount:ci:deployer"}
    assert all(simulated[name] == uid for name, uid in story_users.items())
