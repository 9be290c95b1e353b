"""Endpoints over an interval: Calico's worst case (protected throughout, exposed at any time)."""

from __future__ import annotations

from auditui.events.ingest import ingest_events
from auditui.state.exposure import Flags
from auditui.state.interval import endpoints_over, worst_case
from tests.state.story import ClusterStory

SAFE = Flags(True, True, False, False, False, False, True)
OPEN = Flags(False, True, True, False, True, False, False)


def test_it_combines_flags_as_calico_does():
    assert worst_case([SAFE, SAFE]) == SAFE
    combined = worst_case([SAFE, OPEN])
    assert not combined.ingress_protected and combined.egress_protected
    assert combined.ingress_from_internet and combined.ingress_from_other_namespace
    assert not combined.envoy_enabled


def test_it_counts_a_pod_protected_only_part_of_the_interval_as_unprotected(db):
    story = ClusterStory()
    story.create("pods", "web", "payments", labels={"app": "web"})
    story.create("pods", "db", "payments", labels={"app": "db"})
    story.create("networkpolicies", "deny", "payments", spec={"podSelector": {}})
    start = story.at(1)
    story.create("networkpolicies", "deny-db", "payments", spec={"podSelector": {"matchLabels": {"app": "db"}}},
                 minutes=10)
    story.delete("networkpolicies", "deny", "payments")  # db stays covered, web no longer is
    story.create("pods", "late", "payments", labels={"app": "late"}, minutes=5)
    end = story.at(1)
    story.create("pods", "after", "payments", minutes=5)
    ingest_events(story.events, cluster="c1")
    over = endpoints_over(cluster="c1", start=start, end=end)
    assert sorted(over) == [("payments", "db"), ("payments", "late"), ("payments", "web")]
    assert over[("payments", "db")].flags.ingress_protected
    assert over[("payments", "db")].applied == [
        "NetworkPolicy.networking.k8s.io(payments/deny)", "NetworkPolicy.networking.k8s.io(payments/deny-db)"]
    assert not over[("payments", "web")].flags.ingress_protected
    assert over[("payments", "web")].flags.ingress_from_internet


def test_it_counts_a_gap_between_two_policies_as_unprotected(db):
    story = ClusterStory()
    story.create("pods", "db", "payments", labels={"app": "db"})
    story.create("networkpolicies", "deny", "payments", spec={"podSelector": {}})
    start = story.at(1)
    story.delete("networkpolicies", "deny", "payments", minutes=10)
    story.create("networkpolicies", "deny-again", "payments", spec={"podSelector": {}})
    ingest_events(story.events, cluster="c1")
    over = endpoints_over(cluster="c1", start=start, end=story.at(1))
    assert not over[("payments", "db")].flags.ingress_protected
    assert over[("payments", "db")].flags.ingress_from_internet


def test_it_keeps_every_service_that_selected_a_pod_and_the_completeness_at_the_end(db):
    from auditui.state.interval import interval_state

    story = ClusterStory()
    story.create("pods", "web", "payments", labels={"app": "web", "tier": "front"})
    story.create("services", "web", "payments", spec={"selector": {"app": "web"}})
    story.create("services", "manual", "payments", spec={})  # no selector: no pod by labels
    story.create("services", "elsewhere", "shop", spec={"selector": {"app": "web"}})
    start = story.at(1)
    story.create("services", "front", "payments", spec={"selector": {"tier": "front"}}, minutes=5)
    story.delete("services", "web", "payments")
    ingest_events(story.events, cluster="c1")
    found = interval_state(cluster="c1", start=start, end=story.at(1))
    assert found.endpoints[("payments", "web")].services == ["web", "front"]
    assert found.completeness.from_events == 4 and found.completeness.imported_at is None
