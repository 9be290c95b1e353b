"""auditui/events/store/deadline.py: a read over the request's time limit is stopped by the
database itself (SQLite's progress handler, PostgreSQL's statement_timeout, the search engines'
timeout and task cancellation) and answered with a clear 503, never a worker held for minutes.
The slow reads here are real: a statement that counts to a billion, a query walking the JSON of
thousands of list items per event, a script that loops on every document."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from auditui.access.scope import ViewerScope
from auditui.events.ingest import ingest_events
from auditui.events.query import parse
from auditui.events.store import EventQuery
from auditui.events.store.deadline import QueryTimeout, current, limit, within_deadline
from auditui.events.store.transport import CLIENT_GRACE_S
from tests.factories import audit_event

pytestmark = pytest.mark.django_db

MESSAGE = "the search took longer than {} s: narrow the time range or the condition"
# Counts to a billion: minutes on either database, unless something stops it.
ENDLESS = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) "
              "SELECT count(*) FROM c",
    "postgresql": "SELECT count(*) FROM generate_series(1, 1000000000)",
}


def _fetch(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


# What a store read is to the deadline: its statements are limited, and nothing else.
_store_read = within_deadline(_fetch)


def _endless_count() -> int:
    return _store_read(ENDLESS[connection.vendor])


def test_it_stops_a_statement_at_the_deadline_on_this_database():
    started = time.perf_counter()
    with limit(0.3), pytest.raises(QueryTimeout, match=MESSAGE.format("0.3")):
        _endless_count()
    assert time.perf_counter() - started < 3


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_it_resets_postgresql_statement_timeout_after_the_request():
    with limit(5):
        inside = _store_read("SHOW statement_timeout")
    after = _fetch("SHOW statement_timeout")
    assert inside.endswith("s") and inside != "0" and after == "0"


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_it_removes_the_sqlite_progress_handler_after_the_request():
    with limit(0.2):
        assert _store_read("SELECT 1") == 1
        time.sleep(0.3)  # past the deadline: a handler left behind would interrupt what follows
        counted = _fetch("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) "
                         "SELECT count(*) FROM c")
    assert counted == 100000


def test_it_leaves_reads_outside_a_request_unlimited():
    assert current() is None
    with limit(None) as deadline:
        assert deadline is None and current() is None
    with limit(1):
        assert current() is not None
    assert current() is None


def test_it_refuses_a_store_read_once_no_time_is_left_but_not_the_requests_other_queries():
    with limit(0.01):
        time.sleep(0.02)
        with pytest.raises(QueryTimeout):
            _store_read("SELECT 1")
        assert _fetch("SELECT 2") == 2


def test_a_database_error_before_the_deadline_stays_what_it_is():
    with limit(10), pytest.raises(DatabaseError) as info:
        _store_read("SELECT * FROM no_such_table")
    assert not isinstance(info.value, QueryTimeout)


@pytest.fixture
def slow_data(backend_store):
    """Events whose request bodies hold 2,000 list items each, and a query that walks them all:
    a few tenths of a second for one API call (PostgreSQL walks them several times slower than
    SQLite, so it gets fewer events), several times the 0.05 s limit of the tests below."""
    now = timezone.now()
    body = {"items": [{"a": str(j), "b": j} for j in range(2000)]}
    count = 40 if connection.vendor == "postgresql" else 200
    events = [audit_event(time=now - timedelta(seconds=i + 1), verb="create", level="RequestResponse",
                          requestObject=body) for i in range(count)]
    ingest_events(events, cluster="c")
    # Numbers absent from every body: no text in the condition lets the store skip an event
    # without walking its items (the key's own words are in every body).
    return " OR ".join(f"requestObject.items.b = {2000 + i}" for i in range(20))


@pytest.mark.parametrize("backend", ["sql"])
def test_the_api_answers_503_with_the_reason_when_a_search_is_too_slow(client, admin, settings, slow_data):
    settings.AUDITUI_QUERY_TIMEOUT_S = 0.05
    token = Token.objects.create(user=admin).key
    started = time.perf_counter()
    response = client.get("/api/v1/events", {"query": slow_data, "start": "now-1h"},
                          headers={"Authorization": f"Token {token}"})
    assert response.status_code == 503
    assert response.json() == {"error": MESSAGE.format("0.05")}
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("backend", ["sql"])
def test_the_search_page_shows_the_reason_in_its_error_area(client, admin, settings, slow_data):
    settings.AUDITUI_QUERY_TIMEOUT_S = 0.05
    client.force_login(admin)
    response = client.get("/events/", {"query": slow_data, "start": "now-1h"})
    assert response.status_code == 503
    body = response.content.decode()
    assert 'id="query-error"' in body and "Search too slow" in body and MESSAGE.format("0.05") in body


@pytest.mark.parametrize("backend", ["sql"])
def test_the_same_search_answers_within_a_generous_limit(client, admin, settings, slow_data):
    settings.AUDITUI_QUERY_TIMEOUT_S = 60
    client.force_login(admin)
    response = client.get("/api/v1/events", {"query": slow_data, "start": "now-1h"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_other_pages_answer_503_with_the_reason(client, admin, settings, backend_store):
    settings.AUDITUI_QUERY_TIMEOUT_S = 1e-6  # over before the first read
    client.force_login(admin)
    response = client.get("/")
    assert response.status_code == 503
    assert MESSAGE.format("1e-06") in response.content.decode()


def test_the_webhook_is_not_limited(client, settings, backend_store):
    from auditui.access.models import IngestToken

    settings.AUDITUI_QUERY_TIMEOUT_S = 1e-6
    _row, plain = IngestToken.issue(cluster="prod")
    response = client.post("/api/v1/audit/webhook", data=[audit_event()], content_type="application/json",
                           headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 200 and response.json()["ingested"] == 1


# --- search engines ------------------------------------------------------------------------------

# Painless counts every loop iteration against a budget of a million per execution; turning each
# number into a string makes one execution take about 20 ms, so a search over a few hundred
# documents takes seconds (5-17 s on this 2-core machine, several times the limit below on any
# machine). Within one segment the engine looks at its own ``timeout`` only at the end, so what
# stops the request is the client's time limit: the deadline plus CLIENT_GRACE_S.
SLOW_SCRIPT = {"script": {"script": {
    "source": "long x = 0; for (int i = 0; i < 900000; i++) { x += Integer.toString(i).hashCode(); } "
              "return x == 7;",
    "lang": "painless"}}}
# Past the client's limit: time for the client to give up and the exception to reach the caller,
# on a loaded machine.
SLACK_S = 1.0


def test_the_engine_stops_a_slow_search_at_the_deadline(engine_store):
    now = timezone.now()
    engine_store.write([_record(now - timedelta(seconds=i)) for i in range(300)])
    started = time.perf_counter()
    with limit(0.5), pytest.raises(QueryTimeout, match=MESSAGE.format("0.5")):
        engine_store.transport.search(engine_store.pattern, {"query": SLOW_SCRIPT, "size": 1})
    assert time.perf_counter() - started < 0.5 + CLIENT_GRACE_S + SLACK_S


def test_the_engine_accepts_the_limits_on_every_read(engine_store):
    now = timezone.now()
    engine_store.write([_record(now - timedelta(seconds=i)) for i in range(5)])
    q = EventQuery(scope=ViewerScope.all(), start=now - timedelta(hours=1), end=now + timedelta(seconds=1),
                   query=parse("verb = get"))
    with limit(30):
        assert len(engine_store.search(q, page_size=2).records) == 2
        assert engine_store.count(q) == 5
        assert sum(b.count for b in engine_store.histogram(q, interval=timedelta(minutes=5))) == 5
        assert engine_store.aggregate(q, group_by=["verb"])[0].count == 5


def _record(moment):
    from auditui.events.normalize import normalize_event

    return normalize_event(audit_event(time=moment), cluster="c")


@pytest.mark.parametrize("backend", ["sql"])
def test_a_streamed_export_gives_each_page_the_time_limit_and_says_where_it_stopped(slow_data):
    """A streamed export is written after its request's own limit has ended: each page it reads
    has the limit of its own, and the file's last line says why it stopped."""
    from auditui.events import export

    q = EventQuery(scope=ViewerScope.all(), start=timezone.now() - timedelta(hours=1), query=parse(slow_data))
    with pytest.raises(QueryTimeout, match=MESSAGE.format("0.05")):
        list(export.iter_records(q, 100, page_seconds=0.05))
    lines = list(export.csv_lines(export.iter_records(q, 100, page_seconds=0.05), ["verb"]))
    assert lines[-1].strip() == (f'"# the export stopped early: the event store failed (QueryTimeout: '
                                 f'{MESSAGE.format("0.05")})"')
    assert list(export.iter_records(q, 100)) == []  # unlimited (a command): the whole walk, nothing matches
