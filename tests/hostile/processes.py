"""auditui as separate processes, for the crash and load tests (a pytest plugin, registered in
tests/conftest.py): an installation (a data directory with a file SQLite database, and a store:
that database or an OpenSearch index prefix of its own) that ``manage.py`` commands, Celery
workers and gunicorn run against, and that the test reads back directly (sqlite3, the engine's
REST API), since its own Django database is another one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Settings a test run may have in its environment that must not leak into the installation.
_INHERITED_OUT = ("DATABASE_URL", "REDIS_URL", "EVENT_STORE_URL", "AUDITUI_INDEX_PREFIX", "AUDITUI_INDEX_REFRESH",
                  "CELERY_TASK_ALWAYS_EAGER", "AUDITUI_INGEST_BATCH_SIZE", "DJANGO_SETTINGS_MODULE")
SIMULATED_START = datetime(2026, 11, 20, tzinfo=UTC)


@dataclass
class Installation:
    data_dir: Path
    store_url: str = "sql"
    prefix: str = ""
    engine_url: str = ""  # the node's HTTP address, for reading back (search-engine stores)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.data_dir / "auditui.sqlite3"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _INHERITED_OUT}
        env.update(AUDITUI_DATA_DIR=str(self.data_dir), DJANGO_SETTINGS_MODULE="auditui.settings",
                   SECRET_KEY="crash-tests", EVENT_STORE_URL=self.store_url, PYTHONUNBUFFERED="1",
                   LOG_LEVEL="WARNING")
        if self.prefix:
            env["AUDITUI_INDEX_PREFIX"] = self.prefix
        env.update(self.extra_env)
        return env

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        assert done.returncode == 0, f"manage.py {' '.join(args)} exited {done.returncode}: {done.stderr[-3000:]}"
        return done

    def spawn(self, argv: list[str], *, log: Path | None = None) -> subprocess.Popen:
        """A process in a session of its own, so that ``kill`` reaches it and its children."""
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with sqlite3.connect(self.database, timeout=30) as connection:
            return connection.execute(query, params).fetchall()

    def stored(self) -> int:
        """Events in the store, every write the store acknowledged made visible first; not those of
        auditui's own trail (creating the ingest token is recorded there)."""
        if self.store_url == "sql":
            return self.sql("SELECT count(*) FROM events_auditevent WHERE cluster != 'auditui'")[0][0]
        base = self.engine_url
        request = urllib.request.Request(f"{base}/{self.prefix}-*/_refresh?allow_no_indices=true", method="POST")
        urllib.request.urlopen(request, timeout=30).close()
        events = f"{self.prefix}-*,-{self.prefix}-auditui-*"
        with urllib.request.urlopen(f"{base}/{events}/_count?allow_no_indices=true", timeout=30) as answer:
            return json.loads(answer.read())["count"]

    def assert_counts_agree(self) -> None:
        """SQL stores keep hourly counts by trigger in the same transaction as the events: a
        killed or concurrent write must leave them equal to the events."""
        if self.store_url == "sql":
            hourly = self.sql(
                "SELECT coalesce(sum(count), 0) FROM events_hourlyeventcount WHERE cluster != 'auditui'")[0][0]
            assert hourly == self.stored()

    def stored_when_settled(self) -> int:
        """The count once writes already sent have landed (a node finishes a bulk request whose
        sender was killed)."""
        previous = -1
        while True:
            count = self.stored()
            if count == previous:
                return count
            previous = count
            time.sleep(0.5)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process and everything it started: no handler, no cleanup, no atexit."""
    with contextlib.suppress(ProcessLookupError):  # it may have ended on its own
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_until(what: str, check: Callable[[], Any], *, timeout: float = 60, every: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def last_json_line(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, made once and copied into each installation."""
    installation = Installation(tmp_path_factory.mktemp("migrated"))
    installation.manage("migrate", "--noinput")
    return installation.database


@pytest.fixture(scope="session")
def simulated_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """About 20,000 simulated events of one cluster as JSON Lines, and their audit IDs."""
    from auditui.events.management.commands.simulate import write_jsonl
    from auditui.events.simulator import simulate_cluster

    path = tmp_path_factory.mktemp("simulated") / "audit.log"
    events = list(simulate_cluster("crash", start=SIMULATED_START, days=1, events_per_second=0.23, seed=12))
    with path.open("wb") as sink:
        write_jsonl(iter(events), sink)
    identities = {f"{e['auditID']}/{e['stage']}" for e in events}
    assert len(identities) == len(events) > 19_000
    return path, identities


@pytest.fixture(params=["sql", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def installation(request: pytest.FixtureRequest, tmp_path: Path, migrated_database: Path) -> Iterator[Installation]:
    """A fresh installation per test, storing events in SQLite or on the session's OpenSearch node."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "auditui.sqlite3")
    if request.param == "sql":
        yield Installation(data_dir)
        return
    base = request.getfixturevalue("opensearch_url")
    prefix = f"auditui-crash-{uuid.uuid4().hex[:12]}"
    installation = Installation(data_dir, store_url=base.replace("http://", "opensearch://", 1) + "?replicas=0",
                                prefix=prefix, engine_url=base)
    try:
        yield installation
    finally:
        from auditui.events.store import store_for

        store_for(installation.store_url, prefix, "false").drop_everything()
