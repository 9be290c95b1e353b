"""Write-ahead log checkpoints on a thread while a long ingest writes into SQLite
(auditui.events.store.sqlite_checkpoints): the writer only appends, everything committed reaches
the database file, and the log stays bounded. Real SQLite files in WAL mode; the last test runs
`manage.py ingest` in a process of its own on a file database, as a user does."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from auditui.events.store import sqlite_checkpoints
from auditui.events.store.sqlite_checkpoints import BackgroundCheckpoints
from tests.factories import BASE_TIME, audit_event

ROOT = Path(__file__).resolve().parents[2]
ROW = "x" * 2000  # a row of about an audit event's size


def _writer(path: Path) -> sqlite3.Connection:
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA synchronous=NORMAL")
    writer.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
    return writer


def _write_batch(writer: sqlite3.Connection, rows: int) -> None:
    writer.execute("BEGIN IMMEDIATE")
    writer.executemany("INSERT INTO t (body) VALUES (?)", [(ROW,)] * rows)
    writer.execute("COMMIT")


def _wal_bytes(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_it_copies_every_commit_into_the_database_file_and_restores_the_writers_setting(tmp_path):
    path = tmp_path / "store.sqlite3"
    writer = _writer(path)
    with BackgroundCheckpoints(writer) as checkpoints:
        assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # the writer only appends
        for _ in range(5):
            _write_batch(writer, 200)
            checkpoints.committed()
    assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    busy, log_frames, copied = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, copied) == (0, log_frames)  # nothing was left for the writer to copy
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 1000
    assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_it_keeps_the_log_bounded_while_the_writer_never_pauses(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_checkpoints, "WAL_LIMIT_BYTES", 512 * 1024)
    path = tmp_path / "store.sqlite3"
    writer = _writer(path)
    with BackgroundCheckpoints(writer) as checkpoints:
        for _ in range(60):  # ~12 MB written, each batch begun at once after the last commit
            _write_batch(writer, 100)
            checkpoints.committed()
    written = 60 * 100 * len(ROW)
    assert _wal_bytes(path) < written / 4  # the log restarted from its beginning again and again
    assert sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone()[0] == 6000


def test_it_leaves_a_database_that_is_not_a_wal_file_alone():
    writer = sqlite3.connect(":memory:", isolation_level=None)
    before = writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    with BackgroundCheckpoints(writer) as checkpoints:
        checkpoints.committed()
        assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == before


def test_the_writer_checkpoints_itself_when_the_thread_has_no_connection(tmp_path, monkeypatch):
    path = tmp_path / "store.sqlite3"
    writer = _writer(path)
    real_connect = sqlite3.connect

    def refuse_other_connections(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite_checkpoints.sqlite3, "connect", refuse_other_connections)
    with BackgroundCheckpoints(writer) as checkpoints:
        checkpoints._thread.join(timeout=5)  # the thread found no connection and ended
        monkeypatch.setattr(sqlite_checkpoints.sqlite3, "connect", real_connect)
        _write_batch(writer, 300)
        checkpoints.committed()
        busy, log_frames, copied = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert copied == log_frames  # the writer's own checkpoint had copied it all


@pytest.mark.slow
@pytest.mark.parametrize("read_from", ["file", "standard input"])  # read ahead, and one by one
def test_it_ingests_into_a_file_database_with_everything_in_the_database_file(tmp_path, read_from):
    events = [audit_event(time=BASE_TIME + timedelta(seconds=i), name=f"p{i}") for i in range(3000)]
    log = tmp_path / "audit.log"
    log.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    data_dir = tmp_path / "data"
    env = {**os.environ, "AUDITUI_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "auditui.settings",
           "AUDITUI_INGEST_BATCH_SIZE": "500", "DATABASE_URL": f"sqlite:///{data_dir / 'auditui.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    stdin = read_from == "standard input"
    command = [sys.executable, "manage.py", "ingest", "--cluster", "c1", "--json", "-" if stdin else str(log)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                            input=log.read_text() if stdin else None)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["ingested"] == 3000
    database = sqlite3.connect(data_dir / "auditui.sqlite3")
    assert database.execute("SELECT count(*) FROM events_auditevent WHERE cluster = 'c1'").fetchone()[0] == 3000
    assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
