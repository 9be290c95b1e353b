"""The search-engine compiler and request bodies, without a node.

``evaluate`` below is a small reading of the query DSL subset that ``dsl.py`` emits (Lucene's
rules: keyword ranges compare UTF-8 bytes, wildcards match whole terms, ``ignore_above`` values
are not indexed). With it, the compiler is held to the Python matcher on the real samples and on
random queries quickly; tests/events/test_query_search_engine.py then checks that OpenSearch
reads the same bodies the same way.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditui.access.scope import Grant, ViewerScope
from auditui.events.normalize import normalize_event
from auditui.events.query import Compare, Empty, InSet, Text, escape, matches, parse
from auditui.events.store import EventQuery, StoreError, dsl, engine_document, engine_mapping
from auditui.events.store.engine_config import EngineConfig
from auditui.events.store.engine_cursor import decode_cursor, encode_cursor
from tests.es_proxy import plain_media_type
from tests.events.test_query_sql import AGREEMENT_QUERIES, CRAFTED, CRAFTED_QUERIES, _queries
from tests.factories import audit_event

ALL = ViewerScope.all()


# --- a reading of the DSL, for documents made by engine_document.document -----------------------------

def _values(doc: dict, field: str) -> list[Any]:
    value = doc.get(field)
    values = value if isinstance(value, list) else [] if value is None else [value]
    mapping = engine_mapping.MAPPINGS["properties"][field]
    limit = mapping.get("ignore_above")
    return [v for v in values if not (limit and isinstance(v, str) and len(v) > limit)]


def _key(value: Any) -> Any:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    parts, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        else:
            parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _in_range(value: Any, bounds: dict) -> bool:
    v = _key(value)
    checks = {"gt": lambda b: v > b, "gte": lambda b: v >= b, "lt": lambda b: v < b, "lte": lambda b: v <= b}
    return all(checks[op](_key(bound)) for op, bound in bounds.items())


def evaluate(query: dict, doc: dict) -> bool:
    (kind, body), = query.items()
    if kind == "match_all":
        return True
    if kind == "match_none":
        return False
    if kind == "bool":
        return (all(evaluate(q, doc) for q in body.get("filter", []))
                and not any(evaluate(q, doc) for q in body.get("must_not", []))
                and (not body.get("should") or any(evaluate(q, doc) for q in body["should"])))
    if kind == "ids":
        return doc["event_id"] in body["values"]
    if kind == "exists":
        return bool(_values(doc, body["field"]))
    (field, arg), = body.items()
    values = _values(doc, field)
    if kind == "term":
        return arg["value"] in values
    if kind == "terms":
        return any(v in arg for v in values)
    if kind == "range":
        return any(_in_range(v, arg) for v in values)
    if kind == "wildcard":
        regex = _wildcard_regex(arg["value"])
        return any(regex.fullmatch(v) for v in values)
    raise AssertionError(f"unexpected query {kind}")


@pytest.fixture(scope="module")
def sample_docs(audit_samples):
    records = [normalize_event(event, cluster=cluster) for cluster, event in audit_samples]
    return [(record, engine_document.document(record)) for record in records]


def _agree(node, docs) -> None:
    compiled = dsl.compile_query(node)
    for record, doc in docs:
        assert evaluate(compiled, doc) == matches(node, record.raw, cluster=record.cluster, record=record), (
            record.audit_id, compiled)


@pytest.mark.parametrize("query", AGREEMENT_QUERIES)
def test_it_compiles_what_the_matcher_matches(sample_docs, query):
    _agree(parse(query), sample_docs)


@pytest.mark.parametrize("query", CRAFTED_QUERIES)
def test_it_compiles_crafted_edge_cases(query):
    docs = [(r, engine_document.document(r)) for r in (normalize_event(e, cluster="lab") for e in CRAFTED)]
    _agree(parse(query), docs)


@settings(max_examples=300, deadline=None)
@given(node=_queries)
def test_it_compiles_random_queries_like_the_matcher(audit_samples, node):
    docs = _sample_docs_cache(audit_samples)
    _agree(node, docs)


_CACHE: dict[int, list] = {}


def _sample_docs_cache(samples):
    if id(samples) not in _CACHE:
        records = [normalize_event(event, cluster=cluster) for cluster, event in samples]
        _CACHE[id(samples)] = [(record, engine_document.document(record)) for record in records]
    return _CACHE[id(samples)]


# --- encodings ----------------------------------------------------------------------------

_numbers = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 1e-320, 5e-324, 1.7976931348623157e308, 2**63 - 1, 2**63, 0.1, 30, 30.0, -1.5]),
)


@settings(max_examples=400, deadline=None)
@given(a=_numbers, b=_numbers)
def test_number_encoding_keeps_numeric_order_and_equality(a, b):
    ea, eb = engine_document.encode_number(a), engine_document.encode_number(b)
    assert (ea == eb) == (a == b)
    assert (ea.encode() < eb.encode()) == (a < b)


def test_it_flattens_raw_paths_through_lists_and_dotted_keys():
    entries = engine_document.raw_entries({
        "a.b": {"c": "dotted"}, "a": {"b": {"c": 1}}, "n": [[1, 2.0], []], "t": True, "z": None, "e": "",
        "l": [{"x": "1"}, {"x": 2}], "o": {},
    })
    assert set(entries["raw_s"]) == {"5:a.b.c=dotted", "1:e=", "3:l.x=1"}
    number = engine_document.encode_number
    assert set(entries["raw_n"]) == {"5:a.b.c=" + number(1), "1:n=" + number(1),
                                     "1:n=" + number(2), "3:l.x=" + number(2)}
    assert entries["raw_b"] == ["1:t=true"]
    # Dicts are values (EMPTY is false for them); null, "" and empty lists are not.
    assert set(entries["raw_ne"]) == {"a.b", "a.b.c", "a", "n", "t", "l", "l.x", "o"}


def _reference_raw_entries(raw: Any) -> dict[str, set[str]]:
    """The definition of the raw entries, walked plainly (``engine_document.raw_entries`` is the fast one)."""
    from auditui.events.query.fields import COLUMNS, is_nonempty

    found: dict[str, set[str]] = {name: set() for name in engine_mapping.RAW_FIELDS}

    def leaf(path: str, value: Any) -> None:
        prefix = engine_document.path_prefix(path)
        if isinstance(value, bool):
            found["raw_b"].add(prefix + str(value).lower())
        elif isinstance(value, int | float):
            found["raw_n"].add(prefix + engine_document.encode_number(value))
        elif isinstance(value, str):
            if len((prefix + value).encode("utf-8", "surrogatepass")) <= engine_mapping.MAX_TERM_BYTES:
                found["raw_s"].add(prefix + value)
            else:
                found["raw_h"].add(prefix + engine_document.digest(value))

    def walk(path: str | None, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(path, item)
            return
        if isinstance(value, dict):
            for name, child in value.items():
                walk(name if path is None else f"{path}.{name}", child)
        if path is None or path in COLUMNS:
            return
        if is_nonempty(value):
            found["raw_ne"].add(path)
        leaf(path, value)

    walk(None, raw)
    return found


_json = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6)
    | st.sampled_from(["", "x" * (engine_mapping.MAX_TERM_BYTES // 4 + 1),
                       "\u00e9" * (engine_mapping.MAX_TERM_BYTES // 2)]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["a", "b", "a.b", "", "verb", "objectRef", "namespace", "user", "username", "groups"]),
        children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(raw=_json)
def test_it_finds_the_same_raw_entries_as_the_plain_walk(raw):
    entries = engine_document.raw_entries(raw)
    assert {name: set(values) for name, values in entries.items()} == _reference_raw_entries(raw)
    assert all(values == sorted(values) for values in entries.values())


def test_it_finds_the_same_entries_when_its_prefix_cache_overflows(monkeypatch):
    # The walk remembers the entry prefix of each path; past its bound it starts afresh.
    monkeypatch.setattr(engine_document, "_PREFIXES_MAX", 3)
    engine_document._PREFIXES.clear()
    raw = {"labels": {f"key-{n}": f"value-{n}" for n in range(10)}, "spec": {"replicas": 3, "paused": False}}
    for _ in range(2):
        entries = engine_document.raw_entries(raw)
        assert {name: set(values) for name, values in entries.items()} == _reference_raw_entries(raw)
        assert len(engine_document._PREFIXES) <= 3


def test_it_walks_events_nested_deeper_than_the_recursion_limit():
    raw: Any = {"a": "bottom"}
    for _ in range(3000):
        raw = {"a": raw}
    entries = engine_document.raw_entries(raw)
    assert len(entries["raw_ne"]) == 3001
    assert len(entries["raw_s"]) == 1 and entries["raw_s"][0].endswith("=bottom")


def test_it_hashes_strings_too_long_for_a_term():
    long = "x" * (engine_mapping.MAX_TERM_BYTES + 1)
    doc = engine_document.document(normalize_event(audit_event(requestObject={"data": long}), cluster="c"))
    assert not any(entry.startswith("18:requestObject.data=x") for entry in doc["raw_s"])
    assert evaluate(dsl.compile_query(Compare("requestObject.data", "=", long)), doc)
    assert not evaluate(dsl.compile_query(Compare("requestObject.data", "=", long[:-1])), doc)
    assert not evaluate(dsl.compile_query(Empty("requestObject.data")), doc)


# --- bodies -------------------------------------------------------------------------------

def test_it_compiles_to_plain_dsl():
    assert dsl.compile_query(parse("verb = create")) == {"term": {"verb": {"value": "create"}}}
    assert dsl.compile_query(parse("verb != create")) == {
        "bool": {"must_not": [{"term": {"verb": {"value": "create"}}}]}}
    assert dsl.compile_query(parse(r'verb = "c\*e?"')) == {"wildcard": {"verb": {"value": "c\\*e?"}}}
    assert dsl.compile_query(parse("objectRef.namespace = KUBE-*")) == {"wildcard": {"namespace": {"value": "kube-*"}}}
    assert dsl.compile_query(parse("responseStatus.code = abc")) == dsl.MATCH_NONE
    assert dsl.compile_query(parse("responseStatus.code < 200.5")) == {"range": {"response_code": {"lte": 200}}}
    assert dsl.compile_query(parse("responseStatus.code = 201.0")) == {"term": {"response_code": {"value": 201}}}
    assert dsl.compile_query(parse("responseStatus.code > 1e30")) == dsl.MATCH_NONE
    assert dsl.compile_query(parse("stageTimestamp EMPTY")) == {
        "bool": {"must_not": [{"exists": {"field": "stage_time_us"}}]}}
    day = dsl.micros(datetime(2018, 10, 25, tzinfo=UTC))
    assert dsl.compile_query(parse("time = 2018-10-25")) == {
        "range": {"time_us": {"gte": day, "lt": day + 86_400_000_000}}}
    assert dsl.compile_query(InSet("verb", ())) == dsl.MATCH_NONE
    assert dsl.compile_query(Text(escape("a*b"))) == {"wildcard": {"text_lc": {"value": "*a\\*b*"}}}
    raw = dsl.compile_query(parse("requestObject.spec.replicas >= 3"))
    prefix = engine_document.path_prefix("requestObject.spec.replicas")
    assert raw == {"bool": {"should": [
        {"range": {"raw_s": {"gte": prefix + "3", "lt": prefix[:-1] + ">"}}},
        {"range": {"raw_n": {"gte": prefix + engine_document.encode_number(3), "lt": prefix[:-1] + ">"}}},
    ], "minimum_should_match": 1}}


def test_it_translates_the_viewer_scope():
    assert dsl.scope_query(ALL) == dsl.MATCH_ALL
    assert dsl.scope_query(ViewerScope.nothing()) == dsl.MATCH_NONE
    whole = dsl.scope_query(ViewerScope(grants=(Grant(clusters=("c2",), namespaces=("*",)),)))
    assert whole == {"terms": {"cluster": ["c2"]}}
    ns = dsl.scope_query(ViewerScope(grants=(Grant(clusters=("*",), namespaces=("pay*", "a\\b")),)))
    assert ns == {"bool": {"filter": [
        {"bool": {"must_not": [{"term": {"cluster": {"value": "auditui"}}}]}},  # wildcards skip the trail
        {"bool": {"must_not": [{"term": {"namespace": {"value": ""}}}]}},
        {"bool": {"should": [{"terms": {"namespace": ["a\\b"]}}, {"wildcard": {"namespace": {"value": "pay*"}}}],
                  "minimum_should_match": 1}},
    ]}}


def test_it_builds_an_event_query_with_range_clusters_and_filters():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    q = EventQuery(scope=ALL, start=start, end=start + timedelta(hours=1), clusters=("b", "a"),
                   filters={"verb": "get", "response_code": None})
    assert dsl.event_query(q) == {"bool": {"filter": [
        {"range": {"time_us": {"gte": dsl.micros(start), "lt": dsl.micros(start) + 3_600_000_000}}},
        {"terms": {"cluster": ["a", "b"]}},
        {"bool": {"must_not": [{"exists": {"field": "response_code"}}]}},
        {"term": {"verb": {"value": "get"}}},
    ]}}


def test_cursors_round_trip_and_refuse_garbage():
    after = [1793491200000000, 5, "0" * 32]
    assert decode_cursor(encode_cursor(after, None)) == (after, None)
    assert decode_cursor(encode_cursor(after, "pit")) == (after, "pit")
    for bad in ("not-a-cursor", encode_cursor([1, "x"], None), encode_cursor([1.5, 2, "0" * 32], None), "", "=="):
        with pytest.raises(StoreError):
            decode_cursor(bad)


def test_it_reads_store_urls():
    config = EngineConfig.from_url("opensearch+https://ad%40min:p%3Ass@search.example:9243?verify_certs=false&replicas=0")
    assert (config.engine, config.url, config.username, config.password) == (
        "opensearch", "https://search.example:9243", "ad@min", "p:ss")
    assert (config.verify_certs, config.replicas, config.shards) == (False, 0, 1)
    assert EngineConfig.from_url("elasticsearch://127.0.0.1").url == "http://127.0.0.1:9200"
    assert config.index_period == "day"
    assert EngineConfig.from_url("opensearch://h?index_period=month&shards=2").index_period == "month"
    for bad in ("opensearch+ftp://x", "redis://x", "opensearch://"):
        with pytest.raises(ValueError):
            EngineConfig.from_url(bad)
    # A bad option is named, with what it takes.
    for bad, named in (("index_period=week", "index_period='week': use day or month"),
                       ("shards=0", "shards='0': a whole number, at least 1"),
                       ("replicas=one", "replicas='one': a whole number")):
        with pytest.raises(ValueError, match=re.escape(named)):
            EngineConfig.from_url(f"opensearch://h?{bad}")


def test_get_store_picks_the_backend_from_the_url(settings):
    from django.core.exceptions import ImproperlyConfigured

    from auditui.events.store import get_store
    from auditui.events.store.elasticsearch import ElasticsearchEventStore
    from auditui.events.store.opensearch import OpenSearchEventStore
    from auditui.events.store.sql import SqlEventStore

    assert isinstance(get_store(), SqlEventStore)
    settings.EVENT_STORE_URL = "opensearch://127.0.0.1:1"
    settings.AUDITUI_INDEX_PREFIX = "audit"
    assert isinstance(get_store(), OpenSearchEventStore) and get_store().prefix == "audit"
    settings.EVENT_STORE_URL = "elasticsearch+https://u:p@127.0.0.1:1"
    assert isinstance(get_store(), ElasticsearchEventStore)
    for bad in ("mongodb://x", "opensearch://"):
        settings.EVENT_STORE_URL = bad
        with pytest.raises(ImproperlyConfigured):
            get_store()
    settings.EVENT_STORE_URL = "opensearch://127.0.0.1:1"
    settings.AUDITUI_INDEX_PREFIX = "Bad Prefix"
    with pytest.raises(ImproperlyConfigured, match="prefix"):
        get_store()
    settings.AUDITUI_INDEX_PREFIX, settings.AUDITUI_INDEX_REFRESH = "audit", "sometimes"
    with pytest.raises(ImproperlyConfigured, match="refresh"):
        get_store()


def test_reads_name_only_the_indices_of_their_clusters_and_days():
    from auditui.events.store import store_for

    store = store_for("opensearch://127.0.0.1:1", "audit")  # no request is made
    day = datetime(2026, 11, 1, tzinfo=UTC)
    two_days = EventQuery(scope=ViewerScope.all(), start=day, end=day + timedelta(days=2), clusters=("prod", "dev"))
    assert store.read_target(two_days).split(",") == [
        "audit-dev-2026.11.01*", "audit-dev-2026.11.02*", "audit-prod-2026.11.01*", "audit-prod-2026.11.02*"]
    # An object's cluster narrows an unbounded read; a long range of one cluster names the cluster.
    assert store.read_target(EventQuery(scope=ViewerScope.all()), ("prod",)) == "audit-prod-*"
    a_month = EventQuery(scope=ViewerScope.all(), start=day, end=day + timedelta(days=20))
    assert store.read_target(a_month).split(",")[0] == "audit-*-2026.11.01*"
    assert store.read_target(EventQuery(scope=ViewerScope.all(), start=day, end=day + timedelta(days=400))) == "audit-*"
    # The list goes in the request line: too many clusters fall back to a coarser pattern.
    many = tuple(f"cluster-{n}-{'x' * 80}" for n in range(30))
    assert store.read_target(EventQuery(scope=ViewerScope.all(), clusters=many)) == "audit-*"


def test_a_monthly_store_reads_the_months_of_a_range():
    from auditui.events.store import store_for

    store = store_for("opensearch://127.0.0.1:1?index_period=month", "audit")  # no request is made
    day = datetime(2026, 10, 25, tzinfo=UTC)
    two_weeks = EventQuery(scope=ViewerScope.all(), start=day, end=day + timedelta(days=14), clusters=("prod",))
    assert store.read_target(two_weeks) == "audit-prod-2026.10*,audit-prod-2026.11*"
    # A year is twelve indices of a cluster: named, where a daily store falls back to all of them.
    a_year = EventQuery(scope=ViewerScope.all(), start=day, end=day + timedelta(days=365))
    assert store.read_target(a_year).split(",") == [f"audit-*-{m:%Y.%m}*" for m in store.layout.periods(
        day.date(), (day + timedelta(days=364)).date(), 31)]
    assert len(store.read_target(a_year).split(",")) == 13


def test_the_proxy_turns_compatible_media_types_into_plain_ones():
    assert plain_media_type("application/vnd.elasticsearch+json; compatible-with=9") == "application/json"
    assert plain_media_type("application/vnd.elasticsearch+x-ndjson; compatible-with=8") == "application/x-ndjson"
    assert plain_media_type("text/plain") == "text/plain"


def test_public_ids_name_the_day_of_the_event():
    doc_id = "0123456789abcdef0123456789abcdef"
    time_us = dsl.micros(datetime(2026, 3, 9, 23, 59, tzinfo=UTC))
    assert engine_document.public_id(doc_id, time_us) == f"20260309-{doc_id}"
    assert engine_document.parse_public_id(f"20260309-{doc_id}") == (datetime(2026, 3, 9).date(), doc_id)
    assert engine_document.parse_public_id(doc_id) == (None, doc_id)  # a link from before the day was in ids
    for bad in ("", "42", f"2026030-{doc_id}", f"20261399-{doc_id}", f"x-{doc_id}", doc_id.upper(), f"{doc_id}-1"):
        assert engine_document.parse_public_id(bad) is None, bad


def test_documents_keep_what_records_need():
    record = normalize_event(audit_event(time=datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)), cluster="c")
    doc = engine_document.document(record, seq=7)
    source = {k: v for k, v in doc.items() if k not in engine_mapping.DERIVED_FIELDS}
    back = engine_document.record_from_source(source, doc["event_id"])
    assert back.time == record.time and back.raw == record.raw and back.key == record.key
    assert doc["event_id"] == engine_document.event_id("c", record.audit_id, record.stage)
    assert back.id == "20261101-" + doc["event_id"]  # the day of its index, then the document id
    # The date field is written as epoch milliseconds (cheaper for the node than ISO text).
    assert doc["time"] == 1_793_534_400_123 == doc["time_us"] // 1000 and doc["seq"] == 7
    assert "stage_time" not in doc and doc["stage_time_us"] == dsl.micros(record.stage_time)
    assert math.isclose(doc["time_us"] / 1e6, record.time.timestamp())
