"""The request bodies the search-engine stores send, built offline with ``elasticsearch.dsl``:
plain dicts within the API common to Elasticsearch 8/9 and OpenSearch 2.x, so both backends
send the same ones (``search_engine.py`` says how they are used)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from elasticsearch.dsl import Q, Search

from auditui.events.store import engine_mapping
from auditui.events.store.base import LIST_FIELDS

PIT_KEEP_ALIVE = "2m"
COMPOSITE_PAGE = 1000
TEMPLATE_PRIORITY = 200
# Newest first; among events of the same microsecond, the one stored last first (as the SQL
# store's id order); event_id makes the order total.
SEARCH_SORT = ({"time_us": {"order": "desc"}}, {"seq": {"order": "desc"}}, {"event_id": {"order": "desc"}})
HISTORY_SORT = ({"time_us": {"order": "asc"}}, {"seq": {"order": "asc"}}, {"event_id": {"order": "asc"}})

# What a hit brings back: the stored source without the index-only derived fields.
HIT_SOURCE = {"excludes": list(engine_mapping.DERIVED_FIELDS)}
# Hits for readers of the indexed fields alone (``columns_only``).
COLUMNS_SOURCE = {"excludes": [*engine_mapping.DERIVED_FIELDS, "raw"]}


def _search(query: dict, source: dict = HIT_SOURCE) -> Search:
    return Search().query(Q(query)).extra(track_total_hits=False).source(**source)


def search_body(query: dict, *, size: int, sort: Sequence[dict] = SEARCH_SORT,
                search_after: Sequence[Any] | None = None, pit: str | None = None,
                source: dict = HIT_SOURCE) -> dict:
    s = _search(query, source).sort(*sort).extra(size=size)
    if search_after:
        s = s.extra(search_after=list(search_after))
    if pit:
        s = s.extra(pit={"id": pit, "keep_alive": PIT_KEEP_ALIVE})
    return s.to_dict()


def time_floor_body(query: dict, *, size: int, pit: str | None = None) -> dict:
    """The times of the ``size`` newest matches, sorted by time alone: each shard can then skip
    what cannot compete, where SEARCH_SORT's tiebreakers make it read every match (several
    times slower for a first page of a month of events; bench/RESULTS.md)."""
    body = search_body(query, size=size, sort=SEARCH_SORT[:1], pit=pit)
    body["_source"] = False  # the sort values say it all
    return body


def after_sort_values(after: Sequence[Any]) -> dict:
    """The events strictly after ``after`` (time_us, seq, event_id) in SEARCH_SORT's order, as a
    query: what ``search_after`` selects, for a request sorted differently."""
    time_us, seq, event_id = after
    same_time = {"term": {"time_us": {"value": time_us}}}
    return {"bool": {"minimum_should_match": 1, "should": [
        {"range": {"time_us": {"lt": time_us}}},
        {"bool": {"filter": [same_time, {"range": {"seq": {"lt": seq}}}]}},
        {"bool": {"filter": [same_time, {"term": {"seq": {"value": seq}}}, {"range": {"event_id": {"lt": event_id}}}]}},
    ]}}


def count_body(query: dict) -> dict:
    return {"query": Q(query).to_dict()}


def composite_body(query: dict, group_by: Sequence[str], *, metric: str, field: str | None,
                   after: dict | None = None) -> dict:
    s = _search(query).extra(size=0)
    sources = [
        # A list with no elements has no group (as json_each gives no row); other fields may be
        # missing (no response code) and then group under None.
        {f"k{i}": {"terms": {"field": name, "missing_bucket": name not in LIST_FIELDS}}}
        for i, name in enumerate(group_by)
    ]
    options: dict[str, Any] = {"size": COMPOSITE_PAGE, "sources": sources}
    if after:
        options["after"] = after
    groups = s.aggs.bucket("groups", "composite", **options)
    if metric != "count":
        groups.metric("value", metric, field=field)
        groups.metric("values", "value_count", field=field)
    return s.to_dict()


def histogram_body(query: dict, *, step: int, first: datetime, last: datetime) -> dict:
    s = _search(query).extra(size=0)
    s.aggs.bucket(
        "histogram", "date_histogram", field="time", fixed_interval=f"{step}s", min_doc_count=0,
        # Fixed intervals are rounded from the epoch, like ``bucket_starts``.
        extended_bounds={"min": int(first.timestamp()) * 1000, "max": int(last.timestamp()) * 1000},
    )
    return s.to_dict()


OBJECT_KEYS = ("cluster", "api_group", "resource", "namespace", "name")
ACTIVITY_PAGE = 500


def activity_body(query: dict, *, after: dict | None = None) -> dict:
    """One bucket per object, with its number of events and its newest event (stored last on a tie)."""
    s = _search(query).extra(size=0)
    options: dict[str, Any] = {
        "size": ACTIVITY_PAGE, "sources": [{name: {"terms": {"field": name}}} for name in OBJECT_KEYS],
    }
    if after:
        options["after"] = after
    objects = s.aggs.bucket("objects", "composite", **options)
    objects.metric("last", "top_hits", size=1, sort=list(SEARCH_SORT), _source=HIT_SOURCE)
    return s.to_dict()


def template_body(prefix: str, *, shards: int, replicas: int | None) -> dict:
    # A 5 s refresh: events are searchable within seconds, and indexing does not pay for a new
    # segment every second (measured: bench/ingest.py).
    settings: dict[str, Any] = {"number_of_shards": shards, "refresh_interval": "5s"}
    if replicas is not None:
        settings["number_of_replicas"] = replicas
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": TEMPLATE_PRIORITY,
        "template": {"settings": settings, "mappings": engine_mapping.MAPPINGS},
        "_meta": {"description": "auditui audit events, one index per cluster and day"},
    }
