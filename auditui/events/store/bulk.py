"""Bulk writes to a search engine: the request size, what the responses must say, and how the
items of a write's responses add up (created, duplicates, failures with advice)."""

from __future__ import annotations

import json
from typing import Any

import orjson

from auditui.events.store import object_days

BULK_CHUNK = 1000
# What a bulk response must say per item (how the write went, and why not); the rest of each
# item (index, version, shard counts, sequence numbers) is left out by the node.
BULK_FILTER_PATH = "items.*._id,items.*.status,items.*.error"
BULKS_IN_FLIGHT = 2


def dumps(value: Any) -> bytes:
    """orjson, or the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value).encode()


class BulkOutcome:
    """Counts of a write's bulk responses: created, duplicates (409), and what failed."""

    def __init__(self) -> None:
        self.ingested = self.duplicates = 0
        self.errors: list[str] = []

    def add(self, items: list[dict]) -> None:
        for item in items:
            result = item.get("create") or next(iter(item.values()))
            status = result.get("status", 500)
            if object_days.is_summary_id(result.get("_id")) and (200 <= status < 300 or status == 409):
                continue  # the object-days entries that go with the events: not events themselves
            if 200 <= status < 300:
                self.ingested += 1
            elif status == 409:
                self.duplicates += 1
            else:
                self.errors.append(f"{result.get('_id')}: {status} {orjson.dumps(result.get('error')).decode()}")


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
