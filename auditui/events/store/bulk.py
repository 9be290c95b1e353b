"""Bulk writes to a search engine: the request size, what the responses must say, and how the
items of a write's responses add up (created, duplicates, failures with advice)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from auditui.events.normalize import AuditRecord
from auditui.events.store import engine_document, object_days

BULK_CHUNK = 1000
# What a bulk response must say per item (how the write went, and why not); the rest of each
# item (index, version, shard counts, sequence numbers) is left out by the node.
BULK_FILTER_PATH = "items.*._id,items.*.status,items.*.error"
BULKS_IN_FLIGHT = 2
# Item errors that are about the document sent (a value the engine cannot parse or index), not
# about the engine: the record is rejected alone. Anything else (429, 5xx, shard limits, closed
# indices) fails the write, so that the sender tries again later.
RECORD_ERRORS = frozenset({
    "mapper_parsing_exception", "document_parsing_exception", "illegal_argument_exception",
    "strict_dynamic_mapping_exception", "x_content_parse_exception", "parse_exception",
    "json_parse_exception", "stream_constraints_exception", "max_bytes_length_exceeded_exception",
})
# The refresh request names its indices in the request line (4 KB at most on the node).
REFRESH_TARGET_CHARS = 2000


def dumps(value: Any) -> bytes:
    """orjson, or the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value).encode()


@dataclass
class BulkChunk:
    """One bulk request's body, and which records its event documents stand for."""

    body: bytes = b""
    # document id -> indices (in the whole write) of the records sent under it
    records: dict[str, list[int]] = field(default_factory=dict)
    # records that could not be made into a document: (index, reason)
    refused: list[tuple[int, str]] = field(default_factory=list)
    indices: set[str] = field(default_factory=set)


def bulk_chunk(records: Sequence[AuditRecord], *, offset: int, seq: int, index_for: Callable[[AuditRecord], str],
               summary_lines: list[bytes]) -> BulkChunk:
    """NDJSON for one bulk request, serialised with orjson (the clients' json is the slow part).
    A record whose document cannot be built or serialised is refused alone."""
    chunk = BulkChunk()
    lines = summary_lines
    for position, record in enumerate(records):
        try:
            doc = engine_document.document(record, seq=seq + position)
            index = index_for(record)
            action = orjson.dumps({"create": {"_index": index, "_id": doc["event_id"]}})
            source = dumps(doc)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            chunk.refused.append((offset + position, f"cannot be made into a document: {exc}"[:300]))
            continue
        lines += [action, source]
        chunk.records.setdefault(doc["event_id"], []).append(offset + position)
        chunk.indices.add(index)
    lines.append(b"")
    chunk.body = b"\n".join(lines)
    return chunk


def _item_reason(result: dict) -> str | None:
    """Why the engine refused this one document, when that is about the document (else None)."""
    error = result.get("error")
    if result.get("status") != 400 or not isinstance(error, dict) or error.get("type") not in RECORD_ERRORS:
        return None
    text = orjson.dumps(error).decode()
    if advice(text):
        return None  # a limit of the engine, whatever the error's type
    caused = error.get("caused_by") if isinstance(error.get("caused_by"), dict) else {}
    reason = f"{error.get('type')}: {error.get('reason')}" + (f" ({caused.get('reason')})" if caused else "")
    return f"the search engine refused it: {reason}"[:300]


class BulkOutcome:
    """Counts of a write's bulk responses: created, duplicates (409), refused records, and what failed."""

    def __init__(self) -> None:
        self.ingested = self.duplicates = 0
        self.errors: list[str] = []
        self.rejected: list[tuple[int, str]] = []
        self.indices: set[str] = set()

    def add(self, items: list[dict], chunk: BulkChunk) -> None:
        self.rejected += chunk.refused
        self.indices |= chunk.indices
        seen: dict[str, int] = {}  # how many items of each id were read (an id twice in a write)
        for item in items:
            result = item.get("create") or next(iter(item.values()))
            status = result.get("status", 500)
            doc_id = result.get("_id")
            if object_days.is_summary_id(doc_id) and (200 <= status < 300 or status == 409):
                continue  # the object-days entries that go with the events: not events themselves
            if 200 <= status < 300:
                self.ingested += 1
            elif status == 409:
                self.duplicates += 1
            elif (reason := _item_reason(result)) is not None and doc_id in chunk.records:
                at = chunk.records[doc_id]
                self.rejected.append((at[min(seen.get(doc_id, 0), len(at) - 1)], reason))
            else:
                self.errors.append(f"{doc_id}: {status} {orjson.dumps(result.get('error')).decode()}")
            seen[doc_id] = seen.get(doc_id, 0) + 1


def refresh_targets(indices: Sequence[str]) -> list[str]:
    """Comma-joined index lists, each short enough for one request line."""
    targets, current = [], ""
    for name in indices:
        if current and len(current) + 1 + len(name) > REFRESH_TARGET_CHARS:
            targets.append(current)
            current = ""
        current = f"{current},{name}" if current else name
    return [*targets, current] if current else targets


def advice(error: str) -> str:
    """What an operator can do about a refusal whose remedy is not in the node's words."""
    if "maximum shards open" in error:
        # A new day's index needs a shard; the node has as many as cluster.max_shards_per_node.
        return (" (the engine's shard limit: raise cluster.max_shards_per_node, add data nodes, or keep"
                " fewer days; README: Sizing indices)")
    if "multiple index templates may not match" in error:
        # Another template (another installation's) matches this prefix's indices, or it matches theirs.
        return (" (another index template matches the same indices: give each auditui installation an"
                " AUDITUI_INDEX_PREFIX where neither is the other's followed by '-')")
    return ""
