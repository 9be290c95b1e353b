"""Ingest: decoded documents → normalised records → drop rules → the event store, in batches.

Idempotent (the store ignores events it already has), never stops on a bad record (each is
rejected with its position and reason), and constant in memory (batches of
``AUDITUI_INGEST_BATCH_SIZE``, or the store's own ``write_batch_size``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from auditui.access.scope import RESERVED_CLUSTER, check_cluster_name
from auditui.events import ingest_ahead
from auditui.events.dropping import DropFilter
from auditui.events.normalize import AuditRecord, RejectedRecord, normalize_event
from auditui.events.reader import Decoded, byte_lines, decode_bytes, decode_lines, open_binary
from auditui.events.store import EventStore, StoreUnavailable, WriteResult, get_store
from auditui.events.store.sql_write import PreparedRow

log = logging.getLogger(__name__)
# Rejections kept with their details; beyond this only the count grows.
MAX_KEPT_REJECTIONS = 1000
# Width of AuditEvent.source: a longer provenance (a deep path) is cut, never refused.
SOURCE_MAX_LEN = 512


@dataclass(frozen=True)
class Rejection:
    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


@dataclass
class IngestReport:
    ingested: int = 0
    duplicates: int = 0
    rejected: int = 0
    dropped: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.ingested + self.duplicates + self.rejected + self.dropped

    def reject(self, position: str, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_KEPT_REJECTIONS:
            self.rejections.append(Rejection(position, reason))

    def merge(self, other: IngestReport) -> None:
        self.ingested += other.ingested
        self.duplicates += other.duplicates
        self.dropped += other.dropped
        self.rejected += other.rejected
        room = MAX_KEPT_REJECTIONS - len(self.rejections)
        self.rejections.extend(other.rejections[: max(room, 0)])

    def as_dict(self) -> dict[str, int]:
        return {"ingested": self.ingested, "duplicates": self.duplicates, "rejected": self.rejected,
                "dropped": self.dropped}


class Ingestor:
    """Feeds one cluster's documents to the store in batches; use as a context manager.

    ``source`` says how the events came in (see ``auditui.events.provenance``); every record
    stored by this ingestor carries it. ``reserved_ok`` is for the trail alone
    (``auditui.events.trail``): every other way in is refused the reserved cluster
    (``ReservedClusterError``), so that nobody can forge auditui's own record.
    """

    def __init__(self, *, cluster: str, store: EventStore | None = None, batch_size: int | None = None,
                 on_batch: Callable[[IngestReport], None] | None = None, source: str = "",
                 reserved_ok: bool = False, searchable: bool = False) -> None:
        """``searchable``: on leaving, make what was stored findable at once (the command, uploads
        and pull runs, which report counts someone then searches for); the webhook leaves that
        to the store's refresh interval, as a refresh per request would cost the engine dearly."""
        if not cluster:
            raise ValueError("a cluster name is required")
        if not (reserved_ok and cluster == RESERVED_CLUSTER):
            check_cluster_name(cluster)
        self.cluster = cluster
        self.source = source[:SOURCE_MAX_LEN]
        self.store = store or get_store()
        chosen = batch_size or settings.AUDITUI_INGEST_BATCH_SIZE
        self.batch_size = chosen or self.store.write_batch_size
        # Rows built ahead are small beside records: written in wider transactions (ingest_ahead).
        self.prepared_batch_size = chosen or ingest_ahead.PREPARED_BATCH_SIZE
        self.report = IngestReport()
        self.drop_filter = DropFilter(cluster)
        self.on_batch = on_batch
        self.searchable = searchable
        self._batch: list[AuditRecord] = []
        self._positions: list[str] = []
        self._written: set[str] = set()
        self._bulk_wrote: Callable[[], None] | None = None  # ``feed_all``: told after each write

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        self.flush()
        if not self.searchable:
            return
        try:
            self.make_searchable()  # also after a read error: what was stored is reported
        except StoreUnavailable:
            if exc_type is None:
                raise  # else the error already on its way says more

    def feed(self, decoded: Decoded) -> None:
        outcome = self.prepare(decoded)
        if outcome is not None:
            self._take(decoded.position, outcome)

    def feed_value(self, value: Any, position: str, *, safe: bool = False) -> None:
        outcome = self._normalized(value, position, safe)
        if outcome is not None:
            self._take(position, outcome)

    def feed_all(self, documents: Iterable[Decoded], *, ahead: bool = True,
                 read_position: Callable[[], int] | None = None, on_read: Callable[[int], None] | None = None) -> None:
        """Feed every document; into the SQL store (SQLite or PostgreSQL), decoded and normalised
        by a reader process while this one writes (``ingest_ahead``), unless ``ahead`` is false
        (standard input, which multiprocessing closes in the child). ``read_position``/``on_read``:
        bytes read so far, asked where the reading happens and told here (progress). Either way
        the store knows a run of writes is coming (``EventStore.bulk_writing``: SQLite checkpoints
        on a thread)."""
        self.flush()  # what was fed one by one goes first, in order
        with self.store.bulk_writing() as after_write:
            self._bulk_wrote = after_write
            try:
                if ahead and ingest_ahead.can_read_ahead(self):
                    ingest_ahead.feed_ahead(self, documents, read_position, on_read)
                else:
                    for document in documents:
                        self.feed(document)
                self.flush()  # inside: the last write is checkpointed like the others
            finally:
                self._bulk_wrote = None

    def prepare(self, decoded: Decoded) -> AuditRecord | str | None:
        """The record, the reason it is rejected, or None when a drop rule discards it."""
        if decoded.error is not None:
            return decoded.error
        return self._normalized(decoded.value, decoded.position, decoded.safe)

    def _normalized(self, value: Any, position: str, safe: bool) -> AuditRecord | str | None:
        try:
            record = normalize_event(value, cluster=self.cluster, safe=safe)
        except RejectedRecord as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - a record the normaliser did not foresee: only it goes
            log.exception("record %s could not be normalised", position)
            return f"could not be read ({type(exc).__name__})"
        record.source = self.source
        if self.drop_filter.should_drop(record.raw, record):
            return None
        return record

    def _take(self, position: str, outcome: AuditRecord | str) -> None:
        if isinstance(outcome, str):
            self.report.reject(position, outcome)
            return
        self._batch.append(outcome)
        self._positions.append(position)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def write_arriving(self, rows: Iterable[PreparedRow], positions: list[str]) -> None:
        """Write rows built ahead (``ingest_ahead``) as one batch, read while they are written:
        ``positions`` fills in step with ``rows`` (a row the store rejects is named by its index)."""
        self.flush()  # what was fed before goes first, in order
        self._account(self.store.write_prepared(rows), positions)  # type: ignore[attr-defined]
        self._report_progress()

    def add_drop_counts(self, counts: dict, errors: dict, last_errors: dict) -> None:
        """Drop-rule counts gathered elsewhere (the reader process), flushed with this batch."""
        self.drop_filter.counts.update(counts)
        self.drop_filter.errors.update(errors)
        self.drop_filter.last_errors.update(last_errors)

    def flush(self) -> None:
        if self._batch:
            self._account(self.store.write(self._batch), self._positions)
            self._batch, self._positions = [], []
        self._report_progress()

    def _account(self, result: WriteResult, positions: list[str]) -> None:
        self.report.ingested += result.ingested
        self.report.duplicates += result.duplicates
        for index, reason in result.rejected:
            self.report.reject(positions[index], reason)
        self._written |= result.written
        if self._bulk_wrote is not None:
            self._bulk_wrote()

    def _report_progress(self) -> None:
        self.report.dropped += self.drop_filter.flush_counts()
        if self.on_batch is not None:
            self.on_batch(self.report)

    def make_searchable(self) -> None:
        """Make every event stored so far findable by a search now (see ``__init__``)."""
        self.store.make_searchable(sorted(self._written))
        self._written.clear()


