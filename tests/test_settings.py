from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from auditui.env import env_bool, env_int, env_list, env_str
from auditui.settings import _email_settings

ROOT = Path(__file__).resolve().parent.parent


def test_it_reads_typed_values_and_fails_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_BOOL") is True and env_int("X_INT", 1) == 12 and env_list("X_LIST", []) == ["a", "b", "c"]
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)


def test_it_reads_secrets_from_files(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "s3cret"


def test_it_parses_email_urls():
    assert _email_settings("console")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = _email_settings("smtp://user%40x:p%3Ass@mail.example:2525")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"]) == (
        "mail.example", 2525, "user@x", "p:ss")
    assert _email_settings("smtps://h")["EMAIL_USE_SSL"] and _email_settings("submission://h")["EMAIL_USE_TLS"]
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        _email_settings("http://nope")


def _settings_in_subprocess(tmp_path: Path, **env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings as s; django.setup();"
        "print(json.dumps({'broker': s.CELERY_BROKER_URL, 'db': str(s.DATABASES['default']['NAME']),"
        "'engine': s.DATABASES['default']['ENGINE'], 'store': s.EVENT_STORE_URL, 'ret': s.AUDITUI_RETENTION_DAYS}))"
    )
    unset = ("REDIS_URL", "DATABASE_URL", "EVENT_STORE_URL", "SECRET_KEY")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "auditui.settings", "AUDITUI_DATA_DIR": str(tmp_path), **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_runs_on_the_embedded_default_with_zero_config(tmp_path):
    values = _settings_in_subprocess(tmp_path)
    assert values["broker"] == "filesystem://"
    assert values["db"] == str(tmp_path / "auditui.sqlite3") and values["engine"].endswith("sqlite3")
    assert (values["store"], values["ret"]) == ("sql", 365)
    assert (tmp_path / "broker" / "out").is_dir() and (tmp_path / "secret_key").exists()


def test_it_uses_redis_and_postgres_when_configured(tmp_path):
    values = _settings_in_subprocess(tmp_path, REDIS_URL="redis://127.0.0.1:6390/0",
                                     DATABASE_URL="postgres://u:p@db:5432/auditui", AUDITUI_RETENTION_DAYS="30")
    assert values["broker"] == "redis://127.0.0.1:6390/0"
    assert values["engine"] == "django.db.backends.postgresql" and values["db"] == "auditui"
    assert values["ret"] == 30


def _setting_values(tmp_path: Path, names: tuple[str, ...], **env: str) -> dict:
    """Named settings as a fresh process (zero config plus ``env``) sees them."""
    code = (
        "import json, django; from django.conf import settings as s; django.setup();"
        f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}))"
    )
    unset = ("SECRET_KEY", "ALLOWED_HOSTS", "AUDITUI_TLS_PROXY", "SESSION_COOKIE_SECURE", "DATABASE_URL")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "auditui.settings", "AUDITUI_DATA_DIR": str(tmp_path), **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_trusts_the_tls_proxy_only_when_told(tmp_path):
    names = ("SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS")
    behind = _setting_values(tmp_path, names, AUDITUI_TLS_PROXY="1")
    assert behind == {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"], "SESSION_COOKIE_SECURE": True,
                      "CSRF_COOKIE_SECURE": True, "SECURE_HSTS_SECONDS": 31536000}
    plain = _setting_values(tmp_path, names)
    assert plain["SECURE_PROXY_SSL_HEADER"] is None and plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SESSION_COOKIE_SECURE"] is False


def test_it_does_not_allow_the_test_client_host_by_default(tmp_path):
    hosts = _setting_values(tmp_path, ("ALLOWED_HOSTS",))["ALLOWED_HOSTS"]
    assert hosts == ["localhost", "127.0.0.1", "[::1]"]


def test_it_turns_on_djangos_password_validators(tmp_path):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_password("admin")
    assert "too common" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError, match="entirely numeric"):
        validate_password("4815162342108")
    validate_password("correct horse battery staple")


def test_it_writes_the_generated_secret_key_for_its_owner_only(tmp_path):
    key = _setting_values(tmp_path, ("SECRET_KEY",))["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == key and len(key) > 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []  # no temporary left
    assert _setting_values(tmp_path, ("SECRET_KEY",))["SECRET_KEY"] == key  # kept, not regenerated


def test_it_gives_processes_starting_at_once_the_same_secret_key(tmp_path):
    code = "import django; from django.conf import settings as s; django.setup(); print(s.SECRET_KEY)"
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "auditui.settings", "AUDITUI_DATA_DIR": str(tmp_path)}
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    keys = set()
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        keys.add(out.strip())
    assert keys == {(tmp_path / "secret_key").read_text()}
