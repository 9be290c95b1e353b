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
from auditui.events.dropping import DropFilter
from auditui.events.normalize import AuditRecord, RejectedRecord, normalize_event
from auditui.events.reader import Decoded, decode_bytes, decode_lines, open_binary, text_lines
from auditui.events.store import EventStore, StoreUnavailable, get_store

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
        self.batch_size = batch_size or settings.AUDITUI_INGEST_BATCH_SIZE or self.store.write_batch_size
        self.report = IngestReport()
        self.drop_filter = DropFilter(cluster)
        self.on_batch = on_batch
        self.searchable = searchable
        self._batch: list[AuditRecord] = []
        self._positions: list[str] = []
        self._written: set[str] = set()

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
        if decoded.error is not None:
            self.report.reject(decoded.position, decoded.error)
            return
        self.feed_value(decoded.value, decoded.position, safe=decoded.safe)

    def feed_value(self, value: Any, position: str, *, safe: bool = False) -> None:
        try:
            record = normalize_event(value, cluster=self.cluster, safe=safe)
        except RejectedRecord as exc:
            self.report.reject(position, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a record the normaliser did not foresee: only it goes
            log.exception("record %s could not be normalised", position)
            self.report.reject(position, f"could not be read ({type(exc).__name__})")
            return
        record.source = self.source
        if self.drop_filter.should_drop(record.raw, record):
            return
        self._batch.append(record)
        self._positions.append(position)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self._batch:
            result = self.store.write(self._batch)
            self.report.ingested += result.ingested
            self.report.duplicates += result.duplicates
            for index, reason in result.rejected:
                self.report.reject(self._positions[index], reason)
            self._written |= result.written
            self._batch, self._positions = [], []
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
    with open_binary(path) as binary:
        return ingest_decoded(decode_lines(text_lines(binary), str(path)), cluster=cluster, **options)


def ingest_body(body: bytes, *, cluster: str, label: str = "request", **options: Any) -> IngestReport:
    """Ingest a request body held in memory; ``label`` starts the rejections' positions."""
    return ingest_decoded(decode_bytes(body, label), cluster=cluster, **options)
