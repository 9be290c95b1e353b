"""``GET /api/v1/endpoints``: the contract's shape, filters, paging, errors and scope."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from auditui.events.ingest import ingest_events
from tests.conftest import PASSWORD

URL = "/api/v1/endpoints"


@pytest.fixture
def as_user(client):
    def login(user):
        client.login(username=user.username, password=PASSWORD)
        return client

    return login


def names(body: dict) -> list[str]:
    return [f"{r['namespace']}/{r['name']}" for r in body["results"]]


def test_it_lists_the_pods_of_an_instant_with_their_policies(as_user, admin, payments_cluster):
    body = as_user(admin).get(f"{URL}?cluster=c1&at={quote(payments_cluster.at().isoformat())}").json()
    assert body["count"] == 3 and body["next"] is None
    assert names(body) == ["payments/db", "payments/web", "shop/cart"]
    assert body["results"][1] == {
        "cluster": "c1", "namespace": "payments", "name": "web", "labels": {"app": "web"},
        "serviceAccount": "front", "ingressProtected": True, "egressProtected": True,
        "appliedPolicies": ["NetworkPolicy.networking.k8s.io(payments/web-in)",
                            "GlobalNetworkPolicy.projectcalico.org(default.all-out)"],
    }


def test_it_answers_for_the_instant_asked(as_user, admin, payments_cluster):
    before_policies = payments_cluster.at(-45).isoformat()
    body = as_user(admin).get(f"{URL}?cluster=c1&at={quote(before_policies)}").json()
    assert body["count"] == 3
    assert all(not r["ingressProtected"] and r["appliedPolicies"] == [] for r in body["results"])


def test_it_filters_by_selector_namespace_and_service_account(as_user, admin, payments_cluster):
    client = as_user(admin)
    selector = quote("app in {'web', 'cart'} && projectcalico.org/orchestrator == 'k8s'")
    assert names(client.get(f"{URL}?cluster=c1&selector={selector}").json()) == ["payments/web", "shop/cart"]
    assert names(client.get(f"{URL}?cluster=c1&namespace=shop").json()) == ["shop/cart"]
    assert names(client.get(f"{URL}?cluster=c1&serviceAccount=front").json()) == ["payments/web"]


def test_it_pages_with_next(as_user, admin, payments_cluster):
    client = as_user(admin)
    first = client.get(f"{URL}?cluster=c1&page_size=2").json()
    assert first["count"] == 3 and names(first) == ["payments/db", "payments/web"]
    second = client.get(first["next"]).json()
    assert names(second) == ["shop/cart"] and second["next"] is None
    assert client.get(f"{URL}?cluster=c1&page_size=1001").json()["param"] == "page_size"


def test_it_answers_400_with_the_selector_parsers_message_and_position(as_user, admin, payments_cluster):
    response = as_user(admin).get(f"{URL}?cluster=c1&selector={quote('app == web')}")
    assert response.status_code == 400
    assert response.json() == {"error": "selector: expected string", "param": "selector", "position": 7}


def test_it_names_a_bad_instant_or_missing_cluster(as_user, admin, payments_cluster):
    client = as_user(admin)
    assert client.get(f"{URL}?cluster=c1&at=yesterday-ish").json()["param"] == "at"
    payments_cluster.create("pods", "x", "y")
    ingest_events(payments_cluster.events[-1:], cluster="c2")
    assert client.get(URL).json()["param"] == "cluster"


def test_it_shows_a_scoped_viewer_only_their_namespaces(as_user, scoped_user, payments_cluster):
    body = as_user(scoped_user).get(f"{URL}?cluster=c1").json()
    assert names(body) == ["payments/db", "payments/web"]


def test_it_shows_an_outsider_nothing(as_user, outsider, payments_cluster):
    body = as_user(outsider).get(f"{URL}?cluster=c1").json()
    assert body == {"count": 0, "results": [], "next": None}


def test_it_refuses_anonymous_requests(client, payments_cluster):
    assert client.get(f"{URL}?cluster=c1").status_code in (401, 403)


def test_it_is_in_the_openapi_schema(as_user, admin):
    schema = as_user(admin).get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/endpoints" in schema and "serviceAccount" in schema
