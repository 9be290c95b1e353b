"""Shared fixtures: the three personas (admin, a user scoped to one namespace, an outsider),
a clean store, and helpers to ingest events."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditui.access.scope import ViewerScope, scope_for

pytest_plugins = ["tests.services", "tests.browser", "tests.backends", "tests.hostile.processes"]

SHARED_DATA = Path(__file__).resolve().parent.parent / "testdata" / "k8s-audit"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", PASSWORD)


@pytest.fixture
def scoped_user(django_user_model):
    """Sees namespace ``payments`` in every cluster, nothing else."""
    from auditui.access.models import Scope

    user = django_user_model.objects.create_user("payments-viewer", "pv@example.com", PASSWORD)
    scope = Scope.objects.create(name="payments team", clusters="*", namespaces="payments")
    scope.users.add(user)
    return user


@pytest.fixture
def outsider(django_user_model):
    """Logged in, but granted nothing."""
    return django_user_model.objects.create_user("outsider", "out@example.com", PASSWORD)


@pytest.fixture
def everything() -> ViewerScope:
    return ViewerScope.all()


@pytest.fixture
def scope_of():
    return scope_for


@pytest.fixture
def store(db):
    from auditui.events.store import get_store

    return get_store()


@pytest.fixture
def ingest(db):
    """``ingest(events, cluster="c1")`` → IngestReport, through the real ingest path."""
    from auditui.events.ingest import ingest_events

    def _ingest(events, cluster: str = "c1"):
        return ingest_events(events, cluster=cluster)

    return _ingest


@pytest.fixture
def sample_files() -> list[Path]:
    """The real audit files shipped in testdata/k8s-audit (falco, audit2rbac, crowdsec, afcollins)."""
    files = sorted(p for p in SHARED_DATA.rglob("*") if p.suffix in (".json", ".log"))
    assert files, f"no sample data under {SHARED_DATA}"
    return files
