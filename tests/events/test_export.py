"""CSV and JSON exports: every event written whatever it holds, never a file that ends early
without saying so, every CSV cell quoted and defused, and ``columns=`` capped."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from auditui.events import export
from auditui.events.ingest import ingest_events
from auditui.events.normalize import AuditRecord, normalize_event
from auditui.events.safe_json import TOO_DEEP
from auditui.events.store import StoreUnavailable
from tests.factories import audit_event


def nested(levels: int) -> object:
    value: object = "bottom"
    for _ in range(levels):
        value = {"a": value}
    return value


def record(**event_fields) -> AuditRecord:
    return normalize_event(audit_event(**event_fields), cluster="c1")


def deep_record() -> AuditRecord:
    return record(level="RequestResponse", requestObject=nested(300))


def broken_record() -> AuditRecord:
    """A record the writers cannot read (no time, no user name): stands for any event an export
    fails on."""
    broken = dataclasses.replace(record(name="broken"), time=None, id=7)
    del broken.username
    return broken


def then_store_fails(records: list[AuditRecord]) -> Iterator[AuditRecord]:
    yield from records
    raise StoreUnavailable("the event store timed out")


def csv_rows(lines: Iterator[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines))))


# --- CSV ----------------------------------------------------------------------------------------

def test_it_writes_a_deep_event_to_csv_with_a_marker():
    rows = csv_rows(export.csv_lines(iter([deep_record()]), ["verb", "requestObject"]))
    assert rows[0] == ["verb", "requestObject"] and rows[1][0] == "get"
    assert TOO_DEEP in rows[1][1] and len(rows) == 2


def test_it_writes_a_row_for_an_event_it_cannot_write_and_counts_them_last():
    records = [record(name="first"), broken_record(), record(name="last")]
    rows = csv_rows(export.csv_lines(iter(records), ["user.username", "objectRef.name"]))
    assert rows[1][1] == "first" and rows[3][1] == "last"
    assert rows[2] == ["# event 7 could not be written: AttributeError"]
    assert rows[-1] == ["# 1 event could not be written"]


def test_it_says_in_the_csv_when_the_store_failed_mid_export():
    rows = csv_rows(export.csv_lines(then_store_fails([record(name="only")]), ["objectRef.name"]))
    assert rows[1] == ["only"]
    assert rows[-1] == ["# the export stopped early: the event store failed (StoreUnavailable)"]


def test_it_quotes_every_cell():
    text = "".join(export.csv_lines(iter([record(code=200)]), ["verb", "responseStatus.code"]))
    assert text.splitlines() == ['"verb","responseStatus.code"', '"get","200"']


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_it_defuses_formulas_in_every_cell_the_header_and_after_each_semicolon(start):
    evil = f"{start}HYPERLINK(1)"
    rec = record(username=evil, groups=["ok", evil])
    rows = csv_rows(export.csv_lines(iter([rec]), [evil, "user.username", "user.groups"]))
    assert rows[0][0] == f"'{evil}"
    assert rows[1][1] == f"'{evil}" and rows[1][2] == f"ok;'{evil}"


def test_it_leaves_plain_cells_as_they_are():
    assert export.safe_cell("system:authenticated;kubectl") == "system:authenticated;kubectl"
    assert export.safe_cell("a; -b") == "a; -b"  # a space first: no spreadsheet reads a formula


# --- JSON ---------------------------------------------------------------------------------------

def test_it_writes_a_deep_event_to_json_with_a_marker():
    document = json.loads(b"".join(export.json_chunks(iter([record(name="first"), deep_record()]))))
    assert [e["name"] for e in document] == ["first", "web-1"]
    inner = document[1]["event"]["requestObject"]
    while isinstance(inner, dict):
        inner = inner["a"]
    assert inner == TOO_DEEP


def test_it_keeps_the_json_valid_and_counts_what_it_could_not_write():
    records = [record(name="first"), broken_record(), record(name="last")]
    document = json.loads(b"".join(export.json_chunks(iter(records))))
    assert [e.get("name") for e in document[:3]] == ["first", None, "last"]
    assert document[1] == {"id": "7", "export_error": "event 7 could not be written: AttributeError"}
    assert document[-1] == {"export_incomplete": "1 event could not be written", "events_not_written": 1}


def test_it_ends_the_json_with_why_the_export_stopped():
    document = json.loads(b"".join(export.json_chunks(then_store_fails([record(name="only")]))))
    assert document[0]["name"] == "only"
    assert document[-1]["export_incomplete"].startswith("the export stopped early")


def test_it_adds_nothing_when_every_event_was_written():
    assert len(json.loads(b"".join(export.json_chunks(iter([record(), record()]))))) == 2
    assert json.loads(b"".join(export.json_chunks(iter([])))) == []


# --- through the API, on every backend ------------------------------------------------------------

def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def stored(backend_store):
    now = timezone.now()
    ingest_events([
        audit_event(name="older", time=now - timedelta(minutes=3)),
        audit_event(name="deep", time=now - timedelta(minutes=2), level="RequestResponse", requestObject=nested(300)),
        audit_event(name="newer", time=now - timedelta(minutes=1)),
    ], cluster="c1")


def test_it_exports_every_event_around_a_deep_one(admin, stored):
    # cluster c1: each export is itself recorded in auditui's own trail, which the admin sees too.
    response = client_for(admin).get("/api/v1/events/export", {"format": "json", "cluster": "c1"})
    assert response.status_code == 200
    document = json.loads(b"".join(response.streaming_content))
    assert [e["name"] for e in document] == ["newer", "deep", "older"]
    response = client_for(admin).get("/api/v1/events/export", {"columns": "objectRef.name,requestObject",
                                                               "cluster": "c1"})
    rows = csv_rows(line.decode() for line in response.streaming_content)
    assert [r[0] for r in rows[1:]] == ["newer", "deep", "older"] and TOO_DEEP in rows[2][1]


def test_it_caps_export_columns_naming_the_parameter(admin, stored):
    client = client_for(admin)
    too_many = ",".join(f"c{i}" for i in range(export.MAX_COLUMNS + 1))
    response = client.get("/api/v1/events/export", {"columns": too_many})
    assert response.status_code == 400
    assert response.json() == {"error": "columns: at most 100 columns, not 101", "param": "columns"}
    response = client.get("/api/v1/events/export", {"columns": "verb," + "x" * (export.MAX_COLUMN_KEY + 1)})
    assert response.status_code == 400 and response.json()["param"] == "columns"
    assert "at most 200 characters" in response.json()["error"]
    assert client.get("/api/v1/events/export", {"columns": ",".join(["verb"] * export.MAX_COLUMNS)}).status_code == 200
