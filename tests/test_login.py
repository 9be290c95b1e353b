"""The login pages: failed-login throttling per user name and address, and what needs a login."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from auditui.access import throttle
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client, username: str, password: str, address: str = "10.0.0.1", url: str = "/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client, username: str, times: int, address: str = "10.0.0.1", url: str = "/login/") -> None:
    for _ in range(times):
        assert _log_in(client, username, "wrong", address, url).status_code == 200


def test_it_logs_in_with_the_right_password(client, admin):
    response = _log_in(client, "admin", PASSWORD)
    assert response.status_code == 302 and response.url == "/"


def test_it_locks_a_user_and_address_after_five_failures(client, admin):
    _fail(client, "admin", throttle.MAX_FAILURES)

    response = _log_in(client, "admin", PASSWORD)

    assert response.status_code == 200  # the right password is not even checked
    assert "Too many failed logins for this user from your address: try again in 15 minutes." in (
        response.content.decode())
    assert "_auth_user_id" not in client.session


def test_it_does_not_lock_other_addresses_or_users(client, admin, scoped_user):
    _fail(client, "admin", throttle.MAX_FAILURES)
    assert _log_in(client, "payments-viewer", PASSWORD).status_code == 302
    assert _log_in(client, "admin", PASSWORD, address="10.0.0.2").status_code == 302


def test_it_forgets_failures_after_a_success(client, admin):
    _fail(client, "admin", throttle.MAX_FAILURES - 1)
    assert _log_in(client, "admin", PASSWORD).status_code == 302
    client.logout()
    _fail(client, "admin", throttle.MAX_FAILURES - 1)
    assert _log_in(client, "admin", PASSWORD).status_code == 302


def test_it_lets_the_user_in_again_after_the_lockout(client, admin):
    _fail(client, "admin", throttle.MAX_FAILURES)
    with time_machine.travel(timezone.now() + throttle.LOCKOUT + timedelta(seconds=1)):
        assert _log_in(client, "admin", PASSWORD).status_code == 302


def test_it_counts_failures_of_a_window_only(client, admin):
    _fail(client, "admin", throttle.MAX_FAILURES - 1)
    with time_machine.travel(timezone.now() + throttle.WINDOW + timedelta(seconds=1)):
        _fail(client, "admin", 1)
        assert _log_in(client, "admin", PASSWORD).status_code == 302


def test_it_throttles_the_admin_login_too(client, admin):
    _fail(client, "admin", throttle.MAX_FAILURES, url="/admin/login/")
    response = _log_in(client, "admin", PASSWORD, url="/admin/login/")
    assert "Too many failed logins" in response.content.decode()
    assert _log_in(client, "admin", PASSWORD, url="/login/").status_code == 200  # the same pair, either page


def test_it_takes_the_proxys_address_behind_the_tls_proxy(client, admin, settings):
    settings.AUDITUI_TLS_PROXY = True
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        client.post("/login/", {"username": "admin", "password": "wrong"}, REMOTE_ADDR="10.9.9.9",
                    HTTP_X_FORWARDED_FOR=f"{forged}, 192.0.2.7")
    response = client.post("/login/", {"username": "admin", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9",
                           HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7")
    assert "Too many failed logins" in response.content.decode()  # what the client sent first is ignored


def test_it_purges_stale_throttle_rows(client, admin):
    _fail(client, "admin", 1)
    with time_machine.travel(timezone.now() + throttle.WINDOW + timedelta(seconds=1)):
        assert throttle.purge_stale() == 1


def test_it_needs_a_login_for_the_api_schema_and_docs(client, admin):
    assert client.get("/api/v1/schema/").status_code in (401, 403)
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 302 and docs.url.startswith("/login/")
    client.force_login(admin)
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200
