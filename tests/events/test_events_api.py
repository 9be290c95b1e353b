from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from auditui.events.ingest import ingest_events
from tests.factories import audit_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("backend_store")]


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def data(now):
    events = []
    for i in range(30):
        events.append(audit_event(time=now - timedelta(minutes=2 * i + 1), verb="delete" if i % 3 == 0 else "get",
                                  namespace="payments" if i % 2 == 0 else "frontend",
                                  username=f"user-{i % 4}", code=403 if i % 5 == 0 else 200))
    events.append(audit_event(time=now - timedelta(days=3), verb="delete", namespace="payments"))
    ingest_events(events, cluster="prod")
    ingest_events([audit_event(time=now - timedelta(minutes=5), namespace=None, resource="nodes", name="n1")],
                  cluster="dev")
    return events


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_it_rejects_unauthenticated_calls(data):
    response = APIClient().get("/api/v1/events")
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


def test_it_searches_the_last_24_hours_by_default(admin, data):
    body = client_for(admin).get("/api/v1/events").json()
    assert body["count"] == 31
    assert len(body["results"]) == 31 and body["next"] is None
    first = body["results"][0]
    assert first["cluster"] == "prod" and first["event"]["kind"] == "Event"
    assert first["url"].endswith(f"/events/{first['id']}/")


def test_it_filters_with_the_query_language(admin, data):
    client = client_for(admin)
    body = client.get("/api/v1/events", {"query": 'verb=delete AND "objectRef.namespace"=payments'}).json()
    assert body["count"] == 5
    assert {(r["verb"], r["namespace"]) for r in body["results"]} == {("delete", "payments")}
    assert client.get("/api/v1/events", {"query": "responseStatus.code >= 400"}).json()["count"] == 6


def test_it_answers_400_with_the_parser_message(admin, data):
    response = client_for(admin).get("/api/v1/events", {"query": "verb = "})
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == "query" and "column" in body["error"] and isinstance(body["position"], int)


def test_it_names_bad_times_and_page_sizes(admin, data):
    client = client_for(admin)
    bad_start = client.get("/api/v1/events", {"start": "yesterday-ish"})
    assert bad_start.status_code == 400 and bad_start.json()["param"] == "start"
    assert client.get("/api/v1/events", {"page_size": "0"}).json()["param"] == "page_size"
    assert client.get("/api/v1/events", {"start": "now", "end": "now-1h"}).status_code == 400


