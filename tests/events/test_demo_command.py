"""``manage.py simulate`` and ``manage.py demo``."""

from __future__ import annotations

from io import StringIO

import orjson
import pytest
from django.core.management import CommandError, call_command

from auditui.access.scope import ViewerScope
from auditui.events.store import EventQuery, get_store

SMALL = {"days": 0.02, "events_per_second": 0.5, "seed": 5, "start": "2026-11-23T08:00:00Z"}


def _run(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def _lines(text: str) -> list[dict]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def _count(cluster: str | None = None) -> int:
    clusters = (cluster,) if cluster else ()
    return get_store().count(EventQuery(scope=ViewerScope.all(), clusters=clusters))


def test_simulate_writes_one_jsonl_file_per_cluster(tmp_path):
    out, _ = _run("simulate", clusters=2, output=str(tmp_path), **SMALL)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["prod-eu.jsonl", "prod-us.jsonl"]
    events = _lines((tmp_path / "prod-eu.jsonl").read_text())
    assert events and all(e["kind"] == "Event" for e in events)
    assert f"cluster prod-eu: {len(events):,} events" in out


def test_simulate_writes_a_single_cluster_to_a_file_or_stdout(tmp_path):
    target = tmp_path / "one.jsonl"
    _run("simulate", cluster=["lab"], output=str(target), **SMALL)
    out, err = _run("simulate", cluster=["lab"], output="-", **SMALL)
    assert _lines(out) == _lines(target.read_text())
    assert "cluster lab:" in err


def test_simulate_is_reproducible(tmp_path):
    _run("simulate", cluster=["lab"], output=str(tmp_path / "a.jsonl"), **SMALL)
    _run("simulate", cluster=["lab"], output=str(tmp_path / "b.jsonl"), **SMALL)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_simulate_needs_a_directory_for_several_clusters():
    with pytest.raises(CommandError, match="DIRECTORY"):
        _run("simulate", clusters=2, output="-", **SMALL)


def test_simulate_rejects_a_bad_start():
    with pytest.raises(CommandError, match="ISO"):
        _run("simulate", cluster=["lab"], output="-", days=0.01, start="yesterday")


@pytest.mark.django_db
def test_simulate_ingests_idempotently():
    out, _ = _run("simulate", cluster=["lab"], ingest=True, **SMALL)
    stored = _count("lab")
    assert stored > 0 and f"{stored:,} ingested" in out
    out, _ = _run("simulate", cluster=["lab"], ingest=True, **SMALL)
    assert _count("lab") == stored and f"{stored:,} duplicates" in out


@pytest.mark.django_db
def test_demo_loads_samples_and_clusters_and_is_idempotent(monkeypatch):
    monkeypatch.delenv("AUDITUI_ADMIN_PASSWORD", raising=False)
    out, _ = _run("demo", days=0.05)
    assert "1 rejected" in out and "fal_01_003.json" in out
    assert _count("samples") > 80
    for cluster in ("prod-eu", "prod-us", "staging"):
        assert _count(cluster) > 0
    total = _count()

    out, _ = _run("demo", days=0.05)
    assert _count() == total
    assert "already has" in out


@pytest.mark.django_db
def test_demo_shows_a_collection_delete_in_the_changelog():
    from auditui.policies.selectors import ListFilters, changed_policies

    _run("demo", days=0.02)
    everything = ViewerScope.all()
    rows = [r for r in changed_policies(everything, start=None, end=None).rows if r.namespace.startswith("preview-")]
    assert sorted(r.name for r in rows) == ["allow-dns", "allow-frontend", "default-deny"]
    assert {(r.cluster, r.exists, r.last_verb, r.changes) for r in rows} == {("staging", False, "deletecollection", 2)}
    namespace = rows[0].namespace
    assert changed_policies(everything, start=None, end=None, filters=ListFilters(namespace=namespace)).rows


@pytest.mark.django_db
def test_demo_creates_the_logins(monkeypatch, django_user_model):
    from auditui.access.models import Scope

    monkeypatch.setenv("AUDITUI_ADMIN_PASSWORD", "s3cret-demo")
    out, _ = _run("demo", days=0.01)
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("s3cret-demo")
    viewer = django_user_model.objects.get(username="payments-viewer")
    assert viewer.check_password("s3cret-demo") and not viewer.is_staff
    scope = Scope.objects.get(users=viewer)
    assert scope.namespaces == "payments" and scope.clusters == "*"
    assert "payments-viewer" in out and "s3cret-demo" not in out


@pytest.mark.django_db
def test_demo_generates_a_password_off_loopback(monkeypatch, django_user_model):
    monkeypatch.delenv("AUDITUI_ADMIN_PASSWORD", raising=False)
    out, _ = _run("demo", host="0.0.0.0", users_only=True)
    admin = django_user_model.objects.get(username="admin")
    assert not admin.check_password("admin")
    shown = out.split("admin / ", 1)[1].split()[0]
    assert len(shown) >= 16 and admin.check_password(shown)
    assert django_user_model.objects.get(username="payments-viewer").check_password(shown)


@pytest.mark.django_db
def test_demo_replaces_the_known_password_of_earlier_loopback_runs(monkeypatch, django_user_model):
    monkeypatch.delenv("AUDITUI_ADMIN_PASSWORD", raising=False)
    _run("demo", users_only=True)  # make run on 127.0.0.1 first: admin / admin
    assert django_user_model.objects.get(username="admin").check_password("admin")
    monkeypatch.setenv("AUDITUI_ADMIN_PASSWORD", "a long and uncommon passphrase")
    out, _ = _run("demo", host="10.0.0.5", users_only=True)
    assert django_user_model.objects.get(username="admin").check_password("a long and uncommon passphrase")
    assert "a long and uncommon passphrase" not in out


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["admin", "12345678901"])
def test_demo_refuses_a_known_or_weak_password_off_loopback(monkeypatch, django_user_model, password):
    monkeypatch.setenv("AUDITUI_ADMIN_PASSWORD", password)
    with pytest.raises(CommandError, match="AUDITUI_ADMIN_PASSWORD"):
        _run("demo", host="auditui.example.com", users_only=True)
    assert not django_user_model.objects.filter(username="admin").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
def test_demo_keeps_the_demo_password_on_loopback(monkeypatch, host):
    from auditui.events.management.commands.demo import demo_password

    monkeypatch.delenv("AUDITUI_ADMIN_PASSWORD", raising=False)
    assert demo_password(host) == ("admin", False)
