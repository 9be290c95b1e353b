"""Keys with a ``*`` segment (``auditui.events.query.paths``): the same events on every backend
(SQLite or PostgreSQL, OpenSearch, Elasticsearch through the proxy) and in the Python matcher,
decided by hand on events built for the edge cases."""

from __future__ import annotations

import time

import pytest

from auditui.access.scope import ViewerScope
from auditui.events.query import matches, parse
from auditui.events.store import EventQuery
from tests.factories import audit_event

ALL = ViewerScope.all()


def _event(audit_id: str, request_object: dict | None) -> dict:
    event = audit_event(verb="create", resource="configmaps", name=audit_id, audit_id=audit_id, level="Request")
    if request_object is not None:
        event["requestObject"] = request_object
    return event


EVENTS = [
    _event("falco", {"data": {"access.properties": "aws_access_key_id = AKIAABCDEFGHIJKLMNOP\n"
                                                   "aws_secret_access_key = MY-KEY\n",
                              "ui.properties": "color.good=purple\n"}}),
    _event("colours", {"data": {"ui.properties": "color.good=purple\ncolor.bad=yellow\n"}}),
    _event("nested", {"data": {"a": {"b": "deep"}}}),
    _event("dotted", {"data": {"a.b": "deep"}}),
    _event("equals-key", {"data": {"x=y": "secret"}}),
    _event("equals-value", {"data": {"k": "y=AKIA"}}),
    _event("typed", {"data": {"port": 8443, "on": True, "blank": ""}}),
    _event("pod", {"spec": {"containers": [
        {"name": "web", "image": "nginx", "securityContext": {"privileged": True}},
        {"name": "side", "image": "busybox", "ports": [{"containerPort": 8080}]}]}}),
    _event("empty-data", {"data": {}}),
    _event("no-body", None),
]

# query → the auditIDs it selects, decided by reading EVENTS.
EXPECTED = {
    'requestObject.data.* = "*aws_secret_access_key*"': {"falco"},
    'requestObject.data.* = "*purple*"': {"falco", "colours"},
    "requestObject.data.* = deep": {"nested", "dotted"},  # one dotted key or two nested keys: one path
    "requestObject.data.*.b = deep": {"nested", "dotted"},
    "requestObject.data.a.* = deep": {"nested", "dotted"},
    "requestObject.data.* = secret": set(),  # a path holding "=" never matches a *
    'requestObject.data.* = "AKIA*"': set(),  # "y=AKIA" is a value, not a path ending in "y"
    'requestObject.data.* = "y=AKIA"': {"equals-value"},
    "requestObject.data.* = 8443": {"typed"},
    "requestObject.data.* = 8443.0": {"typed"},
    "requestObject.data.* = true": {"typed"},
    'requestObject.data.* IN {"8443", "*good=*"}': {"typed", "falco", "colours"},
    "requestObject.data.* != deep": {"falco", "colours", "equals-key", "equals-value", "typed", "pod", "empty-data",
                                     "no-body"},
    'requestObject.data.* NOTIN {"*purple*", deep}': {"equals-key", "equals-value", "typed", "pod", "empty-data",
                                                      "no-body"},
    "requestObject.data.* EMPTY": {"equals-key", "pod", "empty-data", "no-body"},
    "NOT requestObject.data.* EMPTY": {"falco", "colours", "nested", "dotted", "equals-value", "typed"},
    "requestObject.spec.containers.* = nginx": {"pod"},
    "requestObject.spec.containers.* = 8080": {"pod"},
    "requestObject.spec.containers.*.privileged = true": {"pod"},
    "requestObject.*.containerPort = 8080": {"pod"},
    "requestObject.spec.* = side": {"pod"},
    "requestObject.spec.*.name = side AND requestObject.spec.*.image = nginx": {"pod"},
    "responseObject.data.* = deep": set(),
}


def _selected(store, node) -> set[str]:
    page = store.search(EventQuery(scope=ALL, query=node), page_size=100)
    return {record.audit_id for record in page.records}


@pytest.fixture
def stored(backend_store, ingest):
    report = ingest(EVENTS)
    assert report.ingested == len(EVENTS)
    return backend_store


def test_it_selects_the_same_events_on_every_backend_as_decided_by_hand(stored):
    for query, expected in EXPECTED.items():
        node = parse(query)
        assert _selected(stored, node) == expected, query


def test_it_matches_in_python_what_was_decided_by_hand():
    for query, expected in EXPECTED.items():
        node = parse(query)
        assert {e["auditID"] for e in EVENTS if matches(node, e, cluster="c1")} == expected, query


def test_it_walks_a_huge_and_deep_object_without_stalling(stored, ingest):
    wide = {f"key{n}": f"value {n}" for n in range(20_000)}
    deep: dict = {"leaf": "needle"}
    for _ in range(200):
        deep = {"d": deep}
    ingest([_event("wide", {"data": wide}), _event("deep", {"data": deep})])
    started = time.monotonic()
    assert _selected(stored, parse('requestObject.data.* = "value 19999"')) == {"wide"}
    assert _selected(stored, parse("requestObject.data.* = needle")) == {"deep"}
    assert _selected(stored, parse('requestObject.data.* = "*nothing*"')) == set()
    assert time.monotonic() - started < 20


def test_it_reads_a_whole_in_set_in_one_walk_behind_its_needles(db):
    from django.db import connection

    from auditui.events.models import AuditEvent
    from auditui.events.query import compile_q

    query = AuditEvent.objects.filter(compile_q('requestObject.data.* IN {"*secretkey*", "*BEGIN*KEY*", "pass="}'))
    sql = str(query.query)
    assert sql.count("WITH RECURSIVE") == 1
    # Each value's longest literal run is a needle; an event holding none is never walked.
    for needle in ("secretkey", "BEGIN", "pass"):
        assert needle in sql, connection.vendor


@pytest.mark.parametrize("backend", ["sql"])
def test_the_api_stops_a_star_over_huge_objects_at_the_request_deadline(client, admin, settings, backend_store):
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from auditui.events.ingest import ingest_events

    now = timezone.now()
    wide = {"data": {f"key{n}": f"value {n}" for n in range(5000)}}
    count = 40 if connection.vendor == "postgresql" else 60  # several times the limit on either
    ingest_events([audit_event(time=now - timedelta(seconds=i + 1), verb="create", level="Request",
                               requestObject=wide) for i in range(count)], cluster="c")
    settings.AUDITUI_QUERY_TIMEOUT_S = 0.05
    token = Token.objects.create(user=admin).key
    started = time.monotonic()
    # "zz" is too short to be a needle: every event's data is walked.
    response = client.get("/api/v1/events", {"query": 'requestObject.data.* = "*zz*"', "start": "now-1h"},
                          headers={"Authorization": f"Token {token}"})
    assert response.status_code == 503
    assert "the search took longer than 0.05 s" in response.json()["error"]
    assert time.monotonic() - started < 3
