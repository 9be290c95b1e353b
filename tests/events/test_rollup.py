"""Hourly counts (kept by database triggers) must give exactly what counting the events gives;
every backend must count, group and draw histograms exactly as the events say (Python oracle)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from auditui.access.scope import Grant, ViewerScope
from auditui.events.ingest import ingest_events
from auditui.events.models import HourlyEventCount
from auditui.events.normalize import normalize_event
from auditui.events.store import EventQuery
from tests.backends import expected_records
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
def store(backend_store):
    return backend_store


@pytest.fixture
def spread(store):
    """800 events over 40 hours in two clusters; ``spread.records`` is what was stored."""
    rng = random.Random(3)
    rng.records = []
    for cluster in ("east", "west"):
        events = [
            audit_event(time=T0 + timedelta(seconds=rng.randrange(0, 40 * 3600)),
                        namespace=rng.choice(["payments", "frontend", None]), verb=rng.choice(["get", "delete"]))
            for _ in range(400)
        ]
        ingest_events(events, cluster=cluster)
        rng.records += [normalize_event(e, cluster=cluster) for e in events]
    return rng


def _raw_count(spread, q):
    return len(expected_records(q, spread.records))


def test_it_counts_exactly_like_the_events(store, spread):
    for _ in range(15):
        start = T0 + timedelta(seconds=spread.randrange(-3600, 30 * 3600))
        end = start + timedelta(seconds=spread.randrange(1, 20 * 3600))
        for scope in SCOPES:
            for q in (EventQuery(scope=scope, start=start, end=end),
                      EventQuery(scope=scope, start=start, end=end, filters={"verb": "delete"}),
                      EventQuery(scope=scope, start=start, clusters=("west",))):
                assert store.count(q) == _raw_count(spread, q)


def test_it_groups_exactly_like_the_events(store, spread):
    q = EventQuery(scope=ViewerScope.all(), start=T0 + timedelta(minutes=17), end=T0 + timedelta(hours=33, minutes=5))
    groups = store.aggregate(q, group_by=["cluster", "namespace"], limit=None)
    raw = {}
    for record in expected_records(q, spread.records):
        key = (record.cluster, record.namespace)
        raw[key] = raw.get(key, 0) + 1
    assert {g.keys: g.count for g in groups} == raw
    assert [g.count for g in groups] == sorted(raw.values(), reverse=True)


def test_it_draws_histograms_exactly_like_the_events(store, spread):
    start, end = T0 + timedelta(minutes=41), T0 + timedelta(hours=38, minutes=2)
    step = 3 * 3600
    for scope in SCOPES:
        q = EventQuery(scope=scope, start=start, end=end)
        buckets = store.histogram(q, interval=timedelta(seconds=step))
        raw = {}
        for record in expected_records(q, spread.records):
            bucket = int(record.time.timestamp()) // step * step
            raw[bucket] = raw.get(bucket, 0) + 1
        assert {int(b.start.timestamp()): b.count for b in buckets if b.count} == raw
        assert sum(b.count for b in buckets) == _raw_count(spread, q)


def test_it_does_not_count_duplicates_and_follows_purge(store, spread, backend):
    everything = EventQuery(scope=ViewerScope.all())
    before = store.count(everything)
    event = audit_event(time=T0 + timedelta(hours=5))
    ingest_events([event, event], cluster="east")
    ingest_events([event], cluster="east")
    assert store.count(everything) == before + 1
    records = [*spread.records, normalize_event(event, cluster="east")]
    cutoff = T0 + timedelta(hours=12)
    assert store.purge(before=cutoff) == sum(1 for r in records if r.time < cutoff)
    left = [r for r in records if r.time >= cutoff]
    assert store.count(everything) == len(left)
    assert store.count(EventQuery(scope=ViewerScope.all(), start=T0 - timedelta(days=1))) == len(left)
    if backend == "sql":
        assert sum(HourlyEventCount.objects.values_list("count", flat=True)) == len(left)


def test_it_answers_simple_equality_queries_from_hourly_counts(store, spread):
    from auditui.events.query import parse
    from auditui.events.store import rollup

    start, end = T0 + timedelta(minutes=13), T0 + timedelta(hours=37)
    for text in ('verb=delete', 'verb=delete AND "objectRef.namespace"=PAYMENTS', 'cluster=east AND verb=get'):
        q = EventQuery(scope=ViewerScope.all(), start=start, end=end, query=parse(text))
        assert rollup.qualifies(q)
        assert store.count(q) == _raw_count(spread, q)
        assert sum(b.count for b in store.histogram(q, interval=timedelta(hours=1))) == _raw_count(spread, q)
    # Contradictions, wildcards, negations and other fields are counted from the events.
    for text in ('verb=del*', 'verb!=delete', 'user.username=alice', 'verb=get OR verb=delete',
                 'verb=get AND verb=delete'):
        assert not rollup.qualifies(EventQuery(scope=ViewerScope.all(), query=parse(text)))
