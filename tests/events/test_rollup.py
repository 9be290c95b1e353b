"""Hourly counts (kept by database triggers) must give exactly what counting the events gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from auditui.access.scope import Grant, ViewerScope
from auditui.events.ingest import ingest_events
from auditui.events.models import HourlyEventCount
from auditui.events.store import EventQuery, get_store
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 10, 1, tzinfo=UTC)
SCOPES = [
    ViewerScope.all(),
    ViewerScope(grants=(Grant(clusters=("*",), namespaces=("payments",)),)),
    ViewerScope(grants=(Grant(clusters=("east",), namespaces=("*",)),)),
    ViewerScope.nothing(),
]


@pytest.fixture
def spread():
    rng = random.Random(3)
    for cluster in ("east", "west"):
        events = [
            audit_event(time=T0 + timedelta(seconds=rng.randrange(0, 40 * 3600)),
                        namespace=rng.choice(["payments", "frontend", None]), verb=rng.choice(["get", "delete"]))
            for _ in range(400)
        ]
        ingest_events(events, cluster=cluster)
    return rng


def _raw_count(store, q):
    return store.queryset(q).count()


def test_it_counts_exactly_like_the_events(spread):
    store = get_store()
    for _ in range(15):
        start = T0 + timedelta(seconds=spread.randrange(-3600, 30 * 3600))
        end = start + timedelta(seconds=spread.randrange(1, 20 * 3600))
        for scope in SCOPES:
            for q in (EventQuery(scope=scope, start=start, end=end),
                      EventQuery(scope=scope, start=start, end=end, filters={"verb": "delete"}),
                      EventQuery(scope=scope, start=start, clusters=("west",))):
                assert store.count(q) == _raw_count(store, q)


def test_it_groups_exactly_like_the_events(spread):
    store = get_store()
    q = EventQuery(scope=ViewerScope.all(), start=T0 + timedelta(minutes=17), end=T0 + timedelta(hours=33, minutes=5))
    groups = store.aggregate(q, group_by=["cluster", "namespace"], limit=None)
    raw = {}
    for row in store.queryset(q).values_list("cluster", "namespace"):
        raw[row] = raw.get(row, 0) + 1
    assert {g.keys: g.count for g in groups} == raw
    assert [g.count for g in groups] == sorted(raw.values(), reverse=True)


def test_it_draws_histograms_exactly_like_the_events(spread):
    store = get_store()
    start, end = T0 + timedelta(minutes=41), T0 + timedelta(hours=38, minutes=2)
    for scope in SCOPES:
        q = EventQuery(scope=scope, start=start, end=end)
        buckets = store.histogram(q, interval=timedelta(hours=3))
        raw = store._bucket_counts(q, 3 * 3600)
        assert {int(b.start.timestamp()): b.count for b in buckets if b.count} == raw
        assert sum(b.count for b in buckets) == _raw_count(store, q)


def test_it_does_not_count_duplicates_and_follows_purge(spread):
    store = get_store()
    everything = EventQuery(scope=ViewerScope.all())
    before = store.count(everything)
    event = audit_event(time=T0 + timedelta(hours=5))
    ingest_events([event, event], cluster="east")
    ingest_events([event], cluster="east")
    assert store.count(everything) == before + 1 == sum(HourlyEventCount.objects.values_list("count", flat=True))
    store.purge(before=T0 + timedelta(hours=12))
    assert sum(HourlyEventCount.objects.values_list("count", flat=True)) == _raw_count(store, everything)
    assert store.count(EventQuery(scope=ViewerScope.all(), start=T0 - timedelta(days=1))) == _raw_count(
        store, everything)
