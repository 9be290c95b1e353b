"""What a viewer sees, said: one line on every page of a scoped viewer, linked to ``/scope/``, and
an empty search that says events outside the scope are not shown. Nothing of it for the admin."""

from __future__ import annotations

import pytest

from auditui.access.limits import describe_grant, scope_limit
from auditui.access.models import Scope
from auditui.access.scope import Grant, ViewerScope, scope_for

pytestmark = pytest.mark.django_db
LINE = "Your view is limited to namespace payments in every cluster."
PAGES = ["/", "/events/", "/policies/", "/endpoints/", "/scope/"]


@pytest.mark.parametrize("path", PAGES)
def test_it_says_the_limit_on_every_page_of_a_scoped_viewer(client, scoped_user, path):
    client.force_login(scoped_user)

    page = client.get(path).content.decode()

    assert LINE in page and 'href="/scope/"' in page


@pytest.mark.parametrize("path", PAGES)
def test_it_says_nothing_of_a_limit_to_the_admin(client, admin, path):
    client.force_login(admin)

    page = client.get(path).content.decode()

    assert "Your view is limited" not in page and 'class="scope-line"' not in page


def test_it_tells_the_outsider_they_see_nothing(client, outsider):
    client.force_login(outsider)

    page = client.get("/scope/").content.decode()

    assert "Your account has no access scope: you see no events." in page
    assert "Ask an administrator to give you a scope" in page


def test_it_explains_the_scope_on_its_page(client, scoped_user):
    Scope.objects.create(name="prod all", clusters="prod-*", namespaces="*").users.add(scoped_user)
    client.force_login(scoped_user)

    page = client.get("/scope/").content.decode()

    assert "<li>namespace payments in every cluster</li>" in page
    assert "<li>all of clusters prod-*</li>" not in page  # one cluster pattern: singular
    assert "<li>all of cluster prod-*</li>" in page
    assert "Events outside them are not shown" in page


def test_it_says_an_empty_search_hides_events_outside_the_scope(client, scoped_user):
    client.force_login(scoped_user)

    page = client.get("/events/", {"query": "verb=delete"}).content.decode()

    assert "No events match this query in this time range." in page
    assert "Events outside your scope are not shown (your view: " in page


def test_it_says_no_such_thing_to_the_admin_on_an_empty_search(client, admin):
    client.force_login(admin)

    page = client.get("/events/", {"query": "verb=delete"}).content.decode()

    assert "No events match" in page and "Events outside your scope" not in page


def test_it_describes_grants_in_words():
    assert describe_grant(Grant(("prod", "staging"), ("team-*", "payments"))) == (
        "namespaces team-*, payments in clusters prod, staging")
    assert describe_grant(Grant(("*",), ("*",))) == "every cluster"
    assert scope_limit(ViewerScope.all()) is None


def test_it_resolves_the_limit_through_the_chokepoint(scoped_user):
    assert scope_limit(scope_for(scoped_user)).text == LINE.rstrip(".")