def test_it_pages_with_a_next_link(admin, data, now):
    client = client_for(admin)
    params = {"start": (now - timedelta(days=7)).isoformat(), "page_size": 10, "cluster": "prod"}
    body = client.get("/api/v1/events", params).json()
    seen = [r["id"] for r in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [r["id"] for r in body["results"]]
    assert len(seen) == len(set(seen)) == 31 == body["count"]


def test_it_counts_per_time_bucket(admin, data, now):
    body = client_for(admin).get("/api/v1/events/histogram", {"start": "now-1h", "interval": "10m"}).json()
    assert body["interval"] == "10m" and body["interval_seconds"] == 600
    assert body["total"] == 31 == sum(b["count"] for b in body["buckets"])
    auto = client_for(admin).get("/api/v1/events/histogram", {"start": "now-7d"}).json()
    assert len(auto["buckets"]) <= 121 and auto["total"] == 32


def test_it_gives_top_values_of_a_field(admin, data):
    body = client_for(admin).get("/api/v1/events/fields/user.username/top", {"limit": 2}).json()
    assert body["total"] == 31
    assert [(v["value"], v["count"]) for v in body["values"]] == [("user-0", 8), ("user-1", 8)]
    assert body["other"] == 31 - 16
    groups = client_for(admin).get("/api/v1/events/fields/user.groups/top").json()
    assert groups["values"] == [{"value": "system:authenticated", "count": 31}]
    assert client_for(admin).get("/api/v1/events/fields/requestObject.spec/top").status_code == 400


def test_it_applies_the_scope_to_results_counts_histograms_and_top_values(scoped_user, outsider, data):
    scoped = client_for(scoped_user)
    body = scoped.get("/api/v1/events").json()
    assert body["count"] == 15 and {r["namespace"] for r in body["results"]} == {"payments"}
    assert scoped.get("/api/v1/events/histogram").json()["total"] == 15
    top = scoped.get("/api/v1/events/fields/objectRef.namespace/top").json()
    assert top["values"] == [{"value": "payments", "count": 15}]
    nobody = client_for(outsider)
    assert nobody.get("/api/v1/events").json() == {"count": 0, "next": None, "results": []}
    assert nobody.get("/api/v1/events/histogram").json()["total"] == 0


def test_it_shows_one_event_within_scope(admin, scoped_user, data):
    listing = client_for(admin).get("/api/v1/events", {"query": '"objectRef.namespace"=frontend'}).json()
    event_id = listing["results"][0]["id"]
    assert client_for(admin).get(f"/api/v1/events/{event_id}").json()["id"] == event_id
    assert client_for(scoped_user).get(f"/api/v1/events/{event_id}").status_code == 404


def test_it_exports_csv_with_chosen_columns(admin, data):
    response = client_for(admin).get("/api/v1/events/export", {
        "format": "csv", "query": "verb=delete", "columns": "auditID,verb,objectRef.namespace,user.groups"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["auditID", "verb", "objectRef.namespace", "user.groups"]
    assert len(rows) - 1 == 10 and {r[1] for r in rows[1:]} == {"delete"}
    assert response["X-Export-Truncated"] == "false"


def test_it_exports_json_and_says_when_it_hits_the_cap(admin, data, settings):
    settings.AUDITUI_EXPORT_MAX_ROWS = 7
    response = client_for(admin).get("/api/v1/events/export", {"format": "json"})
    rows = json.loads(b"".join(response.streaming_content))
    assert len(rows) == 7 and response["X-Export-Truncated"] == "true" and response["X-Export-Total"] == "31"
    assert client_for(admin).get("/api/v1/events/export", {"format": "xml"}).status_code == 400


def test_it_neutralises_formulas_in_csv(admin, now):
    ingest_events([audit_event(username="=HYPERLINK(\"http://x\")", time=now - timedelta(minutes=1))], cluster="c")
    response = client_for(admin).get("/api/v1/events/export", {"columns": "user.username"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][0].startswith("'=")


def test_it_deletes_no_event_through_the_api_or_the_pages(admin, data):
    client = client_for(admin)
    event_id = client.get("/api/v1/events").json()["results"][0]["id"]

    assert client.delete(f"/api/v1/events/{event_id}").status_code == 405
    assert client.delete("/api/v1/events", {"query": "verb=delete"}).status_code == 405
    assert client.post(f"/events/{event_id}/", {"_method": "DELETE"}).status_code == 405
    assert client.delete(f"/events/{event_id}/").status_code == 405
    assert client.get(f"/api/v1/events/{event_id}").status_code == 200
    assert client.get("/api/v1/events").json()["count"] == 31


def test_it_counts_and_pages_a_request_body_condition(admin, now):
    pods = [audit_event(time=now - timedelta(minutes=i + 1), verb="create", level="RequestResponse",
                        requestObject={"spec": {"containers": [{"image": f"registry.example/web:{i % 2}"}]}})
            for i in range(7)]
    ingest_events(pods, cluster="prod")
    client = client_for(admin)
    query = {"query": 'requestObject.spec.containers.image = "registry.example/web:1"', "page_size": 2}
    first = client.get("/api/v1/events", query).json()
    second = client.get(first["next"]).json()
    assert first["count"] == second["count"] == 3 and second["next"] is None
    assert [r["event"]["auditID"] for r in first["results"] + second["results"]] == [
        pods[i]["auditID"] for i in (1, 3, 5)]


@pytest.mark.parametrize("backend", ["sql"])
def test_it_walks_the_bodies_once_for_the_page_and_the_count_on_sql(admin, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ingest_events([audit_event(time=now - timedelta(minutes=1), verb="create", level="RequestResponse",
                               requestObject={"spec": {"replicas": 3}})], cluster="prod")
    with CaptureQueriesContext(connection) as captured:
        body = client_for(admin).get("/api/v1/events", {"query": "requestObject.spec.replicas = 3"}).json()
    assert body["count"] == 1 and len(body["results"]) == 1
    assert len([q for q in captured.captured_queries if "replicas" in q["sql"]]) == 1
