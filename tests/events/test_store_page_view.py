"""EventStore.page_view: the events page's page, histogram and sidebar sample in one read, with
the same answers as the three reads it stands for, on every backend (``tests/backends.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auditui.access.scope import Grant, ViewerScope
from auditui.events.normalize import normalize_event
from auditui.events.query import parse
from auditui.events.store import EventQuery
from auditui.events.store.deadline import QueryTimeout, limit
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 1, tzinfo=UTC)
ALL = ViewerScope.all()
HOUR = timedelta(hours=1)
QUERIES = (
    None,
    "verb=create",
    'requestObject.spec.containers.image = "registry.example/web:*"',
    'requestObject.spec.containers.image != "registry.example/web:2" AND "responseStatus.code" < 400',
    '"responseStatus.code" >= 400',
    'requestObject.spec.containers.image = "nothing-has-this"',
)


def _pod(minute: int, namespace: str, image: str | None, **extra) -> dict:
    body = {"requestObject": {"kind": "Pod", "spec": {"containers": [{"image": image}]}}} if image else {}
    return audit_event(time=T0 + timedelta(minutes=minute), namespace=namespace, level="RequestResponse",
                       verb="create" if image else "get", **body, **extra)


@pytest.fixture
def store(backend_store):
    """Four hours of events in two namespaces, a third with a pod body, several at each time."""
    events = []
    for minute in range(0, 240, 5):
        for namespace in ("payments", "frontend"):
            image = f"registry.example/web:{minute % 3}" if minute % 15 == 0 else None
            events.append(_pod(minute, namespace, image, code=500 if minute % 25 == 0 else 200))
            events.append(_pod(minute, namespace, None))
    backend_store.write([normalize_event(e, cluster="c1") for e in events])
    return backend_store


def _query(text: str | None, scope: ViewerScope = ALL, hours: int = 4) -> EventQuery:
    return EventQuery(scope=scope, start=T0, end=T0 + timedelta(hours=hours), query=parse(text) if text else None)


def _ids(records) -> list:
    return [record.id for record in records]


@pytest.mark.parametrize("text", QUERIES)
def test_it_answers_as_the_search_histogram_and_sample_reads_do(store, text):
    q = _query(text)
    view = store.page_view(q, interval=HOUR, page_size=7, sample_size=20)
    page = store.search(q, page_size=7)
    assert _ids(view.page.records) == _ids(page.records)
    assert [r.raw for r in view.page.records] == [r.raw for r in page.records]
    assert (view.page.next_cursor is None) == (page.next_cursor is None)
    assert view.buckets == store.histogram(q, interval=HOUR)
    assert view.total == store.count(q)
    sample = store.search(q, page_size=20, columns_only=True).records
    assert _ids(view.sample) == _ids(sample) and all(r.raw == {} for r in view.sample)


@pytest.mark.parametrize("text", QUERIES[1:4])
def test_it_pages_on_with_its_own_cursors_in_the_search_order(store, text):
    q = _query(text)
    seen, cursor = [], None
    while True:
        view = store.page_view(q, interval=HOUR, page_size=4, cursor=cursor, sample_size=10)
        seen += _ids(view.page.records)
        # The histogram and the sample are the whole range's, whatever the page.
        assert view.total == store.count(q) and len(view.sample) == min(10, view.total)
        cursor = view.page.next_cursor
        if cursor is None:
            break
    assert seen == _ids(store.search(q, page_size=500).records)
    assert len(seen) == store.count(q) > 4


def test_its_cursors_continue_a_plain_search_and_the_other_way(store):
    q = _query(QUERIES[2])
    first = store.page_view(q, interval=HOUR, page_size=5, sample_size=0).page
    assert _ids(store.search(q, page_size=5, cursor=first.next_cursor).records) == _ids(
        store.search(q, page_size=10).records)[5:]
    second = store.search(q, page_size=5).next_cursor
    assert _ids(store.page_view(q, interval=HOUR, page_size=5, cursor=second).page.records) == _ids(
        store.search(q, page_size=10).records)[5:]


@pytest.mark.parametrize("text", [None, QUERIES[2]])
def test_it_applies_the_viewer_scope(store, text):
    payments = ViewerScope(grants=(Grant(clusters=("*",), namespaces=("payments",)),))
    view = store.page_view(_query(text, payments), interval=HOUR, page_size=50, sample_size=50)
    assert view.total == store.count(_query(text, payments)) == store.count(_query(text)) // 2
    assert {r.namespace for r in [*view.page.records, *view.sample]} == {"payments"}
    nothing = store.page_view(_query(text, ViewerScope.nothing()), interval=HOUR, sample_size=50)
    assert (nothing.total, nothing.page.records, nothing.sample, len(nothing.buckets)) == (0, [], [], 4)


@pytest.mark.parametrize("backend", ["sql"])
def test_it_tests_a_body_condition_once_on_sql(store):
    q = _query(QUERIES[2])
    with CaptureQueriesContext(connection) as captured:
        view = store.page_view(q, interval=HOUR, page_size=5, sample_size=30)
    walks = [query["sql"] for query in captured.captured_queries if "registry.example" in str(query["sql"])]
    assert len(walks) == 1 and len(captured.captured_queries) == 3  # the walk, the page's rows, the sample's
    assert view.total == 32 and len(view.page.records) == 5


@pytest.mark.parametrize("backend", ["sql"])
def test_it_stops_at_the_request_deadline(store):
    body = {"items": [{"a": str(j), "b": j} for j in range(2000)]}
    slow = [audit_event(time=T0 + timedelta(seconds=i), level="RequestResponse", verb="create", requestObject=body)
            for i in range(200)]
    store.write([normalize_event(e, cluster="c1") for e in slow])
    # Numbers absent from every body: nothing lets the store skip an event without walking it.
    q = _query(" OR ".join(f"requestObject.items.b = {2000 + i}" for i in range(20)))
    with limit(0.05), pytest.raises(QueryTimeout):
        store.page_view(q, interval=HOUR, sample_size=500)