def ingest_decoded(documents: Iterable[Decoded], *, cluster: str, **options: Any) -> IngestReport:
    with Ingestor(cluster=cluster, **options) as ingestor:
        for document in documents:
            ingestor.feed(document)
    return ingestor.report


def ingest_events(events: Iterable[dict], *, cluster: str, **options: Any) -> IngestReport:
    """Ingest already-decoded event dicts (simulator, pull sources)."""
    with Ingestor(cluster=cluster, **options) as ingestor:
        for index, event in enumerate(events):
            ingestor.feed_value(event, f"event {index + 1}")
    return ingestor.report


def ingest_path(path: str | Path, *, cluster: str, **options: Any) -> IngestReport:
    """Ingest a file (JSON Lines, pretty JSON, EventList, gzip) or ``-`` for stdin.

    Raises OSError when the path cannot be read; bad records inside it are rejected, not raised.
    """
    with open_binary(path) as binary, Ingestor(cluster=cluster, **options) as ingestor:
        ingestor.feed_all(decode_lines(byte_lines(binary), str(path)), ahead=str(path) != "-")
    return ingestor.report


def ingest_body(body: bytes, *, cluster: str, label: str = "request", **options: Any) -> IngestReport:
    """Ingest a request body held in memory; ``label`` starts the rejections' positions."""
    return ingest_decoded(decode_bytes(body, label), cluster=cluster, **options)
