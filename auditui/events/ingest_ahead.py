"""Files ingested on two cores (issue 18): a forked reader process decodes, normalises, applies
the drop rules and builds the rows (SQLite's, or PostgreSQL's for its COPY) while this process
writes them.

A thread could not do it: decoding and normalising are Python, and SQLite gives the GIL back at
every row, so the writer would wait for the reader at every row. What crosses between the
processes is the rows (flat tuples of text), not the events: unpickling an event's nested dicts
costs more than decoding its JSON again. Only for the SQL store (``prepared_rows_fit``): a search
engine writes documents. On PostgreSQL the reader takes ~20 us per event off the writer, whose
server process then works while the reader builds the next rows.

The child only reads and computes; it never touches the database (its inherited connection is
left alone: it ends with ``os._exit`` through multiprocessing). Its messages (``_dumps``), in order:
``("rows", items, dropped, read_position)`` with items ``(position, PreparedRow as a tuple, or reason)``,
then ``("end", None, …)`` or ``("error", exception, …)`` (a read error: what came before it is
written, then the exception is raised here, as a read error is without the child).
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import pickle
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from django.db import connections

from auditui.events.models import AuditEvent
from auditui.events.object_summary import followed_kinds
from auditui.events.reader import Decoded
from auditui.events.store.sql import SqlEventStore
from auditui.events.store.sql_write import PreparedRow, prepare_row, prepared_now, prepared_rows_fit, received_row

if TYPE_CHECKING:
    from auditui.events.ingest import Ingestor

log = logging.getLogger(__name__)
# Records per message: large enough that pickling and the pipe cost little per record, small
# enough that the pipe's backpressure keeps memory bounded (a few messages in flight).
MESSAGE_RECORDS = 500
# Messages received ahead of the writer (about 0.8 MB each). The writer takes them while a batch
# is written (``_Arriving``), so they only need to cover a commit and the counts after it (a
# tenth of a second: ~8 messages); 40 held 30 MB more for nothing (issue 18: peak RSS).
QUEUED_MESSAGES = 16
# A batch being written ends when no row arrives for this long (``_Arriving``).
ARRIVAL_WAIT_S = 1.0
# Rows per write (transaction) when no batch size is chosen: each commit writes every index page
# the batch touched, so wider transactions write each page fewer times (issue 18: 10,000 rows
# cost a quarter less CPU per event than 1,000; about 15 MB of rows held at a time).
PREPARED_BATCH_SIZE = 10_000


def can_read_ahead(ingestor: Ingestor) -> bool:
    return (
        isinstance(ingestor.store, SqlEventStore)
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon  # a daemon may not start processes
        and prepared_rows_fit(connections[AuditEvent.objects.db])
    )


def feed_ahead(ingestor: Ingestor, documents: Iterable[Decoded], read_position: Callable[[], int] | None = None,
               on_read: Callable[[int], None] | None = None) -> None:
    """Feed ``documents`` (decoded in the child) to ``ingestor``, written here as rows.
    ``read_position`` is asked in the child (bytes read so far), ``on_read`` told here."""
    postgres = connections[AuditEvent.objects.db].vendor == "postgresql"
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(sender, documents, ingestor, read_position, postgres),
                            name="auditui-ingest-reader", daemon=True)
    child.start()
    sender.close()
    try:
        _consume(receiver, ingestor, on_read, postgres)
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()  # this side failed (the store is unavailable): stop reading
        child.join()


def _consume(receiver, ingestor: Ingestor, on_read: Callable[[int], None] | None, postgres: bool) -> None:
    with _Drain(receiver) as messages:
        arriving = _Arriving(messages, ingestor, on_read, postgres)
        while (batch := arriving.next_batch(ingestor.prepared_batch_size)) is not None:
            ingestor.write_arriving(*batch)
        if arriving.error is not None:
            raise arriving.error  # after writing what came before it


class _Arriving:
    """The reader's rows as batches, each written while it arrives.

    Why: a batch waited until its 10,000 rows had all arrived, so the writer sat idle while the
    reader built each file's first batch (0.25-0.3 s a file, issue 18). Now a batch's
    transaction begins with its first row and takes the others as the reader sends them. Records
    the reader rejected are reported at once; a read error (or the reader's end) ends the batch,
    which is written, and ``error`` holds it. A batch also ends when no row arrives for
    ``ARRIVAL_WAIT_S`` (a slow source): the transaction holds the database's one write lock."""

    def __init__(self, messages: _Drain, ingestor: Ingestor, on_read: Callable[[int], None] | None,
                 postgres: bool = False) -> None:
        self._messages = messages
        self._postgres = postgres
        self._ingestor = ingestor
        self._on_read = on_read
        self._items: list = []  # the current message's items not taken yet, last first
        self._ended = False
        self.error: BaseException | None = None

    def next_batch(self, size: int) -> tuple[Iterator[PreparedRow], list[str]] | None:
        """The next batch's rows (read once, up to ``size``) and their positions, which fill
        in step with them; None when the reader has nothing more."""
        first = self._next_row(wait=None)  # no transaction is open while this waits
        if first is None:
            return None
        positions = [first[0]]

        def rows() -> Iterator[PreparedRow]:
            yield first[1]
            for _ in range(size - 1):
                item = self._next_row(wait=ARRIVAL_WAIT_S)
                if item is None:
                    return
                positions.append(item[0])
                yield item[1]

        return rows(), positions

    def _next_row(self, wait: float | None) -> tuple[str, PreparedRow] | None:
        while True:
            while self._items:
                position, outcome = self._items.pop()
                if isinstance(outcome, str):
                    self._ingestor.report.reject(position, outcome)
                else:
                    return position, received_row(outcome, self._postgres)  # plain tuples (``_dumps``)
            if self._ended or not self._receive(wait):
                return None

    def _receive(self, wait: float | None) -> bool:
        """The next message taken in; False when none came within ``wait``."""
        try:
            message = self._messages.next(wait)
        except OSError as exc:  # the reader died: what came before is written, then this is raised
            self._ended, self.error = True, exc
            return True
        if message is None:
            return False
        kind, payload, dropped, position = pickle.loads(message)
        self._ingestor.add_drop_counts(*dropped)
        if self._on_read is not None and position is not None:
            self._on_read(position)
        if kind == "rows":
            self._items = payload[::-1]
        else:
            self._ended = True
            self.error = payload if kind == "error" else None
        return True


class _Drain:
    """Receives the reader's messages on a thread of this process while it writes.

    Why: a pipe holds about one message. Without the thread, the reader stopped as soon as the
    writer began a batch's transaction (10,000 rows) and the writer then waited for the reader to
    build the next batch: the two took turns instead of working at once (issue 18: 63 us of wall
    time per event for 39 + 29 us of CPU). The thread only moves bytes (the read gives the GIL
    back); unpickling stays with the writer."""

    def __init__(self, receiver) -> None:
        self._receiver = receiver
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_MESSAGES)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="auditui-ingest-drain", daemon=True)

    def __enter__(self) -> _Drain:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()  # a writer that failed: the thread stops at its next message
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                message: bytes | None = self._receiver.recv_bytes()
            except (EOFError, OSError):
                message = None  # the reader ended (after its last message) or the pipe closed
            while not self._stop.is_set():
                try:
                    self._queue.put(message, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if message is None:
                return

    def next(self, wait: float | None = None) -> bytes | None:
        """The next message, or None when none came within ``wait`` seconds."""
        try:
            message = self._queue.get(timeout=wait)
        except queue.Empty:
            return None
        if message is None:
            raise OSError("the ingest reader process ended unexpectedly")
        return message


def _produce(sender, documents: Iterable[Decoded], ingestor: Ingestor,
             read_position: Callable[[], int] | None, postgres: bool = False) -> None:
    """In the child: decode, normalise, filter and build rows, a message at a time."""
    drop_filter = ingestor.drop_filter

    def send(kind: str, payload) -> None:
        dropped = (dict(drop_filter.counts), dict(drop_filter.errors), dict(drop_filter.last_errors))
        drop_filter.counts.clear()
        drop_filter.errors.clear()
        drop_filter.last_errors.clear()
        try:
            sender.send_bytes(_dumps((kind, payload, dropped, read_position() if read_position else None)))
        except OSError as exc:  # a broken pipe: the writer stopped (it failed, and says why itself)
            raise _WriterGone from exc

    items: list = []
    records: list = []

    def send_rows() -> None:
        nonlocal items, records
        rows, items, records = _with_rows(items, records, postgres), [], []
        send("rows", rows)

    try:
        try:
            for document in documents:
                outcome = ingestor.prepare(document)
                if outcome is None:
                    continue  # dropped by a rule (counted)
                items.append([document.position, outcome])
                if not isinstance(outcome, str):
                    records.append(items[-1])
                if len(items) >= MESSAGE_RECORDS:
                    send_rows()
            send_rows()
            send("end", None)
        except _WriterGone:
            raise
        except Exception as exc:  # noqa: BLE001 - a read error (OSError, EOFError…): the parent raises it
            send_rows()
            send("error", exc)
    except _WriterGone:
        return  # nobody to tell: end quietly, without a traceback on the user's terminal
    finally:
        sender.close()


class _WriterGone(Exception):
    """The reader's messages can no longer be sent."""


def _dumps(message: tuple) -> bytes:
    """The message pickled without a memo: a row is some 25 strings, and memoizing each (what
    ``Connection.send`` does) was most of the pickling's cost, 7.5 against 3 us a row (issue 18).
    Without a memo, a named tuple's class would be written, and looked up by the reader of the
    message, for every row: rows cross as plain tuples and become ``PreparedRow`` again there.
    Nothing in a message refers to itself, and the C pickler raises on a cycle in fast mode
    (it does not loop)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(message)
    return buffer.getvalue()


def _with_rows(items: list, records: list, postgres: bool) -> list:
    """The items with their records replaced by rows (reasons stay as they are); a record whose
    row cannot be built is rejected alone, as the store rejects a value it cannot take."""
    now, kinds = prepared_now(postgres), followed_kinds()
    for item in records:
        try:
            item[1] = tuple(prepare_row(item[1], now, kinds, postgres=postgres))  # plain: see ``_dumps``
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            item[1] = f"the database refused it: {type(exc).__name__}: {exc}"[:300]
    return items
