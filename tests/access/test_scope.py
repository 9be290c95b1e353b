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


def test_it_keeps_the_reserved_cluster_from_wildcard_patterns():
    from auditui.access.scope import RESERVED_CLUSTER

    wild = ViewerScope(grants=(Grant(clusters=("*", "audit*", "auditu?"), namespaces=("*",)),))
    assert wild.allows("prod", "") and not wild.allows(RESERVED_CLUSTER, "")
    assert not wild.allows_cluster_wide(RESERVED_CLUSTER)
    named = ViewerScope(grants=(Grant(clusters=("prod-*", RESERVED_CLUSTER), namespaces=("*",)),))
    assert named.allows(RESERVED_CLUSTER, "") and named.allows_cluster_wide(RESERVED_CLUSTER)
    assert ViewerScope.all().allows(RESERVED_CLUSTER, "")


def test_it_reserves_the_trails_cluster_in_any_spelling():
    from auditui.access.scope import ReservedClusterError, check_cluster_name

    for name in ("auditui", "AuditUI", " auditui "):
        with pytest.raises(ReservedClusterError, match="reserved for auditui's own audit trail"):
            check_cluster_name(name)
    check_cluster_name("auditui-staging")
