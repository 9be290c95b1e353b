"""The per-object summary on a search engine (``auditui.events.object_summary``): the index
``<prefix>.summary``, beside the object-days index and outside the events' ``<prefix>-*``.

What it holds: one small document per *change* of an object of the followed kinds (key, time,
verb, user, tier, the event's id and order), written in the same bulk requests as the events,
under an id derived from the event's. A summary is then one composite aggregation over this one
index (count, first time, newest change), never over the daily indices.

Why a document per change rather than one per object updated in place: bulk writes are at least
once and unordered, and other processes write the same events. A scripted upsert that adds to a
count would count a retried or re-ingested event twice; a change document whose id is the
event's is refused as a duplicate exactly when the event is, and arrival order does not matter.
Retention stays exact by the same token: the purge deletes the changes before the cutoff, so an
object's first change and count move, and an object without changes left has no documents.

Trust: a kind is read from here only once its ``covered`` marker is in the index: written when
the index starts on a store without events, or by ``rebuild`` (``manage.py index_objects``, the
nightly maintenance) after copying the kind's changes from the events. Until then the lists read
the events as before.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from auditui.access.scope import ViewerScope
from auditui.events.normalize import AuditRecord
from auditui.events.object_summary import (
    CHANGES,
    DELETE_VERBS,
    KEY_FIELDS,
    ObjectSummary,
    changes_of,
    followed_kinds,
    tier_hint,
)
from auditui.events.store import dsl, engine_document, object_days
from auditui.events.store.base import EventQuery, from_micros, micros
from auditui.events.store.bodies import HISTORY_SORT, SEARCH_SORT, search_body
from auditui.events.store.transport import SearchEngineError, Transport

MAPPINGS: dict = {
    "dynamic": "strict",
    "properties": {
        **{name: {"type": "keyword"} for name in (*KEY_FIELDS, "verb", "user", "tier", "event_id", "covered")},
        "time_us": {"type": "long"},
        "seq": {"type": "long"},
    },
}
# Ids start with object_days.ID_PREFIX: a write's bulk responses then count them as what goes
# with the events, not as events.
CHANGE_PREFIX = object_days.ID_PREFIX + "c"
COVERED_PREFIX = object_days.ID_PREFIX + "k"
PAGE = 1000
SCAN_PAGE = 1000
_LAST_SOURCE = ["verb", "user", "tier", "event_id", "time_us"]


def index_name(prefix: str) -> str:
    return f"{prefix}.summary"


def template_body(prefix: str, *, replicas: int | None) -> dict:
    return object_days.side_index_template(index_name(prefix), MAPPINGS, replicas=replicas)


def change_lines(record: AuditRecord, seq: int, index: str) -> tuple[bytes, bytes]:
    event_id = engine_document.event_id(record.cluster, record.audit_id, record.stage)
    doc = {name: getattr(record, name) for name in KEY_FIELDS}
    doc.update(verb=record.verb, user=record.username, tier=tier_hint(record), event_id=event_id,
               time_us=micros(record.time), seq=seq)
    return orjson.dumps({"create": {"_index": index, "_id": CHANGE_PREFIX + event_id}}), orjson.dumps(doc)


def _covered_id(kind: tuple[str, str]) -> str:
    return COVERED_PREFIX + hashlib.blake2b("\x00".join(kind).encode(), digest_size=16).hexdigest()


def covered_lines(kinds: Iterable[tuple[str, str]], index: str) -> list[bytes]:
    out: list[bytes] = []
    for kind in sorted(kinds):
        out += [orjson.dumps({"index": {"_index": index, "_id": _covered_id(kind)}}),
                orjson.dumps({"covered": "\x00".join(kind)})]
    return out


def _kinds_query(kinds: Iterable[tuple[str, str]]) -> dict:
    return dsl.any_of(dsl.all_of([{"term": {"api_group": {"value": g}}}, {"term": {"resource": {"value": r}}}])
                      for g, r in kinds)


def summaries_body(query: dict, after: dict | None) -> dict:
    composite: dict[str, Any] = {"size": PAGE, "sources": [{name: {"terms": {"field": name}}} for name in KEY_FIELDS]}
    if after:
        composite["after"] = after
    return {"size": 0, "query": query, "aggs": {"objects": {"composite": composite, "aggs": {
        "first": {"min": {"field": "time_us"}},
        "last": {"top_hits": {"size": 1, "sort": list(SEARCH_SORT), "_source": _LAST_SOURCE}},
    }}}}


def summary_of(bucket: dict) -> ObjectSummary:
    key = bucket["key"]
    last = bucket["last"]["hits"]["hits"][0]["_source"]
    return ObjectSummary(
        **{name: key[name] for name in KEY_FIELDS},
        first_seen=from_micros(int(bucket["first"]["value"])), last_seen=from_micros(last["time_us"]),
        changes=bucket["doc_count"], last_verb=last["verb"], last_user=last["user"],
        last_event_id=engine_document.public_id(last["event_id"], last["time_us"]), last_tier=last["tier"],
        deleted=last["verb"] in DELETE_VERBS,
    )


class EngineSummary:
    """A search-engine store's summary index: what it adds to writes, the lists it answers, and
    its upkeep (through the store's own transport)."""

    COVERED_SECONDS = 30.0

    def __init__(self, transport: Transport, prefix: str, *, replicas: int | None) -> None:
        self.transport = transport
        self.prefix = prefix
        self.replicas = replicas
        self.index = index_name(prefix)
        self._covered: tuple[float, frozenset[tuple[str, str]]] | None = None

    # --- writes ---------------------------------------------------------------------------
    def put_template(self, *, has_events: bool) -> None:
        """Its template; on a store without events yet, every followed kind is covered at once."""
        self.transport.put_template(self.index, template_body(self.prefix, replicas=self.replicas))
        if not has_events:
            self._send(covered_lines(followed_kinds(), self.index))
            self.transport.refresh(self.index)
            self._covered = None

    def lines(self, records: Sequence[AuditRecord], seq: int) -> list[bytes]:
        """The change documents of a bulk chunk's records (their events get ``seq + position``)."""
        kinds = followed_kinds()
        out: list[bytes] = []
        if not kinds:
            return out
        for position, record in enumerate(records):
            if changes_of((record,), kinds):
                out += change_lines(record, seq + position, self.index)
        return out

    def forget(self, records: Iterable[AuditRecord]) -> None:
        """Events the engine refused: their change documents (written beside them) go too."""
        ids = [CHANGE_PREFIX + engine_document.event_id(r.cluster, r.audit_id, r.stage)
               for r in changes_of(records, followed_kinds())]
        if ids:
            self._send([orjson.dumps({"delete": {"_index": self.index, "_id": i}}) for i in ids])

    def _send(self, lines: list[bytes]) -> None:
        items = self.transport.bulk(b"\n".join([*lines, b""]))
        failed = [item for item in items if next(iter(item.values())).get("status", 500) not in (200, 201, 404, 409)]
        if failed:
            raise SearchEngineError(f"the summary index refused {len(failed)} entries; first: {failed[0]}")

    # --- reads ----------------------------------------------------------------------------
    def covered(self) -> frozenset[tuple[str, str]]:
        """The followed kinds the summary holds completely (rechecked every half minute)."""
        if self._covered is None or self._covered[0] < time.monotonic():
            body = {"size": 1000, "query": {"exists": {"field": "covered"}}, "_source": ["covered"]}
            hits = self.transport.search(self.index + "*", body)["hits"]["hits"]
            kinds = frozenset(tuple(hit["_source"]["covered"].split("\x00", 1)) for hit in hits)
            # A covered kind no longer followed loses its cover (writes stop keeping it).
            unfollowed = kinds - followed_kinds()
            if unfollowed:
                self._send([orjson.dumps({"delete": {"_index": self.index, "_id": _covered_id(kind)}})
                            for kind in sorted(unfollowed)])
            self._covered = (time.monotonic() + self.COVERED_SECONDS, kinds - unfollowed)
        return self._covered[1] & followed_kinds()

    def read(self, scope: ViewerScope, *, kinds: Sequence[tuple[str, str]], clusters: Sequence[str],
             namespace: str, limit: int | None) -> list[ObjectSummary]:
        conditions = [dsl.scope_query(scope), {"exists": {"field": "time_us"}}, _kinds_query(kinds)]
        if clusters:
            conditions.append({"terms": {"cluster": list(clusters)}})
        if namespace:
            conditions.append({"term": {"namespace": {"value": namespace}}})
        query = dsl.all_of(conditions)
        found: list[ObjectSummary] = []
        after = None
        while True:
            groups = self.transport.search(self.index, summaries_body(query, after)).get("aggregations", {})
            groups = groups.get("objects")
            if not groups:
                break
            found += [summary_of(bucket) for bucket in groups["buckets"]]
            after = groups.get("after_key")
            if not after or len(groups["buckets"]) < PAGE:
                break
        found.sort(key=lambda s: (-micros(s.last_seen), s.key))
        return found if limit is None else found[:limit]

    # --- upkeep ---------------------------------------------------------------------------
    def rebuild(self, events_pattern: str, kinds: Iterable[tuple[str, str]],
                progress: Callable[[int], None] | None = None) -> int:
        """Copy these kinds' changes from the events, then mark them covered; the changes sent."""
        kinds = sorted(kinds)
        if not kinds:
            return 0
        self.transport.refresh(events_pattern)
        query = dsl.all_of([
            dsl.event_query(EventQuery(scope=ViewerScope.all(), query=CHANGES)),
            _kinds_query(kinds),
            dsl.negate({"term": {"name": {"value": ""}}}),
        ])
        sent, after = 0, None
        while True:
            body = search_body(query, size=SCAN_PAGE, sort=HISTORY_SORT, search_after=after)
            hits = self.transport.search(events_pattern, body)["hits"]["hits"]
            lines: list[bytes] = []
            for hit in hits:
                record = engine_document.record_from_source(hit["_source"], hit["_id"])
                lines += change_lines(record, hit["_source"].get("seq", 0), self.index)
            if lines:
                self._send(lines)
            sent += len(hits)
            if progress is not None:
                progress(sent)
            if len(hits) < SCAN_PAGE:
                break
            after = hits[-1]["sort"][:len(HISTORY_SORT)]
        self._send(covered_lines(kinds, self.index))
        self.transport.refresh(self.index)
        self._covered = None
        return sent

    def purge(self, before_us: int) -> None:
        self.transport.delete_by_query(self.index + "*", {"query": {"range": {"time_us": {"lt": before_us}}}})

    def drop(self) -> None:
        self.transport.delete_index(self.index)
        self.transport.delete_template(self.index)
        self._covered = None
