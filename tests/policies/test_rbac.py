"""Who sees which policies: namespaced kinds follow the viewer's namespaces, cluster-scoped kinds
need a cluster-wide grant, and out of scope looks exactly like missing."""

from __future__ import annotations

import pytest

from auditui.access.scope import scope_for
from auditui.policies.selectors import changed_policies
from tests.policies.conftest import GNP_API, GNP_PAGE, K8S_API, K8S_PAGE

pytestmark = pytest.mark.django_db
CART_PAGE = "/policies/networkpolicies.projectcalico.org/checkout/platform.cart/?cluster=c1"


def _login(client, user):
    client.force_login(user)
    return client


def test_it_shows_the_scoped_user_only_policies_of_their_namespaces(client, scoped_user, stories):
    rows = changed_policies(scope_for(scoped_user), start=None, end=None).rows
    assert {(r.name, r.namespace) for r in rows} == {("allow-web", "payments"), ("office", "payments")}
    body = _login(client, scoped_user).get("/api/v1/policies?known=true").json()
    assert {r["name"] for r in body["results"]} == {"allow-web", "office"}
    assert "security.block-metadata" not in client.get("/policies/?tab=known").content.decode()


def test_it_hides_cluster_scoped_and_foreign_namespace_policies_from_the_scoped_user(client, scoped_user, stories):
    _login(client, scoped_user)
    assert client.get(f"{K8S_PAGE}?cluster=c1").status_code == 200
    assert client.get(f"{K8S_API}?cluster=c1").status_code == 200
    assert client.get(GNP_PAGE).status_code == 404
    assert client.get(GNP_API).status_code == 404
    assert client.get(CART_PAGE).status_code == 404
    assert client.get(f"{GNP_PAGE}?at=2026-01-01T00:00:00Z").status_code == 404


def test_it_shows_the_outsider_nothing(client, outsider, stories):
    _login(client, outsider)
    assert client.get("/api/v1/policies?known=true").json()["results"] == []
    assert "Your account has not been given access" in client.get("/policies/").content.decode()
    for url in (f"{K8S_PAGE}?cluster=c1", GNP_PAGE, f"{K8S_API}?cluster=c1", GNP_API):
        assert client.get(url).status_code == 404


def test_it_shows_the_admin_everything(client, admin, stories):
    _login(client, admin)
    assert client.get("/api/v1/policies?known=true").json()["count"] == 5
    assert client.get(GNP_PAGE).status_code == 200
    assert client.get(CART_PAGE).status_code == 200


def test_it_gives_a_cluster_wide_grant_the_cluster_scoped_kinds(client, django_user_model, stories):
    from auditui.access.models import Scope

    user = django_user_model.objects.create_user("c1-viewer", "v@example.com", "x")
    Scope.objects.create(name="c1 all", clusters="c1", namespaces="*").users.add(user)
    _login(client, user)
    assert client.get(GNP_PAGE).status_code == 200
    names = {(r["cluster"], r["name"]) for r in client.get("/api/v1/policies").json()["results"]}
    assert ("c1", "security.block-metadata") in names and ("c2", "allow-web") not in names
    assert client.get(f"{K8S_PAGE}?cluster=c2").status_code == 404
