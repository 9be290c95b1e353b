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
