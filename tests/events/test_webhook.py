"""POST /api/v1/audit/webhook: the API server's audit webhook backend target."""

from __future__ import annotations

import gzip
import json

import pytest

from auditui.access.models import IngestToken
from auditui.events.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import audit_event, event_list

URL = "/api/v1/audit/webhook"


@pytest.fixture
def token(db) -> str:
    _row, plain = IngestToken.issue(cluster="prod-eu")
    return plain


def post(client, body: bytes, *, token: str | None = None, gzipped: bool = False, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def as_json(value) -> bytes:
    return json.dumps(value).encode()


def counts(response) -> dict[str, int]:
    data = response.json()
    return {key: data[key] for key in ("ingested", "duplicates", "rejected")}


def assert_unauthorized(response) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert AuditEvent.objects.count() == 0


def test_it_rejects_a_request_without_a_token(client, db):
    response = post(client, as_json(event_list([audit_event()])))

    assert_unauthorized(response)


def test_it_rejects_an_unknown_token(client, token):
    response = post(client, as_json(event_list([audit_event()])), token=token + "x")

    assert_unauthorized(response)
    assert "invalid or revoked" in response.json()["detail"]


def test_it_rejects_a_revoked_token(client, token):
    IngestToken.authenticate(token).revoke()

    response = post(client, as_json(event_list([audit_event()])), token=token)

    assert_unauthorized(response)


def test_it_rejects_a_non_bearer_scheme(client, token):
    response = client.post(URL, data=as_json(event_list([audit_event()])), content_type="application/json",
                           headers={"Authorization": f"Token {token}"})

    assert_unauthorized(response)


def test_it_does_not_accept_a_logged_in_superuser_without_a_token(client, admin):
    assert client.login(username="admin", password=PASSWORD)

    response = post(client, as_json(event_list([audit_event()])))

    assert response.status_code in (401, 403)
    assert AuditEvent.objects.count() == 0


def test_it_ingests_an_event_list_under_the_tokens_cluster(client, token):
    events = [audit_event(verb="create", name=f"web-{i}") for i in range(3)]

    response = post(client, as_json(event_list(events)), token=token)

    assert response.status_code == 200
    assert counts(response) == {"ingested": 3, "duplicates": 0, "rejected": 0}
    assert response.json()["rejections"] == []
    stored = AuditEvent.objects.order_by("name")
    assert [e.cluster for e in stored] == ["prod-eu"] * 3
    assert {e.audit_id for e in stored} == {e["auditID"] for e in events}
    assert [e.name for e in stored] == ["web-0", "web-1", "web-2"]


def test_it_records_when_the_token_was_last_used(client, token):
    post(client, as_json(audit_event()), token=token)

    assert IngestToken.objects.get().last_used_at is not None


def test_it_answers_duplicates_for_a_retried_batch(client, token):
    body = as_json(event_list([audit_event(), audit_event(), audit_event()]))
    first = post(client, body, token=token)

    retry = post(client, body, token=token)

    assert counts(first) == {"ingested": 3, "duplicates": 0, "rejected": 0}
    assert retry.status_code == 200
    assert counts(retry) == {"ingested": 0, "duplicates": 3, "rejected": 0}
    assert AuditEvent.objects.count() == 3


def test_it_keeps_the_same_event_apart_per_cluster(client, token):
    event = audit_event()
    _row, other = IngestToken.issue(cluster="prod-us")

    post(client, as_json(event), token=token)
    response = post(client, as_json(event), token=other)

    assert counts(response) == {"ingested": 1, "duplicates": 0, "rejected": 0}
    assert sorted(AuditEvent.objects.values_list("cluster", flat=True)) == ["prod-eu", "prod-us"]


def test_it_ingests_a_single_event(client, token):
    event = audit_event(verb="delete", resource="secrets", name="db-password")

    response = post(client, as_json(event), token=token)

    assert counts(response) == {"ingested": 1, "duplicates": 0, "rejected": 0}
    stored = AuditEvent.objects.get()
    assert (stored.audit_id, stored.verb, stored.resource, stored.name) == (
        event["auditID"], "delete", "secrets", "db-password")


def test_it_ingests_json_lines(client, token):
    events = [audit_event(), audit_event(), audit_event()]
    body = "\n".join(json.dumps(e) for e in events).encode() + b"\n"

    response = post(client, body, token=token)

    assert counts(response) == {"ingested": 3, "duplicates": 0, "rejected": 0}
    assert set(AuditEvent.objects.values_list("audit_id", flat=True)) == {e["auditID"] for e in events}


def test_it_ingests_a_gzip_body(client, token):
    events = [audit_event(), audit_event()]

    response = post(client, gzip.compress(as_json(event_list(events))), token=token, gzipped=True)

    assert response.status_code == 200
    assert counts(response) == {"ingested": 2, "duplicates": 0, "rejected": 0}
    assert AuditEvent.objects.filter(cluster="prod-eu").count() == 2


def test_it_refuses_invalid_gzip(client, token):
    response = post(client, as_json(event_list([audit_event()])), token=token, gzipped=True)

    assert response.status_code == 400
    assert "not valid gzip" in response.json()["error"]
    assert AuditEvent.objects.count() == 0


def test_it_refuses_a_body_that_is_not_json(client, token):
    response = post(client, b"this is not an audit event\n", token=token)

    assert response.status_code == 400
    error = response.json()["error"]
    assert "not JSON" in error
    assert "line 1 column 1" in error


def test_it_refuses_an_empty_body(client, token):
    response = post(client, b"", token=token)

    assert response.status_code == 400
    assert "empty body" in response.json()["error"]


def test_it_refuses_a_whitespace_only_gzip_body(client, token):
    response = post(client, gzip.compress(b"\n  \n"), token=token, gzipped=True)

    assert response.status_code == 400
    assert "empty body" in response.json()["error"]


def test_it_stores_good_events_and_reports_rejected_ones(client, token):
    good = [audit_event(name="good-1"), audit_event(name="good-2")]
    no_audit_id = audit_event(name="no-id")
    del no_audit_id["auditID"]
    body = as_json(event_list([good[0], {"kind": 0}, no_audit_id, good[1]]))

    response = post(client, body, token=token)

    assert response.status_code == 200
    assert counts(response) == {"ingested": 2, "duplicates": 0, "rejected": 2}
    rejections = response.json()["rejections"]
    assert len(rejections) == 2
    assert "items[1]" in rejections[0] and "kind is 0" in rejections[0]
    assert "items[2]" in rejections[1] and "auditID is missing" in rejections[1]
    assert sorted(AuditEvent.objects.values_list("name", flat=True)) == ["good-1", "good-2"]


def test_it_reports_bad_lines_in_json_lines_and_keeps_the_rest(client, token):
    body = b"\n".join([as_json(audit_event(name="ok")), b"{not json", as_json({"kind": "Pod"})])

    response = post(client, body, token=token)

    assert counts(response) == {"ingested": 1, "duplicates": 0, "rejected": 2}
    first, second = response.json()["rejections"]
    assert first.startswith("body:2: invalid JSON")
    assert second.startswith("body:3: ") and "'Pod'" in second


def test_it_refuses_a_body_larger_than_the_limit(client, token, settings):
    settings.AUDITUI_WEBHOOK_MAX_BYTES = 2_000
    body = as_json(event_list([audit_event() for _ in range(10)]))
    assert len(body) > 2_000

    response = post(client, body, token=token)

    assert response.status_code == 413
    assert "limit of 2000 bytes" in response.json()["error"]
    assert AuditEvent.objects.count() == 0


def test_it_accepts_a_body_just_under_the_limit(client, token, settings):
    body = as_json(audit_event())
    settings.AUDITUI_WEBHOOK_MAX_BYTES = len(body)

    response = post(client, body, token=token)

    assert counts(response) == {"ingested": 1, "duplicates": 0, "rejected": 0}


def test_it_refuses_a_gzip_bomb(client, token, settings):
    settings.AUDITUI_WEBHOOK_MAX_BYTES = 10_000
    events = [audit_event(name="same")] * 200
    compressed = gzip.compress(as_json(event_list(events)))
    assert len(compressed) < 10_000  # small on the wire, large once decompressed

    response = post(client, compressed, token=token, gzipped=True)

    assert response.status_code == 413
    assert "decompressed body is larger than the limit" in response.json()["error"]
    assert AuditEvent.objects.count() == 0


def test_it_ingests_every_member_of_a_multi_member_gzip(client, token):
    first, second = audit_event(), audit_event()
    body = gzip.compress(as_json(first)) + gzip.compress(as_json(second))  # as `cat a.gz b.gz` makes

    response = post(client, body, token=token, gzipped=True)

    assert counts(response) == {"ingested": 2, "duplicates": 0, "rejected": 0}


def test_it_answers_200_and_stores_the_batch_around_records_no_column_takes(client, token):
    # Issue 12: a long namespace or \u0000 (PostgreSQL), a lone surrogate (SQLite too) or an
    # integer of 5,000 digits answered 500, and the API server dropped the whole batch.
    hostile = [
        audit_event(name="long-ns", namespace="n" * 300),
        audit_event(name="nul", requestObject={"a": "x\u0000"}),
        audit_event(name="surrogate", username="u\ud800"),
        audit_event(name="huge-int", requestObject={"n": "@"}),
    ]
    good = [audit_event(name="good-1"), audit_event(name="good-2")]
    body = as_json(event_list([good[0], *hostile, good[1]])).replace(b'"@"', b"9" * 5000)

    response = post(client, body, token=token)

    assert response.status_code == 200
    assert counts(response) == {"ingested": 6, "duplicates": 0, "rejected": 0}
    assert AuditEvent.objects.get(name="long-ns").namespace == "n" * 253
    assert AuditEvent.objects.get(name="surrogate").username == "u\ufffd"


def test_it_answers_200_with_the_reason_for_a_record_the_store_refuses(client, token, monkeypatch):
    from auditui.events import ingest

    real = ingest.normalize_event

    def unsanitised(value, *, cluster, safe=False):  # as if ingest had let a bad value through
        record = real(value, cluster=cluster, safe=True)
        if record.name == "bad":
            record.namespace = "bad\ud800"
        return record

    monkeypatch.setattr(ingest, "normalize_event", unsanitised)
    body = as_json(event_list([audit_event(name="good"), audit_event(name="bad"), audit_event(name="good-2")]))

    response = post(client, body, token=token)

    assert response.status_code == 200
    assert counts(response) == {"ingested": 2, "duplicates": 0, "rejected": 1}
    (rejection,) = response.json()["rejections"]
    assert rejection.startswith("body:1 items[1]: the database refused it")
