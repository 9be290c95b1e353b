"""The alerts API: rules and templates in YAML or JSON with the CLI's errors, writing behind the
permission, and the scoped inbox with its actions."""

from __future__ import annotations

import json

import pytest

from alerts.models import AlertEvent, GlobalAlert
from alerts.runs import alert_run
from tests.alerts.conftest import T0, alert_document, minutes
from tests.alerts.test_resources import CALICO_EXAMPLE


def test_it_creates_a_rule_from_yaml_and_reads_it_back_with_status(client, db, admin):
    client.force_login(admin)
    response = client.post("/api/v1/globalalerts", CALICO_EXAMPLE, content_type="application/yaml")
    assert response.status_code == 201 and response.json()["status"]["healthy"] is True
    listed = client.get("/api/v1/globalalerts").json()
    assert [item["metadata"]["name"] for item in listed["items"]] == ["policy.globalnetworkset"]


def test_it_gives_the_clis_error_naming_the_field(client, db, admin):
    client.force_login(admin)
    body = json.dumps(alert_document("bad", query="verb=create", dataSet="dns"))
    response = client.post("/api/v1/globalalerts", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "spec.dataSet"
    assert "audit logs only" in response.json()["error"]


def test_it_replaces_and_deletes_a_rule_by_name(client, db, admin):
    client.force_login(admin)
    body = alert_document("r", query="verb=create")
    assert client.put("/api/v1/globalalerts/r", json.dumps(body), content_type="application/json").status_code == 201
    body["spec"]["severity"] = 10
    assert client.put("/api/v1/globalalerts/r", json.dumps(body), content_type="application/json").status_code == 200
    assert GlobalAlert.objects.get().severity == 10
    assert client.delete("/api/v1/globalalerts/r").status_code == 204
    assert client.get("/api/v1/globalalerts/r").status_code == 404


def test_it_needs_the_permission_to_write_rules(client, db, scoped_user):
    client.force_login(scoped_user)
    body = json.dumps(alert_document("r", query="verb=create"))
    assert client.post("/api/v1/globalalerts", body, content_type="application/json").status_code == 403
    assert client.get("/api/v1/globalalerttemplates").status_code == 200


def test_it_lists_the_builtin_templates(client, db, scoped_user):
    client.force_login(scoped_user)
    names = [item["metadata"]["name"] for item in client.get("/api/v1/globalalerttemplates").json()["items"]]
    assert "policy.pod" in names


@pytest.fixture
def fired(make_alert, pod_created):
    alert = make_alert("pods", query='verb=create AND "objectRef.resource"=pods')
    for n, namespace in enumerate(["payments", "payments", "shop"]):
        pod_created(namespace, T0 - minutes(3 - n), name=f"p{n}")
    alert_run(alert_id=alert.pk, now=T0)
    return list(AlertEvent.objects.values_list("pk", flat=True))


def test_it_lists_alert_events_in_the_viewers_scope_paged(client, fired, scoped_user):
    client.force_login(scoped_user)
    first = client.get("/api/v1/alert-events?page_size=1").json()
    assert first["count"] == 2 and len(first["results"]) == 1 and first["next"]
    assert first["results"][0]["pairs"] == [["c1", "payments"]]
    second = client.get(first["next"]).json()
    assert second["next"] is None and second["results"][0]["id"] != first["results"][0]["id"]


def test_it_acts_on_alert_events_in_bulk_and_one_by_one(client, fired, admin):
    client.force_login(admin)
    response = client.post("/api/v1/alert-events/acknowledge", {"ids": fired[:2]}, content_type="application/json")
    assert response.json() == {"action": "acknowledge", "changed": 2}
    assert client.post(f"/api/v1/alert-events/{fired[2]}/dismiss").json()["changed"] == 1
    assert client.get("/api/v1/alert-events?state=dismissed").json()["count"] == 1


def test_it_shows_the_outsider_no_alert_events(client, fired, outsider):
    client.force_login(outsider)
    assert client.get("/api/v1/alert-events").json()["count"] == 0


def test_it_is_in_the_openapi_schema(client, db, admin):
    client.force_login(admin)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/globalalerts/{name}" in schema and "/api/v1/alert-events" in schema
