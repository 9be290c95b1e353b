"""The endpoints page and a pod's "which policies applied, and since when" page."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def as_user(client):
    def login(user):
        client.login(username=user.username, password=PASSWORD)
        return client

    return login


def test_it_lists_endpoints_with_their_policies_and_completeness(as_user, admin, payments_cluster):
    response = as_user(admin).get("/endpoints/?cluster=c1")
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 endpoints in c1" in html and "NetworkPolicy.networking.k8s.io(payments/web-in)" in html
    assert "no imported snapshot" in html and 'href="/endpoints/"' in html  # the nav link


def test_it_shows_the_selector_error_beside_the_form(as_user, admin, payments_cluster):
    response = as_user(admin).get(f"/endpoints/?cluster=c1&selector={quote('app ==')}")
    assert response.status_code == 400
    assert "selector: expected string" in response.content.decode()


def test_it_shows_when_each_policy_started_to_apply(as_user, admin, payments_cluster):
    at = quote(payments_cluster.at().isoformat())
    response = as_user(admin).get(f"/endpoints/c1/payments/web/?at={at}")
    html = response.content.decode()
    assert response.status_code == 200
    policy_created = payments_cluster.events[5]["requestReceivedTimestamp"][:16].replace("T", " ")
    assert "NetworkPolicy.networking.k8s.io(payments/web-in)" in html and policy_created in html
    assert "front" in html  # the service account


def test_it_limits_a_scoped_viewer_to_their_namespaces(as_user, scoped_user, payments_cluster):
    client = as_user(scoped_user)
    html = client.get("/endpoints/?cluster=c1").content.decode()
    assert "2 endpoints in c1" in html and "cart" not in html
    assert client.get("/endpoints/c1/shop/cart/").status_code == 404
    assert client.get("/endpoints/c1/payments/web/").status_code == 200


def test_it_shows_an_outsider_nothing(as_user, outsider, payments_cluster):
    response = as_user(outsider).get("/endpoints/")
    assert response.status_code == 200
    assert "not been granted access" in response.content.decode()
    assert as_user(outsider).get("/endpoints/c1/payments/web/").status_code == 404
