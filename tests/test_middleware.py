"""auditui/middleware.py: the viewer's time zone, and an event store that cannot answer said so
(503 with Retry-After) on pages, the API and the webhook, instead of a bare server error. The
store here is a real OpenSearch URL where nothing listens: what a node that is down looks like."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token

from auditui.access.models import IngestToken
from auditui.events.models import AuditEvent
from tests.factories import audit_event, event_list
from tests.services import closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def store_down(settings) -> str:
    """EVENT_STORE_URL pointing at an engine that is down; the address the reason names."""
    port = closed_port()
    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{port}"
    settings.AUDITUI_INDEX_PREFIX = "down"
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("path", ["/", "/events/", "/policies/"])
def test_staff_see_why_the_store_cannot_answer(client, admin, store_down, path):
    client.force_login(admin)
    response = client.get(path)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = response.content.decode()
    assert f"OpenSearch at {store_down} cannot be reached: connection refused" in body
    assert "Try again" in body and "Server Error" not in body


def test_other_viewers_are_told_to_try_again_without_the_engines_address(client, scoped_user, store_down):
    client.force_login(scoped_user)
    response = client.get("/events/")
    assert response.status_code == 503
    body = response.content.decode()
    assert "try again in a minute" in body and store_down not in body


def test_the_api_answers_503_in_json(client, admin, scoped_user, store_down):
    token = Token.objects.create(user=scoped_user).key
    response = client.get("/api/v1/events", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {"error": "event store unavailable; try again later"}
    client.force_login(admin)
    response = client.get("/api/v1/policies?changed_within=24h")
    assert response.status_code == 503
    reason = f"OpenSearch at {store_down} cannot be reached: connection refused"
    assert response.json()["error"] == f"event store unavailable: {reason}"


def test_the_webhook_asks_the_api_server_to_retry(client, store_down):
    _row, plain = IngestToken.issue(cluster="prod")
    response = client.post("/api/v1/audit/webhook", data=json.dumps(event_list([audit_event()])),
                           content_type="application/json", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert store_down in response.json()["error"]
    assert AuditEvent.objects.count() == 0


def test_liveness_does_not_depend_on_the_store(client, store_down):
    assert client.get("/healthz").status_code == 200


def test_an_unauthenticated_api_call_is_refused_before_the_store_is_asked(client, store_down):
    assert client.get("/api/v1/events").status_code in (401, 403)
