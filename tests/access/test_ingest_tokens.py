"""Webhook ingest tokens: the ``create_ingest_token`` command, the model, and their admin."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from auditui.access.models import IngestToken, hash_token

ADMIN_LIST = "/admin/access/ingesttoken/"
TOKEN_RE = re.compile(r"aui_[A-Za-z0-9_-]{20,}")


def create_token(cluster: str = "prod") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_ingest_token", "--cluster", cluster, "--description", "kube-apiserver", stdout=out,
                 stderr=err)
    return out.getvalue(), err.getvalue()


def stored_row(token: IngestToken) -> tuple:
    """The row as the database holds it (every column, not only the model's fields)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {IngestToken._meta.db_table} WHERE id = %s", [token.pk])
        return cursor.fetchone()


def test_it_prints_the_token_on_the_last_line(db):
    out, err = create_token("prod")

    plain = out.strip().splitlines()[-1]
    assert TOKEN_RE.fullmatch(plain)
    token = IngestToken.objects.get()
    assert (token.cluster, token.description) == ("prod", "kube-apiserver")
    assert plain.startswith(token.prefix)
    assert "shown once" in err and "prod" in err
    assert plain not in err


def test_it_stores_only_the_sha256_of_the_token(db):
    out, _err = create_token()
    plain = out.strip().splitlines()[-1]

    token = IngestToken.objects.get()
    assert token.token_hash == hash_token(plain)
    assert len(token.token_hash) == 64
    row = stored_row(token)
    assert not any(isinstance(value, str) and plain in value for value in row)
    assert not any(isinstance(value, str) and plain[12:] in value for value in row)


def test_it_issues_a_different_token_each_time(db):
    first, _ = create_token()
    second, _ = create_token()

    assert first.strip() != second.strip()
    assert IngestToken.objects.count() == 2


def test_it_authenticates_an_active_token(db):
    token, plain = IngestToken.issue(cluster="prod")

    found = IngestToken.authenticate(plain)

    assert found == token
    assert found.cluster == "prod"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_does_not_authenticate_unknown_tokens(db):
    _token, plain = IngestToken.issue(cluster="prod")

    assert IngestToken.authenticate(plain + "x") is None
    assert IngestToken.authenticate("") is None
    assert IngestToken.authenticate(hash_token(plain)) is None


def test_it_does_not_authenticate_a_revoked_token(db):
    token, plain = IngestToken.issue(cluster="prod")

    token.revoke()

    assert IngestToken.authenticate(plain) is None
    assert list(IngestToken.objects.active()) == []


def test_it_keeps_the_first_revocation_time(db):
    token, _plain = IngestToken.issue(cluster="prod")
    token.revoke()
    revoked_at = token.revoked_at

    token.revoke()

    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert "revoked" in str(token)


def test_it_shows_the_plain_token_once_after_adding_it_in_the_admin(client, admin):
    client.force_login(admin)

    response = client.post(f"{ADMIN_LIST}add/", {"cluster": "staging", "description": "from the admin"},
                           follow=True)

    assert response.status_code == 200
    shown = [m.message for m in response.context["messages"] if TOKEN_RE.search(m.message)]
    assert len(shown) == 1
    assert "shown once" in shown[0]
    plain = TOKEN_RE.search(shown[0]).group()
    assert response.content.decode().count(plain) == 1
    token = IngestToken.objects.get()
    assert token.cluster == "staging"
    assert token.token_hash == hash_token(plain)
    assert token.prefix == plain[:12]
    assert IngestToken.authenticate(plain) == token
    assert not any(isinstance(value, str) and plain in value for value in stored_row(token))
    # Shown once: neither the list nor the change page shows it again.
    assert plain not in client.get(ADMIN_LIST).content.decode()
    assert plain not in client.get(f"{ADMIN_LIST}{token.pk}/change/").content.decode()


def test_it_revokes_selected_tokens_with_the_admin_action(client, admin):
    chosen, chosen_plain = IngestToken.issue(cluster="prod")
    kept, kept_plain = IngestToken.issue(cluster="prod")
    client.force_login(admin)

    response = client.post(ADMIN_LIST, {"action": "revoke", "_selected_action": [chosen.pk]}, follow=True)

    assert response.status_code == 200
    assert "1 token(s) revoked." in response.content.decode()
    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert chosen.revoked_at is not None
    assert kept.revoked_at is None
    assert IngestToken.authenticate(chosen_plain) is None
    assert IngestToken.authenticate(kept_plain) == kept


def test_it_lists_tokens_by_prefix_without_their_hash(client, admin):
    token, _plain = IngestToken.issue(cluster="prod-eu", description="eu api server")
    client.force_login(admin)

    response = client.get(ADMIN_LIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert token.prefix in page
    assert "prod-eu" in page and "eu api server" in page
    assert token.token_hash not in page


@pytest.mark.parametrize("persona", ["scoped_user", "outsider"])
def test_it_keeps_non_staff_out_of_the_token_admin(client, persona, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(ADMIN_LIST)

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
