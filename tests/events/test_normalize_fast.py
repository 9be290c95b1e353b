"""The shortcuts ingest takes for every event (issue 18) give what the plain rules give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from auditui.events.normalize import has_bodies, has_body, normalize_event
from auditui.events.store.sql_write import _sqlite_time
from tests.factories import audit_event

RAWS = [
    {},
    {"requestObject": {"a": 1}},
    {"responseObject": {"a": 1}, "requestObject": None},
    {"requestObject": {}, "responseObject": []},
    {"requestObject.spec": {"x": 1}},
    {"responseObject.status.phase": None, "requestObject": None},
    {"responseObject.x": 0, "requestObject.y": None, "other.key": 1},
    {"annotations.k": "v", "verb": "get"},
]


@pytest.mark.parametrize("raw", RAWS)
def test_it_tells_both_body_flags_as_has_body_does(raw: dict):
    assert has_bodies(raw) == (has_body(raw, "requestObject"), has_body(raw, "responseObject"))


@pytest.mark.parametrize("value", [
    datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=timezone(timedelta(hours=2))),
    datetime(1970, 1, 1, tzinfo=timezone(timedelta(minutes=-90))),
])
def test_it_writes_times_as_djangos_sqlite_adapter_does(value: datetime, settings):
    settings.USE_TZ = True
    expected = str(value.astimezone(UTC).replace(tzinfo=None))
    assert _sqlite_time(value) == expected
    if connection.vendor == "sqlite":
        assert _sqlite_time(value) == connection.ops.adapt_datetimefield_value(value)


def test_it_normalises_an_event_whose_only_time_is_its_stage_time():
    event = audit_event()
    del event["requestReceivedTimestamp"]
    event["stageTimestamp"] = "2026-01-02T03:04:05.5+01:00"
    record = normalize_event(event, cluster="c")
    assert record.time == record.stage_time == datetime(2026, 1, 2, 2, 4, 5, 500000, tzinfo=UTC)


def test_it_keeps_only_text_values_of_the_indexed_fields():
    event = audit_event(verb="get")
    event.update(level=3, userAgent=None, requestURI=["x"], user={"username": 7, "groups": ["a", 1]},
                 objectRef={"resource": "pods", "namespace": 5, "name": "p", "apiVersion": "g.io/v1"},
                 annotations={"authorization.k8s.io/decision": True}, impersonatedUser={"username": "imp"})
    record = normalize_event(event, cluster="c")
    assert (record.level, record.user_agent, record.request_uri, record.username) == ("", "", "", "")
    assert (record.resource, record.namespace, record.name) == ("pods", "", "p")
    assert (record.api_group, record.api_version) == ("g.io", "v1")
    assert (record.user_groups, record.decision, record.impersonated_user) == (["a"], "", "imp")
