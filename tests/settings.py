"""Test settings: the real settings, on a throw-away data directory."""

import os
import tempfile

os.environ.setdefault("AUDITUI_DATA_DIR", tempfile.mkdtemp(prefix="auditui-test-"))
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")

from auditui.settings import *  # noqa: E402,F403

# Fast hashing: tests create many users; production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Django's test client calls itself "testserver"; production defaults do not allow it.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
