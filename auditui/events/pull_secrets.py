"""Where a pull source's password may come from, checked when the source is saved and again
before every pull (a source saved before these rules, or a settings change since, must not send
``SECRET_KEY`` or ``DATABASE_URL`` to whoever owns the source's URL).

Two places only: an environment variable named ``AUDITUI_PULL_…`` (auditui's own secrets never
have that prefix), or a file under ``AUDITUI_SECRETS_DIR`` (unset: file secrets are off), with
no way out of that directory, neither by ``..`` nor by a symlink.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings

ENV_PREFIX = "AUDITUI_PULL_"
_ENV_NAME = re.compile(r"AUDITUI_PULL_[A-Za-z0-9_]+")
MAX_SECRET_BYTES = 4096


class SecretRefused(ValueError):
    """The source names a place its password may not come from; the message says why."""


def check_password_env(name: str) -> str:
    if not _ENV_NAME.fullmatch(name):
        raise SecretRefused(
            f"the password variable must be named {ENV_PREFIX}… (letters, digits, underscores), e.g. "
            f"{ENV_PREFIX}CALICO_PASSWORD; {name!r} is refused, so that no other secret of auditui's "
            "environment can be sent to the source")
    return name


def secrets_dir() -> Path | None:
    configured = settings.AUDITUI_SECRETS_DIR
    return Path(configured).resolve() if configured else None


def check_password_file(name: str) -> Path:
    """The file's real path, inside the secrets directory once every symlink is followed."""
    base = secrets_dir()
    if base is None:
        raise SecretRefused("password files are off: set AUDITUI_SECRETS_DIR to the directory that holds them")
    real = (base / name).resolve()
    if real == base or not real.is_relative_to(base):
        raise SecretRefused(f"the password file must be inside AUDITUI_SECRETS_DIR ({base}); {name!r} is not")
    return real


def read_password(*, env: str, file: str) -> str | None:
    """The password named by a source (None when it names none). Raises SecretRefused when the
    name is refused, OSError/KeyError when the file or the variable is missing."""
    if env:
        value = os.environ.get(check_password_env(env))
        if value is None:
            raise KeyError(f"environment variable {env} (the password) is not set")
        return value
    if file:
        path = check_password_file(file)
        with open(path, "rb") as handle:
            data = handle.read(MAX_SECRET_BYTES + 1)
        if len(data) > MAX_SECRET_BYTES:
            raise SecretRefused(f"the password file {file} is larger than {MAX_SECRET_BYTES} bytes")
        return data.decode().rstrip("\r\n")
    return None
