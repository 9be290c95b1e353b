from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from auditui.access.models import Scope
from auditui.access.scope import Grant, ViewerScope, scope_for, split_patterns

pytestmark = pytest.mark.django_db


def test_it_gives_superusers_everything(admin):
    assert scope_for(admin).everything


def test_it_gives_outsiders_and_anonymous_nothing(outsider):
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(outsider).is_empty
    assert scope_for(AnonymousUser()).is_empty
    assert scope_for(None).is_empty


def test_it_resolves_user_scopes(scoped_user):
    scope = scope_for(scoped_user)
    assert scope.grants == (Grant(clusters=("*",), namespaces=("payments",)),)
    assert scope.allows("prod", "payments")
    assert not scope.allows("prod", "frontend")
    assert not scope.allows("prod", "")  # cluster-scoped objects need a cluster-wide grant
    assert not scope.allows_cluster_wide("prod")


def test_it_resolves_group_scopes(outsider):
    team = Group.objects.create(name="sre")
    outsider.groups.add(team)
    scope = Scope.objects.create(name="sre", clusters="prod-*\nstaging", namespaces="*")
    scope.groups.add(team)
    resolved = scope_for(outsider)
    assert resolved.allows("prod-eu", "") and resolved.allows_cluster_wide("staging")
    assert not resolved.allows("dev", "default")


def test_it_ignores_inactive_users(scoped_user):
    scoped_user.is_active = False
    assert scope_for(scoped_user).is_empty


def test_it_splits_patterns_on_commas_and_newlines():
    assert split_patterns(" a, b\nc,,a ") == ("a", "b", "c")


def test_it_matches_wildcards_case_sensitively():
    scope = ViewerScope(grants=(Grant(clusters=("prod-?",), namespaces=("team-*",)),))
    assert scope.allows("prod-1", "team-a")
    assert not scope.allows("prod-10", "team-a")
    assert not scope.allows("prod-1", "Team-a")
