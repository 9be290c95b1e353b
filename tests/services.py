"""Fixtures for real external services (a pytest plugin: ``pytest_plugins = ["tests.services"]``).

Tests talk to real servers, not mocks. A service comes from its environment variable when set
(CI provides it), else is started for the session from the binary on PATH; when neither is
available the tests skip locally and fail in CI, so a CI run never silently tests less.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator

import pytest

from tests.redis_server import RedisServer


def closed_port() -> int:
    """A local port nothing listens on (bound for a moment by the OS, then released): what a
    server that is down looks like to its clients."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis URL: ``REDIS_URL`` if set, else a ``redis-server`` started on a free localhost port."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    executable = shutil.which("redis-server")
    if executable:
        server = RedisServer.start(executable)
        try:
            yield server.url
        finally:
            server.stop()
        return
    if _in_ci():
        pytest.fail("redis-server is required in CI: set REDIS_URL or install redis-server (apt-get install "
                    "redis-server)", pytrace=False)
    pytest.skip("needs Redis: set REDIS_URL or put redis-server on PATH (apt-get install redis-server)")
