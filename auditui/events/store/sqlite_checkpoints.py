"""Checkpoints of SQLite's write-ahead log on a thread of their own while a long ingest writes
(issue 18).

In WAL mode every commit appends the pages it changed to the log, and a checkpoint copies them
into the database file, syncing the log before and the file after (``synchronous=NORMAL``). By
default the committing connection checkpoints as soon as the log passes 1,000 pages, so the
writer of a 10,000-row batch waited for that copy and its two syncs after every commit: 4-6 us
of the ~30 us each event costs SQLite (bench/RESULTS.md). Here the writer only appends; a
thread, with its own connection, copies what was committed while the writer goes on with the
next batch (SQLite gives the GIL back for the copy and the syncs). Durability is unchanged: a
commit is what it was, and the syncs are the same syncs, made by another connection.

The log must not grow without end. The log restarts from its beginning when a writer begins a
transaction after everything in it was copied; a writer that begins its next batch at once
rarely finds that, so past ``WAL_LIMIT_BYTES`` the writer checkpoints once itself (what the
thread has not copied yet: little) before going on, and its next transaction restarts the log.
The log's file is cut back to that size when it restarts (``journal_size_limit``), so its size
tells the writer how much the log holds.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from types import TracebackType

log = logging.getLogger(__name__)
# Past this much log the writer completes a checkpoint itself, so that the log restarts.
WAL_LIMIT_BYTES = 128 * 1024 * 1024
# How long the thread waits for a commit before it looks again (it is also woken by ``committed``).
IDLE_WAIT_S = 0.2


class BackgroundCheckpoints:
    """Use around a long run of write transactions on ``writer`` (a DB-API ``sqlite3``
    connection), calling ``committed()`` between them. A database that is not a file in WAL mode
    (an in-memory test database) is left as it is."""

    def __init__(self, writer: sqlite3.Connection) -> None:
        self._writer = writer
        self._path = _wal_file_database(writer)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one checkpoint at a time (a second would only be refused)
        self._thread: threading.Thread | None = None
        self._settings: tuple[int, int] = (0, 0)  # the writer's own, restored on leaving
        self._failed = False  # the thread could not checkpoint: the writer does, past the limit

    def __enter__(self) -> BackgroundCheckpoints:
        if self._path is None:
            return self
        self._settings = (self._pragma("wal_autocheckpoint"), self._pragma("journal_size_limit"))
        self._writer.execute("PRAGMA wal_autocheckpoint=0")
        self._writer.execute(f"PRAGMA journal_size_limit={int(WAL_LIMIT_BYTES)}")
        self._thread = threading.Thread(target=self._run, name="auditui-wal-checkpoints", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join()  # its last checkpoint copies what the last commit wrote
        autocheckpoint, size_limit = self._settings
        self._writer.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
        self._writer.execute(f"PRAGMA journal_size_limit={int(size_limit)}")

    def committed(self) -> None:
        """After a commit of the writer, before its next transaction: wake the thread, and keep
        the log bounded."""
        if self._thread is None:
            return
        self._wake.set()
        if self._failed or self._log_bytes() > WAL_LIMIT_BYTES:
            with self._lock:
                self._writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _log_bytes(self) -> int:
        try:
            return os.stat(f"{self._path}-wal").st_size
        except OSError:
            return 0  # no log (yet)

    def _pragma(self, name: str) -> int:
        return int(self._writer.execute(f"PRAGMA {name}").fetchone()[0])

    def _run(self) -> None:
        assert self._path is not None  # started only for a file database
        try:
            connection = sqlite3.connect(self._path, timeout=30, check_same_thread=False)
        except sqlite3.Error:
            log.exception("no connection for background checkpoints: the writer checkpoints")
            self._failed = True
            return
        try:
            connection.execute("PRAGMA synchronous=NORMAL")  # sync as the writer's checkpoints would
            while True:
                stopping = self._stop.is_set()
                with self._lock:
                    # fetchall: a statement left unfinished would hold a read snapshot, and the
                    # log could never restart.
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if stopping:
                    return
                self._wake.wait(IDLE_WAIT_S)
                self._wake.clear()
        except sqlite3.Error:
            log.exception("background checkpoint failed: the writer checkpoints from here on")
            self._failed = True
        finally:
            connection.close()


def _wal_file_database(connection: sqlite3.Connection) -> str | None:
    """The file of ``connection``'s main database when it is in WAL mode, else None."""
    if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        return None
    for _seq, name, path in connection.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return path or None
    return None
