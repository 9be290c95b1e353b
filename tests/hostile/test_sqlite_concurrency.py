"""The embedded SQLite store under a writer and readers at once: connections use WAL (readers
never wait for the writer) and a busy timeout (writers wait for each other instead of failing),
so no "database is locked" reaches a user. Measured by bench/sqlite_concurrency.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.processes import ROOT, Installation

PRAGMAS = """
from django.db import connection
with connection.cursor() as cursor:
    for pragma in ("journal_mode", "busy_timeout", "synchronous"):
        cursor.execute(f"PRAGMA {pragma}")
        print(pragma, cursor.fetchone()[0])
"""


@pytest.fixture
def sqlite_installation(tmp_path: Path, migrated_database: Path) -> Installation:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "auditui.sqlite3")
    return Installation(data_dir)


def test_it_opens_the_embedded_database_in_wal_mode_with_a_busy_timeout(sqlite_installation):
    printed = sqlite_installation.manage("shell", "-c", PRAGMAS).stdout.splitlines()

    # synchronous=NORMAL (1) is safe with WAL: a power cut may lose the last commits, never corrupt.
    assert dict(line.split() for line in printed if line.startswith(("journal_mode", "busy", "synchronous"))) == {
        "journal_mode": "wal", "busy_timeout": "30000", "synchronous": "1"}


@pytest.mark.slow
def test_it_lets_readers_and_a_writer_in_separate_processes_work_without_lock_errors(tmp_path, sqlite_installation):
    done = subprocess.run(
        [sys.executable, "bench/sqlite_concurrency.py", "--readers", "3", "--seconds", "5", "--prefill", "5000",
         "--batch", "500", "--data-dir", str(sqlite_installation.data_dir), "--json"],
        cwd=ROOT, env=sqlite_installation.env, capture_output=True, text=True, timeout=180,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert (figures["lock_errors"], figures["other_errors"]) == (0, [])
    assert figures["events_written"] >= 500  # the writer committed while the readers read
    assert len(figures["reads_per_reader"]) == 3 and min(figures["reads_per_reader"]) > 0
