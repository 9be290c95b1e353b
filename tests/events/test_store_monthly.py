"""A search-engine store with one index per cluster and month (``EVENT_STORE_URL`` option
``index_period=month``, auditui/events/store/layout.py): where its events go, retention inside a
month, reads of one object over a year, and a store that switches from days to months keeping
what it wrote before. The behavioural suite also runs on this layout (``opensearch-monthly`` in
tests/backends.py); this file holds what only the layout decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auditui.access.scope import ViewerScope
from auditui.events.normalize import normalize_event
from auditui.events.store import EventQuery, ObjectRef
from tests.backends import make_engine_store
from tests.factories import audit_event

pytestmark = [pytest.mark.django_db, pytest.mark.opensearch]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALL = ViewerScope.all()
POLICY = {"resource": "networkpolicies", "api_group": "networking.k8s.io", "namespace": "payments"}
DENY_ALL = ObjectRef(cluster="c1", name="deny-all", **POLICY)


def _write(store, events, cluster="c1"):
    return store.write([normalize_event(e, cluster=cluster) for e in events])


def _pods(days, cluster_hours=3):
    return [audit_event(name=f"web-{day}", time=T0 + timedelta(days=day, hours=cluster_hours)) for day in days]


@pytest.fixture
def monthly(request):
    store = make_engine_store(request, "opensearch-monthly")
    try:
        yield store
    finally:
        store.drop_everything()


def _event_indices(store) -> list[str]:
    return sorted(name for name in store.transport.indices(store.pattern))


def test_it_writes_one_index_per_cluster_and_month(monthly):
    _write(monthly, _pods([0, 10, 30, 31, 57, 58]))  # January, and February (31 to 58)
    _write(monthly, _pods([40]), cluster="c2")
    p = monthly.prefix
    assert _event_indices(monthly) == [f"{p}-c1-2026.01", f"{p}-c1-2026.02", f"{p}-c2-2026.02"]
    assert monthly.count(EventQuery(scope=ALL)) == 7
    assert monthly.cluster_totals(ALL) == {"c1": 6, "c2": 1}
    february = EventQuery(scope=ALL, start=T0 + timedelta(days=31), end=T0 + timedelta(days=59))
    assert sorted(r.name for r in monthly.search(february, page_size=50).records) == [
        "web-31", "web-40", "web-57", "web-58"]


def test_it_purges_inside_a_month_exactly_and_whole_months_before(monthly):
    _write(monthly, _pods(range(0, 70, 3)))
    cutoff = T0 + timedelta(days=40, hours=12)  # 10 February, noon
    before = monthly.count(EventQuery(scope=ALL, end=cutoff))
    total = monthly.count(EventQuery(scope=ALL))
    assert monthly.purge(before=cutoff) == before > 0
    assert monthly.count(EventQuery(scope=ALL)) == total - before
    assert monthly.count(EventQuery(scope=ALL, end=cutoff)) == 0
    # January is gone as an index; February keeps its events from the cutoff on.
    assert [name.rsplit("-", 1)[1] for name in _event_indices(monthly)] == ["2026.02", "2026.03"]
    assert monthly.purge(before=cutoff) == 0


def test_it_reads_one_objects_year_from_the_months_it_has_events_in(monthly):
    days = (0, 40, 300)
    events = [audit_event(verb="patch", name="deny-all", time=T0 + timedelta(days=d, hours=3), **POLICY) for d in days]
    _write(monthly, events + _pods(range(5, 365, 30)))
    target = monthly.read_target(EventQuery(scope=ALL), obj=DENY_ALL)
    assert {pattern.rsplit("-", 1)[1].rstrip("*") for pattern in target.split(",")} == {"2026.01", "2026.02", "2026.10"}
    history = monthly.history(EventQuery(scope=ALL), DENY_ALL)
    assert [r.time.date() for r in history] == [(T0 + timedelta(days=d)).date() for d in days]


def test_a_store_switched_from_days_to_months_keeps_finding_its_daily_indices(request, monthly):
    daily = make_engine_store(request, "opensearch")
    daily = type(daily)(daily.config, prefix=monthly.prefix, refresh="true")  # the same indices, by day
    earlier = _write(daily, _pods([0, 1, 32]) + [audit_event(verb="create", name="deny-all", time=T0, **POLICY)])
    later = _write(monthly, _pods([2, 33]) + [audit_event(verb="patch", name="deny-all", time=T0 + timedelta(days=2),
                                                          **POLICY)])
    assert (earlier.ingested, later.ingested) == (4, 3)
    january = EventQuery(scope=ALL, start=T0, end=T0 + timedelta(days=31))
    assert sorted(r.name for r in monthly.search(january, page_size=50).records) == [
        "deny-all", "deny-all", "web-0", "web-1", "web-2"]
    assert [r.verb for r in monthly.history(EventQuery(scope=ALL), DENY_ALL)] == ["create", "patch"]
    old = monthly.search(EventQuery(scope=ALL, start=T0 + timedelta(days=32), end=T0 + timedelta(days=33))).records
    assert monthly.get(ALL, old[0].id).name == "web-32"
    # Retention removes the old daily indices as it removes months.
    assert monthly.purge(before=T0 + timedelta(days=32)) == 5
    assert sorted(r.name for r in monthly.search(EventQuery(scope=ALL), page_size=50).records) == [
        "web-32", "web-33"]


def test_a_store_switched_back_to_days_refuses_to_miss_the_monthly_indices(request, monthly):
    from auditui.events.store import StoreUnavailable

    _write(monthly, _pods([0]))
    daily = make_engine_store(request, "opensearch")
    daily = type(daily)(daily.config, prefix=monthly.prefix, refresh="true")
    newest = EventQuery(scope=ALL, start=T0 - timedelta(days=1))  # no end: reads the index list
    refusal = rf"index {monthly.prefix}-c1-2026.01 holds a month .* index_period=month"
    with pytest.raises(StoreUnavailable, match=refusal):
        daily.search(newest)
    with pytest.raises(StoreUnavailable, match="reads by day"):
        _write(daily, _pods([1]))
    assert monthly.count(EventQuery(scope=ALL)) == 1  # nothing was written by day

