"""auditui's own audit trail (auditui.events.trail): what people do to auditui, as audit events of
the reserved cluster, on every backend; who sees them; and that a failed write blocks nothing."""

from __future__ import annotations

import io
import logging

import orjson
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from auditui.access.models import IngestToken, Scope
from auditui.access.scope import RESERVED_CLUSTER, ReservedClusterError, ViewerScope, scope_for
from auditui.events import trail
from auditui.events.ingest import ingest_events
from auditui.events.models import DropRule, PullSource
from auditui.events.store import EventQuery, get_store
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _trail(scope: ViewerScope | None = None, **filters: str) -> list:
    """The trail's events, oldest first."""
    q = EventQuery(scope=scope or ViewerScope.all(), clusters=(RESERVED_CLUSTER,), filters=filters)
    return list(reversed(get_store().search(q, page_size=200).records))


def _event(verb: str, resource: str) -> dict:
    return trail.build_event(actor=trail.Actor("alice", source_ip="10.1.2.3"), verb=verb, resource=resource,
                             name="x")


@pytest.mark.parametrize("backend", ["sql", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def test_it_records_logins_failed_logins_and_logouts(client, admin, backend_store):
    client.post("/login/", {"username": "admin", "password": "wrong"}, REMOTE_ADDR="10.0.0.9",
                HTTP_USER_AGENT="Mozilla/5.0 test")
    client.post("/login/", {"username": "admin", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9",
                HTTP_USER_AGENT="Mozilla/5.0 test")
    client.post("/logout/", REMOTE_ADDR="10.0.0.9")

    failed, login, logout = _trail(resource="sessions")
    assert [(e.verb, e.response_code, e.name) for e in (failed, login, logout)] == [
        ("login", 401, "admin"), ("login", 200, "admin"), ("logout", 200, "admin")]
    assert failed.username == "system:anonymous" and login.username == "admin"
    assert login.source_ips == ["10.0.0.9"] and login.user_agent == "Mozilla/5.0 test"
    raw = login.raw
    assert (raw["apiVersion"], raw["stage"], raw["level"]) == ("audit.k8s.io/v1", "ResponseComplete", "RequestResponse")
    assert raw["objectRef"] == {"resource": "sessions", "name": "admin", "apiGroup": "auditui.io", "apiVersion": "v1"}
    assert len({e.audit_id for e in (failed, login, logout)}) == 3
    assert "Please enter a correct username and password" in failed.raw["responseStatus"]["message"]
    assert PASSWORD.encode() not in orjson.dumps([e.raw for e in (failed, login, logout)])


def test_it_records_a_throttled_login(client, admin):
    for _ in range(6):
        client.post("/login/", {"username": "admin", "password": "wrong"})
    codes = [e.response_code for e in _trail(resource="sessions")]
    assert codes == [401] * 5 + [429]


@pytest.mark.parametrize("backend", ["sql", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def test_it_records_exports(client, admin, backend_store):
    client.force_login(admin)
    response = client.get("/api/v1/events/export", {"format": "csv", "query": "verb=delete", "start": "now-1h"},
                          REMOTE_ADDR="10.0.0.5")
    b"".join(response.streaming_content)

    (export,) = _trail(resource="exports")
    assert (export.verb, export.username, export.source_ips) == ("get", "admin", ["10.0.0.5"])
    assert export.name.startswith("auditui-events-") and export.name.endswith(".csv")
    asked = export.raw["requestObject"]
    assert (asked["query"], asked["format"], asked["rows"], asked["truncated"]) == ("verb=delete", "csv", 0, False)


def test_it_records_uploads(client, admin):
    client.force_login(admin)
    upload = io.BytesIO(b'{"kind": "Event"}\n')
    upload.name = "audit.log"
    client.post("/events/upload/", {"cluster": "prod-eu", "file": upload})

    (event,) = _trail(resource="uploads")
    assert (event.verb, event.username) == ("create", "admin")
    assert event.raw["requestObject"] == {"cluster": "prod-eu", "fileName": "audit.log", "size": 18}


def test_it_records_scope_changes_made_in_the_admin(client, admin, scoped_user, django_capture_on_commit_callbacks):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/access/scope/add/", {
            "name": "sre", "clusters": "prod-*", "namespaces": "*", "description": "",
            "users": [scoped_user.pk], "groups": [],
        }, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 302
    scope = Scope.objects.get(name="sre")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/access/scope/{scope.pk}/change/", {
            "name": "sre", "clusters": "prod-*", "namespaces": "kube-system", "description": "",
            "users": [], "groups": [],
        })
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/access/scope/{scope.pk}/delete/", {"post": "yes"})

    events = _trail(resource="scopes", name="sre")
    assert [e.verb for e in events] == ["create", "update", "update", "update", "delete"]
    create, members, change, removed, delete = events
    assert create.raw["requestObject"] == {"name": "sre", "clusters": "prod-*", "namespaces": "*",
                                           "description": "", "users": [], "groups": []}
    assert (create.username, create.source_ips) == ("admin", ["10.0.0.7"])
    assert members.raw["requestObject"] == {"users": {"added": ["payments-viewer"]}}
    assert change.raw["requestObject"] == {"namespaces": "kube-system"}
    assert change.raw["responseObject"]["spec"]["namespaces"] == "kube-system"
    assert removed.raw["requestObject"] == {"users": {"removed": ["payments-viewer"]}}
    assert delete.raw["responseObject"]["metadata"]["name"] == "sre"


def test_it_records_group_changes_from_the_groups_side(outsider, django_capture_on_commit_callbacks):
    scope = Scope.objects.create(name="sre", clusters="*", namespaces="*")
    team = Group.objects.create(name="team")
    with django_capture_on_commit_callbacks(execute=True):
        team.audit_scopes.add(scope)
        team.audit_scopes.clear()
    requests = [e.raw["requestObject"] for e in _trail(resource="scopes") if e.verb == "update"]
    assert requests == [{"groups": {"added": ["team"]}}, {"groups": {"removed": ["team"]}}]


def test_it_records_ingest_tokens_from_commands_without_their_secret(django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_ingest_token", cluster="prod-eu", stdout=out, stderr=io.StringIO())
    plain = out.getvalue().strip()
    token = IngestToken.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        token.revoke()
        token.save()  # nothing changed: nothing recorded

    create, revoke = _trail(resource="ingesttokens")
    assert (create.verb, create.name, create.username) == ("create", token.prefix, trail.COMMAND_USER)
    assert create.raw["requestObject"]["cluster"] == "prod-eu"
    assert "auditui.io/os-user" in create.raw["user"]["extra"]  # who ran the command, on which account
    assert list(revoke.raw["requestObject"]) == ["revoked_at"]
    everything = orjson.dumps([create.raw, revoke.raw])
    assert plain.encode() not in everything and token.token_hash.encode() not in everything


def test_it_records_api_tokens_without_their_key(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("drf_create_token", "admin", stdout=io.StringIO())
    from rest_framework.authtoken.models import Token

    key = Token.objects.get(user=admin).key
    (event,) = _trail(resource="apitokens")
    assert (event.verb, event.name) == ("create", "admin")
    assert key.encode() not in orjson.dumps(event.raw)


def test_it_records_drop_rules_and_pull_sources(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rule = DropRule.objects.create(name="no-watch", query="verb=watch")
        rule.enabled = False
        rule.save()
        PullSource.objects.create(name="calico", url="https://search:9200", cluster="prod-eu",
                                  password_env="AUDITUI_PULL_PASSWORD")
    rules = _trail(resource="droprules")
    assert [(e.verb, e.raw["requestObject"]) for e in rules][1] == ("update", {"enabled": False})
    (source,) = _trail(resource="pullsources")
    assert source.raw["requestObject"]["password_env"] == "AUDITUI_PULL_PASSWORD"
    assert "checkpoint" not in source.raw["requestObject"]


def test_it_records_nothing_for_a_change_that_is_rolled_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        Scope.objects.create(name="gone", namespaces="*")
        raise RuntimeError("rolled back")
    assert _trail() == []


def test_it_never_lets_drop_rules_silence_the_trail(client, admin):
    DropRule.objects.create(name="everything", query="verb=login")
    client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert [e.verb for e in _trail()] == ["login"]


def test_it_logs_a_trail_it_cannot_write_and_goes_on(client, admin, settings, caplog):
    from tests.services import closed_port

    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{closed_port()}"
    with caplog.at_level(logging.WARNING, logger="auditui.events.trail"):
        response = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    assert "auditui's own audit event could not be written: login sessions/admin by admin" in caplog.text


# --- the reserved cluster --------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sql", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def test_it_shows_the_trail_only_to_scopes_that_name_it(admin, scoped_user, outsider, backend_store):
    assert trail.write(_event("login", "sessions"))
    ingest_events([{**_event("get", "pods"), "objectRef": {"resource": "pods", "namespace": "payments"}}],
                  cluster="prod")
    everywhere = Scope.objects.create(name="all clusters", clusters="*\nprod-*\nauditu?", namespaces="*")
    everywhere.users.add(outsider)

    def clusters(user) -> set[str]:
        q = EventQuery(scope=scope_for(user))
        return {r.cluster for r in get_store().search(q, page_size=50).records}

    assert clusters(admin) == {"auditui", "prod"}
    assert clusters(scoped_user) == {"prod"}
    assert clusters(outsider) == {"prod"}  # wildcards never reach the trail
    Scope.objects.create(name="auditors", clusters="auditui", namespaces="*").users.add(outsider)
    assert clusters(outsider) == {"auditui", "prod"}
    assert get_store().count(EventQuery(scope=scope_for(scoped_user), clusters=("auditui",))) == 0


def test_it_refuses_the_reserved_cluster_to_every_way_in(client, admin, tmp_path):
    with pytest.raises(ReservedClusterError, match="reserved for auditui's own audit trail"):
        IngestToken.issue(cluster="auditui")
    with pytest.raises(CommandError, match="reserved"):
        call_command("create_ingest_token", cluster="AuditUI", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(ValidationError, match="reserved"):
        IngestToken(cluster="auditui").full_clean()
    with pytest.raises(ValidationError, match="reserved"):
        PullSource(name="x", url="https://search:9200", cluster="auditui").full_clean()
    log = tmp_path / "audit.log"
    log.write_bytes(orjson.dumps(_event("login", "sessions")))
    with pytest.raises(CommandError, match="reserved"):
        call_command("ingest", str(log), cluster="auditui", stdout=io.StringIO(), stderr=io.StringIO())
    client.force_login(admin)
    upload = io.BytesIO(log.read_bytes())
    upload.name = "audit.log"
    page = client.post("/events/upload/", {"cluster": "auditui", "file": upload}).content.decode()
    assert "is reserved for auditui&#x27;s own audit trail: choose another name" in page
    assert _trail() == []


def test_it_refuses_webhook_tokens_made_for_the_reserved_cluster_before(client):
    token, plain = IngestToken.issue(cluster="prod")
    IngestToken.objects.filter(pk=token.pk).update(cluster="auditui")
    response = client.post("/api/v1/audit/webhook", orjson.dumps(_event("login", "sessions")),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401
    assert _trail() == []


def test_it_records_api_tokens_made_in_the_admin(client, admin, django_capture_on_commit_callbacks):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/authtoken/tokenproxy/add/", {"user": admin.pk})
    assert response.status_code == 302
    (event,) = _trail(resource="apitokens")
    assert (event.verb, event.name, event.username) == ("create", "admin", "admin")
    assert admin.auth_token.key.encode() not in orjson.dumps(event.raw)


def test_it_answers_the_events_api_with_the_trail_by_persona(client, admin, scoped_user, outsider):
    client.post("/login/", {"username": "payments-viewer", "password": PASSWORD})  # a trail event
    counts = {}
    for user in (admin, scoped_user, outsider):
        client.force_login(user)
        counts[user.username] = client.get("/api/v1/events", {"cluster": "auditui"}).json()["count"]
    assert counts == {"admin": 1, "payments-viewer": 0, "outsider": 0}
