"""The audit webhook over real HTTP, the way an API server calls it."""

from __future__ import annotations

import gzip
import io
import json
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command

from auditui.events.models import AuditEvent
from tests.factories import audit_event, event_list


@pytest.fixture
def live_token(transactional_db) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_ingest_token", "--cluster", "live", stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1]


def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), json.loads(exc.read())


def test_it_ingests_a_gzip_event_list_over_http(live_server, live_token):
    events = [audit_event(verb="create", resource="networkpolicies", api_group="networking.k8s.io",
                          namespace="payments", name="deny-all"),
              audit_event(verb="get", name="web-1")]
    body = gzip.compress(json.dumps(event_list(events)).encode())

    status, _headers, payload = send(
        f"{live_server.url}/api/v1/audit/webhook",
        body,
        {"Authorization": f"Bearer {live_token}", "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )

    assert status == 200
    assert {k: payload[k] for k in ("ingested", "duplicates", "rejected")} == {
        "ingested": 2, "duplicates": 0, "rejected": 0}
    stored = {e.audit_id: e for e in AuditEvent.objects.exclude(cluster="auditui")}  # not the token's trail
    assert set(stored) == {e["auditID"] for e in events}
    policy = stored[events[0]["auditID"]]
    assert (policy.cluster, policy.verb, policy.api_group, policy.namespace, policy.name) == (
        "live", "create", "networking.k8s.io", "payments", "deny-all")


def test_it_answers_401_with_a_bearer_challenge_over_http(live_server, live_token):
    status, headers, payload = send(
        f"{live_server.url}/api/v1/audit/webhook",
        json.dumps(event_list([audit_event()])).encode(),
        {"Authorization": "Bearer not-a-token", "Content-Type": "application/json"},
    )

    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert "invalid or revoked" in payload["detail"]
    assert AuditEvent.objects.exclude(cluster="auditui").count() == 0  # the token's creation is in the trail
