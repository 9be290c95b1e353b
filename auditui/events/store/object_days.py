"""The days each object has events on, kept beside a search engine's daily indices.

Why: a read that names one object over a long range (its whole history, or the version a
changelog window starts from) would otherwise ask every daily index of its cluster, and every
index asked costs the node a shard request: at a year of retention one policy's changelog
was slow, "all time" reads slower (bench/RESULTS.md).

So one small index, ``<prefix>.objects`` (outside the events' ``<prefix>-*`` pattern), holds a
document per (cluster, api_group, resource, namespace, name, UTC day) that has events; for events
without a name (lists, watches, collection deletes of a kind in a namespace) per verb too, as
controllers list every kind every day while a collection delete is rare. The store
writes them in the same bulk requests as the events, with ids derived from that key, so "at
least once" is enough and other writers' copies are refused as duplicates. A read that names one
object asks this index for its days first, then only those days' indices.

Trust: the index is used only once it holds the ``complete`` marker, written when it is started
on a store without events, or by ``backfill`` (``manage.py index_objects`` and the daily purge)
for a store whose events were written before it existed. Until then reads ask every index.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from auditui.events.normalize import AuditRecord
from auditui.events.store.base import EventQuery, ObjectRef
from auditui.events.store.bodies import TEMPLATE_PRIORITY
from auditui.events.store.layout import Layout, day_bounds, safe_cluster
from auditui.events.store.transport import SearchEngineError, Transport

KEY_FIELDS = ("cluster", "api_group", "resource", "namespace", "name")
# Keys of events without a name end with their verb.
NAMELESS_KEY_FIELDS = (*KEY_FIELDS, "verb")
COMPLETE_ID = "complete"
# Summary document ids start with this, so that bulk responses tell them from events' ids.
ID_PREFIX = "o"
# An object's days asked for at once: a dozen years of daily activity.
MAX_DAYS = 5000
# Clusters asked for at once (beyond, the overview counts them by searching).
MAX_CLUSTERS = 10_000
# Keys written by this process, not sent again (bounded: objects come and go).
MEMO_MAX = 200_000

MAPPINGS: dict = {
    "dynamic": "strict",
    "properties": {
        **{name: {"type": "keyword"} for name in NAMELESS_KEY_FIELDS},
        "day": {"type": "keyword"},  # ISO date: keyword order is date order
        "complete_at": {"type": "date"},
    },
}


def index_name(prefix: str) -> str:
    return f"{prefix}.objects"


def template_body(prefix: str, *, replicas: int | None) -> dict:
    return side_index_template(index_name(prefix), MAPPINGS, replicas=replicas)


def side_index_template(index: str, mappings: dict, *, replicas: int | None) -> dict:
    """The template of an index kept beside the events (this one, the summary's): one shard.
    Its own template (the events' one matches ``<prefix>-*`` only), so that a bulk that creates
    the index gets these mappings, never dynamic ones."""
    settings: dict[str, Any] = {"number_of_shards": 1}
    if replicas is not None:
        settings["number_of_replicas"] = replicas
    return {"index_patterns": [index], "priority": TEMPLATE_PRIORITY,
            "template": {"settings": settings, "mappings": mappings}}


def is_summary_id(doc_id: str | None) -> bool:
    return bool(doc_id) and (doc_id.startswith(ID_PREFIX) or doc_id == COMPLETE_ID)


def _doc_id(key: tuple[str, ...], day: date) -> str:
    text = "\x00".join((*key, day.isoformat())).encode()
    return ID_PREFIX + hashlib.blake2b(text, digest_size=16).hexdigest()


def _lines(key: tuple[str, ...], day: date, index: str) -> tuple[bytes, bytes]:
    doc = dict(zip(NAMELESS_KEY_FIELDS if len(key) > len(KEY_FIELDS) else KEY_FIELDS, key, strict=True))
    doc["day"] = day.isoformat()
    return (orjson.dumps({"create": {"_index": index, "_id": _doc_id(key, day)}}), orjson.dumps(doc))


class Writer:
    """The summary lines a batch of events adds to a bulk request: one per key and day this
    process has not written yet."""

    def __init__(self, prefix: str) -> None:
        self.index = index_name(prefix)
        self._written: set[tuple[tuple[str, ...], date]] = set()

    def lines(self, records: Iterable[AuditRecord]) -> list[bytes]:
        out: list[bytes] = []
        written = self._written
        for record in records:
            if not record.resource:
                continue  # not about an object (a non-resource URL): no read names it
            key = (record.cluster, record.api_group, record.resource, record.namespace, record.name)
            if not record.name:
                key += (record.verb,)
            entry = (key, record.time.astimezone(UTC).date())
            if entry in written:
                continue
            if len(written) >= MEMO_MAX:
                written.clear()
            written.add(entry)
            out += _lines(*entry, self.index)
        return out

    def forget(self) -> None:
        """A write failed: what it carried may not be stored, so send every key again."""
        self._written.clear()


def complete_lines(prefix: str) -> list[bytes]:
    """The marker that says the summary covers every event of the store."""
    action = {"index": {"_index": index_name(prefix), "_id": COMPLETE_ID}}
    return [orjson.dumps(action), orjson.dumps({"complete_at": datetime.now(UTC).isoformat()})]


def complete_body() -> dict:
    return {"size": 0, "track_total_hits": True, "query": {"ids": {"values": [COMPLETE_ID]}}}


def pinned_key(cluster: str | None, filters: Mapping[str, Any]) -> dict[str, str] | None:
    """The summary fields a read names, when it names one object (a cluster, a resource and a
    name; namespace and group when given; the verb when given for the empty name); None when it
    does not."""
    cluster = filters.get("cluster", cluster)
    if not isinstance(cluster, str) or "resource" not in filters or "name" not in filters:
        return None
    key = {"cluster": cluster}
    for name in KEY_FIELDS[1:]:
        value = filters.get(name)
        if value is not None:
            if not isinstance(value, str):
                return None
            key[name] = value
    if key["name"] == "" and isinstance(filters.get("verb"), str):
        key["verb"] = filters["verb"]
    return key


def nameless_key(filters: Mapping[str, Any]) -> dict[str, str] | None:
    """The summary fields a read of events without a name names (``name`` "" and a ``verb``: a
    kind's collection deletes, in any cluster), with what else it pins; None when it does not."""
    if filters.get("name") != "" or not isinstance(filters.get("verb"), str):
        return None
    key = {"name": "", "verb": filters["verb"]}
    for name in ("cluster", "api_group", "resource", "namespace"):
        if isinstance(filters.get(name), str):
            key[name] = filters[name]
    return key


def cluster_days_body(key: Mapping[str, str], clusters: Sequence[str]) -> dict:
    conditions: list[dict] = [{"term": {name: {"value": value}}} for name, value in sorted(key.items())]
    if clusters:
        conditions.append({"terms": {"cluster": sorted(clusters)}})
    days = {"terms": {"field": "day", "size": MAX_DAYS}}
    return {"size": 0, "query": {"bool": {"filter": conditions}},
            "aggs": {"clusters": {"terms": {"field": "cluster", "size": MAX_CLUSTERS}, "aggs": {"days": days}}}}


def cluster_days_from(response: dict) -> dict[str, list[date]] | None:
    """Each cluster's days in a ``cluster_days_body`` answer; None when there may be more."""
    clusters = response.get("aggregations", {}).get("clusters")
    if clusters is None:
        return {}
    if clusters.get("sum_other_doc_count"):
        return None
    found: dict[str, list[date]] = {}
    for bucket in clusters["buckets"]:
        if bucket["days"].get("sum_other_doc_count"):
            return None
        found[bucket["key"]] = sorted(date.fromisoformat(day["key"]) for day in bucket["days"]["buckets"])
    return found


def days_body(key: Mapping[str, str]) -> dict:
    conditions = [{"term": {name: {"value": value}}} for name, value in sorted(key.items())]
    return {"size": 0, "query": {"bool": {"filter": conditions}},
            "aggs": {"days": {"terms": {"field": "day", "size": MAX_DAYS}}}}


def days_from(response: dict) -> list[date] | None:
    """The days in a ``days_body`` answer, oldest first; None when there may be more."""
    days = response.get("aggregations", {}).get("days")
    if days is None:
        return []  # no summary index (a wildcard matching nothing answers without aggregations)
    if days.get("sum_other_doc_count"):
        return None
    return sorted(date.fromisoformat(bucket["key"]) for bucket in days["buckets"])


def target(layout: Layout, cluster: str, days: Sequence[date], max_chars: int) -> str | None:
    """Index patterns for a cluster's ``days`` (the trailing * keeps a day deleted since from
    being an error); by month when the days do not fit in ``max_chars``; None when neither does."""
    if not days:
        return layout.no_index(cluster)
    by_day = layout.patterns([cluster], days)
    by_month = [layout.month_pattern(cluster, day) for day in days]
    for patterns in (by_day, by_month):
        joined = ",".join(dict.fromkeys(patterns))
        if len(joined) <= max_chars:
            return joined
    return None


def chunks(layout: Layout, cluster: str, days: Sequence[date], max_chars: int) -> list[str]:
    """Index patterns for a cluster's ``days``, in their order, packed into targets of at most
    ``max_chars`` each (reading them one after the other reads the days in order)."""
    out: list[str] = []
    current = ""
    for pattern in layout.patterns([cluster], days):
        if current and len(current) + 1 + len(pattern) > max_chars:
            out.append(current)
            current = ""
        current = f"{current},{pattern}" if current else pattern
    if current:
        out.append(current)
    return out


def backfill_body(after: dict | None, page: int, *, nameless: bool) -> dict:
    """Every (key, UTC day) that has events, a composite page at a time: of named objects, or
    (``nameless``) of events without a name."""
    fields = NAMELESS_KEY_FIELDS if nameless else KEY_FIELDS
    sources: list[dict] = [{name: {"terms": {"field": name}}} for name in fields]
    sources.append({"day": {"date_histogram": {"field": "time", "calendar_interval": "1d", "time_zone": "UTC"}}})
    composite: dict[str, Any] = {"size": page, "sources": sources}
    if after:
        composite["after"] = after
    no_name = {"term": {"name": {"value": ""}}}
    query = {"bool": {"must_not": [{"term": {"resource": {"value": ""}}}, *([] if nameless else [no_name])],
                      "filter": [no_name] if nameless else []}}
    return {"size": 0, "query": query, "aggs": {"keys": {"composite": composite}}}


def backfill_lines(buckets: Iterable[dict], prefix: str) -> list[bytes]:
    index = index_name(prefix)
    out: list[bytes] = []
    for bucket in buckets:
        values = bucket["key"]
        day = datetime.fromtimestamp(values["day"] / 1000, UTC).date()
        fields = NAMELESS_KEY_FIELDS if "verb" in values else KEY_FIELDS
        out += _lines(tuple(values[name] for name in fields), day, index)
    return out


def purge_body(cutoff_day: date) -> dict:
    return {"query": {"range": {"day": {"lt": cutoff_day.isoformat()}}}}


class ObjectDays:
    """A search-engine store's object-days index: what it adds to writes, the targets it gives
    reads, and its upkeep. Sends through the store's own transport; ``layout`` is the store's,
    whose prefix names the index and the events' indices."""

    # A read's lookup of an object's days is remembered this long (other processes' writes of a
    # new day show up within it, as events show up within the indices' refresh interval); this
    # process's writes forget it at once.
    CACHE_SECONDS = 5.0
    RECHECK_SECONDS = 60.0

    def __init__(self, transport: Transport, layout: Layout, *, replicas: int | None) -> None:
        self.transport = transport
        self.layout = layout
        self.prefix = layout.prefix
        self.replicas = replicas
        self.index = index_name(self.prefix)
        self.writer = Writer(self.prefix)
        self._complete = False
        self._recheck_at = 0.0
        self._cache: dict[tuple, tuple[float, list[date] | None]] = {}

    # --- writes ---------------------------------------------------------------------------
    def put_template(self, *, has_events: bool) -> None:
        """Its template; on a store without events yet (no event index), the summary is complete
        from the start."""
        self.transport.put_template(self.index, template_body(self.prefix, replicas=self.replicas))
        if not has_events:
            self._send(complete_lines(self.prefix))
            self.transport.refresh(self.index)

    def lines(self, records: Sequence[AuditRecord]) -> list[bytes]:
        lines = self.writer.lines(records)
        if lines:
            self._cache.clear()
        return lines

    def _send(self, lines: list[bytes]) -> None:
        items = self.transport.bulk(b"\n".join([*lines, b""]))
        failed = [item for item in items if next(iter(item.values())).get("status", 500) not in (200, 201, 409)]
        if failed:
            raise SearchEngineError(f"the object-days index refused {len(failed)} entries; first: {failed[0]}")

    # --- reads ----------------------------------------------------------------------------
    def ready(self) -> bool:
        """Whether the index covers every event (its marker is there); rechecked now and then
        until it does."""
        if not self._complete and time.monotonic() >= self._recheck_at:
            self._recheck_at = time.monotonic() + self.RECHECK_SECONDS
            response = self.transport.search(self.index + "*", complete_body())
            self._complete = response["hits"]["total"]["value"] > 0
        return self._complete

    def days(self, key: Mapping[str, str]) -> list[date] | None:
        """The UTC days the object has events on, oldest first; None when unknown."""
        if not self.ready():
            return None
        cache_key = tuple(sorted(key.items()))
        now = time.monotonic()
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = days_from(self.transport.search(self.index, days_body(key)))
        if len(self._cache) > 1024:
            self._cache.clear()
        self._cache[cache_key] = (now + self.CACHE_SECONDS, found)
        return found

    def target_for(self, q: EventQuery, clusters: tuple[str, ...], obj: ObjectRef | None, *,
                   max_chars: int) -> str | None:
        """The indices of the days in ``q``'s range that its object has events on (``obj``, or
        the one its filters name in its single cluster); None when it names none, or the days
        are not known."""
        found = self._days_in_range(q, clusters, obj)
        if found is None and obj is None:
            return self._nameless_target(q, clusters, max_chars)
        return target(self.layout, found[0], found[1], max_chars) if found is not None else None

    def _nameless_target(self, q: EventQuery, clusters: tuple[str, ...], max_chars: int) -> str | None:
        """For a read of events without a name and of one verb (collection deletes, rare), in any
        number of clusters: the indices of the days they happened on; None when not known."""
        key = nameless_key(q.filters)
        if key is None or not self.ready():
            return None
        found = cluster_days_from(self.transport.search(self.index, cluster_days_body(key, clusters)))
        if found is None:
            return None
        first, last = day_bounds(q.start, q.end)
        patterns: list[str] = []
        for cluster, days in sorted(found.items()):
            days = [day for day in days if (first is None or day >= first) and (last is None or day <= last)]
            one = target(self.layout, safe_cluster(cluster), days, max_chars) if days else None
            if days and one is None:
                return None
            patterns += [one] if one else []
        joined = ",".join(patterns) or self.layout.no_index()
        return joined if len(joined) <= max_chars else None

    def chunks_for(self, q: EventQuery, obj: ObjectRef, *, max_chars: int) -> list[str] | None:
        """Like ``target_for``, as targets of at most ``max_chars`` each, oldest days first (for
        reads of every event in order, which can read them one after the other)."""
        found = self._days_in_range(q, (obj.cluster,), obj)
        return chunks(self.layout, found[0], found[1], max_chars) if found is not None else None

    def _days_in_range(self, q: EventQuery, clusters: tuple[str, ...],
                       obj: ObjectRef | None) -> tuple[str, list[date]] | None:
        """The object's index name for its cluster, and its days in ``q``'s range."""
        if obj is not None:
            key = pinned_key(obj.cluster, {"resource": obj.resource, "namespace": obj.namespace,
                                           "name": obj.name, "api_group": obj.api_group})
        else:
            key = pinned_key(clusters[0] if len(clusters) == 1 else None, q.filters)
        days = self.days(key) if key is not None else None
        if days is None:
            return None
        first, last = day_bounds(q.start, q.end)
        days = [day for day in days if (first is None or day >= first) and (last is None or day <= last)]
        return safe_cluster(key["cluster"]), days

    def clusters(self) -> list[str] | None:
        """Every cluster with events; None when not known."""
        if not self.ready():
            return None
        body = {"size": 0, "aggs": {"clusters": {"terms": {"field": "cluster", "size": MAX_CLUSTERS}}}}
        clusters = self.transport.search(self.index, body).get("aggregations", {}).get("clusters", {})
        if clusters.get("sum_other_doc_count"):
            return None
        return [bucket["key"] for bucket in clusters.get("buckets", [])]

    # --- upkeep ---------------------------------------------------------------------------
    def backfill(self, page: int = 1000, progress: Callable[[int], None] | None = None) -> int:
        """Index the days of every event stored, then mark the summary complete; the entries
        sent (0 when it already was). For stores written before the summary existed; the store
        puts its templates in place first (``SearchEngineStore.index_objects``)."""
        if self.ready():
            return 0
        events = f"{self.prefix}-*"
        self.transport.refresh(events)
        sent = 0
        for nameless in (False, True):
            after = None
            while True:
                body = backfill_body(after, page, nameless=nameless)
                groups = self.transport.search(events, body).get("aggregations", {}).get("keys")
                if not groups or not groups["buckets"]:
                    break
                self._send(backfill_lines(groups["buckets"], self.prefix))
                sent += len(groups["buckets"])
                if progress is not None:
                    progress(sent)
                after = groups.get("after_key")
                if not after or len(groups["buckets"]) < page:
                    break
        self._send(complete_lines(self.prefix))
        self.transport.refresh(self.index)
        self._complete = True
        return sent

    def purge(self, cutoff_day: date) -> None:
        self.transport.delete_by_query(self.index + "*", purge_body(cutoff_day))
        self._cache.clear()

    def drop(self) -> None:
        self.transport.delete_index(self.index)
        self.transport.delete_template(self.index)
        self.writer.forget()
        self._complete, self._recheck_at = False, 0.0
        self._cache.clear()
