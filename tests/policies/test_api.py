"""The policy changelog API, and that it says what the pages say."""

from __future__ import annotations

import re

import pytest
from rest_framework.authtoken.models import Token

from tests.policies.conftest import GNP_API, K8S_API, K8S_PAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, admin):
    token = Token.objects.create(user=admin)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def test_it_lists_changed_policies_newest_first(api, stories):
    body = api.get("/api/v1/policies?changed_within=24h").json()
    assert body["count"] == 4 and body["truncated"] is False
    first = body["results"][0]
    assert first["name"] == "platform.cart" and first["resource"] == "networkpolicies.projectcalico.org"
    assert first["tier"] == "platform" and first["state"] == "exists" and first["changes"] == 1
    assert first["changelog_url"].endswith(
        "/api/v1/policies/networkpolicies.projectcalico.org/checkout/platform.cart/changelog?cluster=c1")
    k8s = next(r for r in body["results"] if r["name"] == "allow-web" and r["cluster"] == "c1")
    assert (k8s["changes"], k8s["last_user"], k8s["namespace"]) == (6, "dave@example.com", "payments")


def test_it_takes_start_and_end_instead_of_a_window(api, stories):
    created = stories["old"].events[0]["requestReceivedTimestamp"]
    body = api.get("/api/v1/policies?start=now-41d&end=now-39d").json()
    assert [r["name"] for r in body["results"]] == ["office"] and body["results"][0]["last_change"] == created
    assert api.get("/api/v1/policies?changed_within=1h&start=now-1d").status_code == 400
    assert api.get("/api/v1/policies?start=tomorrow").json()["param"] == "start"


def test_it_lists_known_policies_and_filters(api, stories):
    assert api.get("/api/v1/policies?known=true").json()["count"] == 5
    assert api.get("/api/v1/policies?cluster=c2").json()["count"] == 1
    assert api.get("/api/v1/policies?kind=globalnetworkpolicies").json()["count"] == 1


def test_it_answers_a_changelog_with_diffs(api, stories):
    body = api.get(f"{K8S_API}?cluster=c1").json()
    assert body["object"] == {"cluster": "c1", "resource": "networkpolicies.networking.k8s.io",
                              "kind": "NetworkPolicy", "namespace": "payments", "name": "allow-web", "exists": True}
    changes = body["changes"]
    assert [c["verb"] for c in changes] == ["create", "patch", "patch", "update", "delete", "create"]
    merge = changes[1]
    assert merge["user"] == "bob@example.com" and merge["source_ips"] == ["10.0.0.7"]
    assert merge["user_agent"].startswith("kubectl/") and merge["audit_id"] == stories["k8s"].events[1]["auditID"]
    assert merge["diff"] == [{"path": "metadata.labels.owner", "op": "added", "old": None, "new": "sre"}]
    assert merge["object"]["metadata"]["labels"] == {"team": "web", "owner": "sre"}
    assert changes[2]["diff"][0]["new"] == {"protocol": "TCP", "port": 8443}
    assert changes[4]["object"] is None and changes[4]["life"] == 1 and changes[5]["life"] == 2
    assert changes[0]["uid"] != changes[5]["uid"]
    assert [(f["code"], f["user"]) for f in body["failed_attempts"]] == [(403, "mallory@example.com")]
    assert merge["event_url"].endswith(f"/events/{merge['event_id']}/")


def test_it_includes_noise_when_asked(api, stories):
    quiet = api.get(f"{K8S_API}?cluster=c1").json()["changes"][1]["diff"]
    loud = api.get(f"{K8S_API}?cluster=c1&noise=true").json()["changes"][1]["diff"]
    assert {d["path"] for d in loud} - {d["path"] for d in quiet} == {"metadata.resourceVersion"}


def test_it_answers_the_object_as_it_was_at_an_instant(api, stories):
    at = stories["k8s"].events[5]["requestReceivedTimestamp"]  # the delete
    body = api.get(f"{K8S_API}?cluster=c1&at={at}").json()
    assert body["state"] == "absent" and body["version"] is None and body["since"]["verb"] == "delete"
    at = stories["gnp"].events[1]["requestReceivedTimestamp"]
    body = api.get(f"{GNP_API}?at={at}").json()
    assert body["state"] == "exists" and body["version"]["spec"]["order"] == 20
    assert api.get(f"{GNP_API}?at=soon").status_code == 400


def test_it_answers_404_and_names_the_choices_when_ambiguous(api, stories):
    assert api.get("/api/v1/policies/networkpolicies/payments/nope/changelog").status_code == 404
    response = api.get(K8S_API)
    assert response.status_code == 400
    assert {c["cluster"] for c in response.json()["choices"]} == {"c1", "c2"}


def test_it_agrees_with_the_pages(api, client, admin, stories):
    client.force_login(admin)
    rows = api.get("/api/v1/policies").json()["results"]
    html = client.get("/policies/").content.decode()
    assert f"<strong>{len(rows)}</strong>" in html
    for row in rows:
        assert row["page_url"].replace("http://testserver", "").replace("&", "&amp;") in html
    changes = api.get(f"{K8S_API}?cluster=c1").json()["changes"]
    page = client.get(f"{K8S_PAGE}?cluster=c1").content.decode()
    assert re.findall(r'id="change-\d+"', page) == [f'id="change-{n}"' for n in range(1, len(changes) + 1)]
    assert [c["audit_id"] for c in changes] == re.findall(r'title="auditID">([0-9a-f-]+)<', page)


def test_it_is_in_the_openapi_schema(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/policies/{resource}/{namespace}/{name}/changelog" in schema
    assert "changed_within" in schema


def test_it_needs_authentication(client, stories):
    assert client.get("/api/v1/policies").status_code in (401, 403)
    assert client.get(K8S_API).status_code in (401, 403)


def test_it_answers_the_changes_of_a_window(api, stories):
    start = stories["k8s"].events[3]["requestReceivedTimestamp"]
    body = api.get(f"{K8S_API}?cluster=c1&start={start}").json()
    assert [c["verb"] for c in body["changes"]] == ["update", "delete", "create"]
    assert {d["path"] for d in body["changes"][0]["diff"]} == {"spec.policyTypes[1]", "spec.egress"}
    assert api.get(f"{K8S_API}?cluster=c1&start=now&end=now-1h").status_code == 400
