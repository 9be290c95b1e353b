"""The lists of policies (changed in a window, all known) as the selectors build them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from auditui.access.scope import Grant, ViewerScope
from auditui.policies.selectors import ListFilters, changed_policies, find_policy


def _day():
    now = timezone.now()
    return {"start": now - timedelta(hours=24), "end": now}


def _names(result):
    return [(r.cluster, r.kind.qualified, r.name) for r in result.rows]


def test_it_lists_policies_changed_in_the_window_newest_first(stories, everything):
    result = changed_policies(everything, **_day())
    assert _names(result) == [
        ("c1", "networkpolicies.projectcalico.org", "platform.cart"),
        ("c1", "globalnetworkpolicies.projectcalico.org", "security.block-metadata"),
        ("c1", "networkpolicies.networking.k8s.io", "allow-web"),
        ("c2", "networkpolicies.networking.k8s.io", "allow-web"),
    ]


def test_it_counts_successful_changes_only_and_tells_the_current_state(stories, everything):
    rows = {(r.cluster, r.name): r for r in changed_policies(everything, **_day()).rows}
    k8s = rows[("c1", "allow-web")]
    assert k8s.changes == 6  # the refused update is not a change
    assert k8s.exists and k8s.last_user == "dave@example.com" and k8s.last_verb == "create"
    assert rows[("c1", "security.block-metadata")].tier == "security"
    assert rows[("c1", "platform.cart")].tier == "platform"
    assert rows[("c1", "allow-web")].tier == ""


def test_it_tells_a_deleted_policy_and_the_state_after_a_past_window(stories, everything):
    deleted_at = stories["k8s"].events[5]["requestReceivedTimestamp"]
    from auditui.events.normalize import parse_time

    end = parse_time(deleted_at, "t") + timedelta(seconds=1)
    rows = {r.name: r for r in changed_policies(everything, start=end - timedelta(hours=2), end=end).rows}
    assert rows["allow-web"].last_verb == "delete"
    # The window ended before the recreate, but the current state is what happened since.
    assert rows["allow-web"].exists


def test_it_lists_all_known_policies_whatever_the_window(stories, everything):
    result = changed_policies(everything, start=None, end=None)
    assert ("c1", "networksets.projectcalico.org", "office") in _names(result)
    assert len(result.rows) == 5


def test_it_filters_by_cluster_kind_namespace_user_and_text(stories, everything):
    day = _day()
    c2 = ListFilters(clusters=("c2",))
    assert {r.cluster for r in changed_policies(everything, **day, filters=c2).rows} == {"c2"}
    gnp = ListFilters(kinds=("globalnetworkpolicies.projectcalico.org",))
    assert [r.name for r in changed_policies(everything, **day, filters=gnp).rows] == ["security.block-metadata"]
    bare = ListFilters(kinds=("networkpolicies",))  # both the Kubernetes and the Calico kind
    assert len(changed_policies(everything, **day, filters=bare).rows) == 3
    checkout = ListFilters(namespace="checkout")
    assert [r.name for r in changed_policies(everything, **day, filters=checkout).rows] == ["platform.cart"]
    bob = changed_policies(everything, **day, filters=ListFilters(user="bob@example.com")).rows
    assert [(r.cluster, r.name, r.changes) for r in bob] == [("c1", "allow-web", 6), ("c2", "allow-web", 2)]
    assert [r.name for r in changed_policies(everything, **day, filters=ListFilters(text="SECURITY")).rows] == [
        "security.block-metadata"]


def test_it_finds_one_policy_or_says_it_is_ambiguous(stories, everything):
    one = find_policy(everything, "networkpolicies.networking.k8s.io", "payments", "allow-web", "c1")
    assert one.ref and one.ref.api_group == "networking.k8s.io" and one.ref.cluster == "c1"
    both_clusters = find_policy(everything, "networkpolicies.networking.k8s.io", "payments", "allow-web")
    assert both_clusters.ref is None and [c.cluster for c in both_clusters.candidates] == ["c1", "c2"]
    bare = find_policy(everything, "globalnetworkpolicies", "-", "security.block-metadata")
    assert bare.ref and bare.kind.qualified == "globalnetworkpolicies.projectcalico.org"
    assert find_policy(everything, "pods", "payments", "allow-web").candidates == []
    assert find_policy(everything, "networkpolicies", "payments", "nope").candidates == []
    # What the lists link to (a cluster and a qualified kind) is decided by one write of it.
    assert find_policy(everything, "networkpolicies.networking.k8s.io", "payments", "nope", "c1").candidates == []
    assert find_policy(everything, "networkpolicies.networking.k8s.io", "payments", "allow-web", "c9").ref is None
    assert find_policy(everything, "networkpolicies.projectcalico.org", "payments", "allow-web", "c1").ref is None
    other_team = ViewerScope(grants=(Grant(clusters=("*",), namespaces=("checkout",)),))
    assert find_policy(other_team, "networkpolicies.networking.k8s.io", "payments", "allow-web", "c1").ref is None


def test_it_reads_a_window_of_a_changelog_from_the_version_before_it(ingest, everything):
    import copy

    from auditui.events.normalize import parse_time
    from auditui.events.store import ObjectRef
    from auditui.policies.selectors import policy_changelog
    from tests.policies.stories import PolicyStory, full_lifecycle

    story = full_lifecycle(PolicyStory(level="Request", name="req"))  # patches must be replayed
    ingest(story.events, cluster="c1")
    ref = ObjectRef("c1", "networkpolicies", "req", "payments", "networking.k8s.io")
    whole = policy_changelog(everything, ref)
    start = parse_time(story.events[2]["requestReceivedTimestamp"], "t")  # the JSON patch
    part = policy_changelog(everything, ref, start=start)
    assert [c.verb for c in part.changes] == ["patch", "update", "delete", "create"]
    assert part.changes[0].before == whole.changes[1].after and part.changes[0].after == whole.changes[2].after
    assert part.changes[0].source == "patch" and part.changes[0].diffable
    end = parse_time(story.events[4]["requestReceivedTimestamp"], "t")
    assert [c.verb for c in policy_changelog(everything, ref, start=start, end=end).changes] == ["patch", "update"]
    assert copy.deepcopy(part.current) == whole.current
