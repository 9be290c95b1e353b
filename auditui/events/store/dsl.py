"""The search-engine side of the query language: index documents, mappings, and the compiler
from the query AST (``auditui.events.query``) and the viewer's scope to the query DSL.

Everything here is plain dicts, valid on Elasticsearch 8/9 and OpenSearch 2.x alike: only
``keyword``, ``long`` and ``date`` fields, and ``bool``/``term``/``terms``/``range``/
``wildcard``/``exists``/``ids`` queries. The semantics are those of ``matcher.py`` (see the
package docstring of ``auditui.events.query``); tests/events/test_query_search_engine.py holds
the two to each other on the real samples and on random queries.

Raw paths. A condition on any dotted path into the event (``requestObject.spec.replicas >= 3``)
must mean what ``fields.raw_values`` means: lists are looked through, and a path is the keys
joined with dots (so a key may itself contain dots). Neither ``flattened`` (Elasticsearch) nor
``flat_object`` (OpenSearch) exists on both engines, and dynamic mappings of arbitrary
Kubernetes objects explode and clash on types. So every document carries its raw content
flattened into four multi-valued keyword fields, one entry per value found in the event:

* ``raw_s``  ``<len(path)>:<path>=<string>``  strings (``=``, wildcards, code-point order);
* ``raw_n``  ``<len(path)>:<path>=<sortable number>``  numbers, in an encoding whose byte order
  is numeric order, exact for any JSON number (``30``, ``30.0`` and ``3e1`` are one entry);
* ``raw_b``  ``<len(path)>:<path>=true|false``  booleans;
* ``raw_ne`` ``<path>``  paths holding a value that makes ``EMPTY`` false;

plus ``raw_h`` (``<len(path)>:<path>=<sha256>``) for strings too long for one index term. The
length prefix makes the path end unambiguous, so "every entry of this path" is a key range.
Keyword ranges compare UTF-8 bytes, which is code-point order, as Python and SQLite compare.
A string longer than ``MAX_TERM_BYTES`` (a Lucene term limit) is found by ``=`` through its
hash, but never by a wildcard or an ordering operator (documented limitation).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from auditui.access.scope import RESERVED_CLUSTER, Grant, ViewerScope, is_wildcard

# Keyword (text) and list fields, and those added after the first release: documents written
# before lack them (read as "").
from auditui.events.fields import KEYWORD_FIELDS, LATER_FIELDS, LIST_FIELDS
from auditui.events.normalize import AuditRecord
from auditui.events.query.errors import QueryError
from auditui.events.query.fields import COLUMNS, TEXT_SEARCH_COLUMNS, column_for, value_for_key
from auditui.events.query.nodes import And, Compare, Empty, InSet, Node, Not, Or, Text
from auditui.events.query.patterns import _units, unescape
from auditui.events.query.values import Value, ascii_lower, read_value, time_range
from auditui.events.store.base import from_micros, micros

MATCH_ALL: dict = {"match_all": {}}
MATCH_NONE: dict = {"match_none": {}}

RAW_FIELDS = ("raw_s", "raw_n", "raw_b", "raw_h", "raw_ne")
# Index-only fields: derived from ``raw`` and the columns; searches leave them out of the hits.
DERIVED_FIELDS = (*RAW_FIELDS, "text_lc")
# Lucene refuses terms over 32766 UTF-8 bytes; stay clear of it.
MAX_TERM_BYTES = 32000
# ``ignore_above`` counts characters: at most 4 bytes each, this keeps a column under the limit.
COLUMN_IGNORE_ABOVE = 8000
_DOC_ID = re.compile(r"[0-9a-f]{32}")
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def _keyword(ignore_above: int | None = COLUMN_IGNORE_ABOVE) -> dict:
    return {"type": "keyword", "ignore_above": ignore_above} if ignore_above else {"type": "keyword"}


MAPPINGS: dict = {
    "dynamic": "strict",
    # The raw event is kept whole in _source (``enabled: false``: stored, not indexed); what is
    # indexed from it lives in the derived fields. Those stay in the stored _source too: leaving
    # them out with ``_source.excludes`` makes the node parse and write every document's source
    # again, a large part of its indexing time (bench/RESULTS.md); searches filter them out instead
    # (``bodies.HIT_SOURCE``).
    "properties": {
        "event_id": {"type": "keyword"},
        "seq": {"type": "long"},
        **{name: _keyword() for name in KEYWORD_FIELDS},
        **{name: _keyword() for name in LIST_FIELDS},
        "response_code": {"type": "long"},
        # Written as epoch milliseconds (ISO text from earlier versions still parses).
        "time": {"type": "date", "format": "epoch_millis||strict_date_optional_time"},
        # No longer written (stage_time_us is); mapped for documents of earlier versions.
        "stage_time": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
        # Exact to the microsecond (as the SQL columns), for comparisons, sorting and cursors.
        "time_us": {"type": "long"},
        "stage_time_us": {"type": "long"},
        "raw": {"type": "object", "enabled": False},
        "text_lc": _keyword(),
        **{name: _keyword(None) for name in RAW_FIELDS},
    },
}


# --- documents ----------------------------------------------------------------------------

def event_id(cluster: str, audit_id: str, stage: str) -> str:
    """The document id: the same (cluster, auditID, stage) always gets the same id."""
    key = "\x00".join((cluster, audit_id, stage)).encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def document(record: AuditRecord, *, seq: int = 0) -> dict:
    """What is indexed for one record: the columns, the raw event, and what is derived from them.

    ``seq`` orders events stored in the same microsecond of event time (the SQL store's id).
    """
    doc: dict[str, Any] = {name: getattr(record, name) for name in KEYWORD_FIELDS}
    doc["event_id"] = event_id(record.cluster, record.audit_id, record.stage)
    doc["seq"] = seq
    doc["user_groups"] = list(record.user_groups)
    doc["source_ips"] = list(record.source_ips)
    if record.response_code is not None:
        doc["response_code"] = record.response_code
    # ``time`` (a date, for histograms) as epoch milliseconds: cheaper to write and to parse than
    # ISO text. The stage time is kept in microseconds only: nothing reads it as a date.
    time_us = doc["time_us"] = micros(record.time)
    doc["time"] = time_us // 1000
    if record.stage_time is not None:
        doc["stage_time_us"] = micros(record.stage_time)
    doc["raw"] = record.raw
    # Distinct values only: a wildcard matches a term, however many times it occurs.
    doc["text_lc"] = list(dict.fromkeys(ascii_lower(getattr(record, name)) for name in TEXT_SEARCH_COLUMNS))
    doc.update(raw_entries(record.raw))
    return doc


def public_id(doc_id: str, time_us: int) -> str:
    """The id a record carries (links, the API): the UTC day of the event, which names its daily
    indices, then the document id. Reading one event then asks that day's indices, one per
    cluster, instead of every day's (a year of them is a thousand shard requests)."""
    return f"{from_micros(time_us):%Y%m%d}-{doc_id}"


def parse_public_id(text: str) -> tuple[date | None, str] | None:
    """(day, document id) from a ``public_id``; a bare document id (links made before the day
    was part of it) has no day. None when it is neither."""
    day_part, _, doc_id = text.rpartition("-")
    if not _DOC_ID.fullmatch(doc_id):
        return None
    if not day_part:
        return None, doc_id
    try:
        return datetime.strptime(day_part, "%Y%m%d").date(), doc_id
    except ValueError:
        return None


def record_from_source(source: dict, doc_id: str) -> AuditRecord:
    """The record back from a hit's _source (the inverse of ``document``)."""
    values = {name: source.get(name, "") for name in KEYWORD_FIELDS}
    stage_us = source.get("stage_time_us")
    return AuditRecord(
        **values,
        time=from_micros(source["time_us"]),
        stage_time=from_micros(stage_us) if stage_us is not None else None,
        user_groups=list(source.get("user_groups") or []),
        source_ips=list(source.get("source_ips") or []),
        response_code=source.get("response_code"),
        raw=source.get("raw") or {},
        id=public_id(doc_id, source["time_us"]),
    )


def path_prefix(path: str) -> str:
    """The start of every raw entry of ``path``; the length makes where the path ends explicit."""
    return f"{len(path)}:{path}="


def _path_end(path: str) -> str:
    # The smallest string above every entry that starts with path_prefix(path) ("=" + 1 is ">").
    return f"{len(path)}:{path}>"


def encode_number(number: int | float | Decimal) -> str:
    """A string whose byte order is the numeric order, the same for every spelling of a value.

    ``P<exponent><digits>`` for positives, ``O`` for zero, ``N<exponent'><digits'>~`` for
    negatives (exponent and digits complemented, ``~`` ends them so that a prefix sorts last).
    """
    value = Decimal(number)
    if value.is_zero():
        return "O"
    sign, digits, _exponent = value.normalize().as_tuple()
    adjusted = value.adjusted()
    if not -4999 <= adjusted <= 4999:
        raise ValueError(f"number out of range: {number!r}")
    text = "".join(map(str, digits))
    if sign == 0:
        return f"P{adjusted + 5000:04d}{text}"
    complement = "".join(str(9 - int(d)) for d in text)
    return f"N{4999 - adjusted:04d}{complement}~"


_COLUMN_PATHS = frozenset(COLUMNS)
# Entry prefixes of the paths seen lately: events repeat the same few hundred paths, and making
# the prefix again for every value is a fifth of the walk. Bounded, as label and data keys are not.
_PREFIXES: dict[str, str] = {}
_PREFIXES_MAX = 20_000


def _remember_prefix(path: str) -> str:
    if len(_PREFIXES) >= _PREFIXES_MAX:
        _PREFIXES.clear()
    prefix = _PREFIXES[path] = path_prefix(path)
    return prefix


def raw_entries(raw: Any) -> dict[str, list[str]]:
    """The raw-path entries of an event (see the module docstring).

    This runs for every event written to a search engine, so it is written for speed: exact
    type checks (values come from a JSON parser) and one pass with an explicit stack (events
    can nest deeper than Python's recursion limit). tests/events/test_store_dsl.py holds it to
    a plain reference walk on random JSON.
    """
    strings: set[str] = set()
    numbers: set[str] = set()
    booleans: set[str] = set()
    hashed: set[str] = set()
    nonempty: set[str] = set()
    columns = _COLUMN_PATHS
    prefixes = _PREFIXES
    # The event itself has no key: start from its members (or those of the objects in a list).
    stack: list[tuple[str, Any]] = []
    roots = [raw]
    while roots:
        root = roots.pop()
        if type(root) is dict:
            stack.extend(root.items())
        elif type(root) is list:
            roots.extend(root)
    while stack:
        path, value = stack.pop()
        kind = type(value)
        if kind is list:
            stack += [(path, item) for item in value]
            continue
        if kind is dict:
            stack += [(f"{path}.{name}", child) for name, child in value.items()]
        # A path that is an indexed column is always queried through its column, so indexing
        # its values again would only cost time.
        if value is None or path in columns:
            continue
        prefix = prefixes.get(path)
        if prefix is None:
            prefix = _remember_prefix(path)
        if kind is str:
            if value:
                nonempty.add(path)
            entry = prefix + value
            if len(entry) * 4 <= MAX_TERM_BYTES or len(entry.encode("utf-8", "surrogatepass")) <= MAX_TERM_BYTES:
                strings.add(entry)
            else:
                hashed.add(prefix + _digest(value))
            continue
        nonempty.add(path)
        if kind is bool:
            booleans.add(prefix + ("true" if value else "false"))
        elif kind is int or kind is float:
            # NaN, infinities or absurd exponents are not JSON numbers a query can compare with.
            with contextlib.suppress(ValueError, ArithmeticError):
                numbers.add(prefix + encode_number(value))
    return {
        "raw_s": sorted(strings), "raw_n": sorted(numbers), "raw_b": sorted(booleans),
        "raw_h": sorted(hashed), "raw_ne": sorted(nonempty),
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- combinators --------------------------------------------------------------------------

def all_of(queries: Iterable[dict]) -> dict:
    parts = [q for q in queries if q != MATCH_ALL]
    if any(q == MATCH_NONE for q in parts):
        return MATCH_NONE
    if not parts:
        return MATCH_ALL
    return parts[0] if len(parts) == 1 else {"bool": {"filter": parts}}


def any_of(queries: Iterable[dict]) -> dict:
    parts = [q for q in queries if q != MATCH_NONE]
    if any(q == MATCH_ALL for q in parts):
        return MATCH_ALL
    if not parts:
        return MATCH_NONE
    return parts[0] if len(parts) == 1 else {"bool": {"should": parts, "minimum_should_match": 1}}


def negate(query: dict) -> dict:
    if query == MATCH_ALL:
        return MATCH_NONE
    if query == MATCH_NONE:
        return MATCH_ALL
    return {"bool": {"must_not": [query]}}


def _term(field: str, value: Any) -> dict:
    return {"term": {field: {"value": value}}}


def _wildcard(field: str, pattern: str) -> dict:
    return {"wildcard": {field: {"value": pattern}}}


def _range(field: str, **bounds: Any) -> dict:
    return {"range": {field: bounds}}


def lucene_wildcard(pattern: str) -> str:
    """A query-language pattern (``patterns.py``) as a Lucene wildcard: ``\\`` escapes literals."""
    return "".join(char if wild else _escape_char(char) for char, wild in _units(pattern))


def lucene_literal(text: str) -> str:
    return "".join(_escape_char(char) for char in text)


def _escape_char(char: str) -> str:
    return "\\" + char if char in "*?\\" else char


# --- the viewer's scope -------------------------------------------------------------------

def _shell_patterns(field: str, patterns: Sequence[str]) -> dict:
    """Scope patterns: ``*`` and ``?`` wildcards, every other character literal (as ``patterns.shell_wildcard``)."""
    if "*" in patterns:
        return MATCH_ALL
    exact = sorted({p for p in patterns if "*" not in p and "?" not in p})
    wild = [p for p in patterns if "*" in p or "?" in p]
    parts = [{"terms": {field: exact}}] if exact else []
    parts += [_wildcard(field, "".join(c if c in "*?" else _escape_char(c) for c in p)) for p in wild]
    return any_of(parts)


def _clusters(patterns: Sequence[str]) -> dict:
    """Cluster patterns as ``access.scope.cluster_matches`` reads them (``sql._clusters_q``'s twin):
    wildcards never reach the reserved cluster, only its name does."""
    exact = sorted({p for p in patterns if not is_wildcard(p)})
    wild = [p for p in patterns if is_wildcard(p)]
    parts = [{"terms": {"cluster": exact}}] if exact else []
    if wild:
        parts.append(all_of([_shell_patterns("cluster", wild), negate(_term("cluster", RESERVED_CLUSTER))]))
    return any_of(parts)


def _grant(grant: Grant) -> dict:
    parts = [_clusters(grant.clusters)]
    if not grant.cluster_wide:
        parts += [negate(_term("namespace", "")), _shell_patterns("namespace", grant.namespaces)]
    return all_of(parts)


def scope_query(scope: ViewerScope) -> dict:
    """The one translation of a viewer's scope into the query DSL (``sql.scope_q``'s twin)."""
    if scope.everything:
        return MATCH_ALL
    return any_of(_grant(grant) for grant in scope.grants)


# --- the query language -------------------------------------------------------------------

def compile_query(node: Node) -> dict:
    """The query DSL for an AST, with exactly the matcher's semantics."""
    if isinstance(node, And):
        return all_of(compile_query(child) for child in node.children)
    if isinstance(node, Or):
        return any_of(compile_query(child) for child in node.children)
    if isinstance(node, Not):
        return negate(compile_query(node.child))
    if isinstance(node, Compare):
        if node.op == "!=":
            return negate(_compare(node.key, "=", node.value))
        return _compare(node.key, node.op, node.value)
    if isinstance(node, InSet):
        found = any_of(_compare(node.key, "=", value) for value in node.values)
        return negate(found) if node.negate else found
    if isinstance(node, Empty):
        return _empty(node.key)
    if isinstance(node, Text):
        return _wildcard("text_lc", lucene_wildcard(f"*{ascii_lower(node.term)}*"))
    raise TypeError(f"not a query node: {node!r}")


def _compare(key: str, op: str, text: str) -> dict:
    column = column_for(key)
    if column is None:
        return _raw_compare(key, op, read_value(text))
    if column.kind == "time":
        return _time(f"{column.name}_us", op, text)
    value = read_value(value_for_key(key, text))
    if column.kind == "int":
        return _integer(column.name, op, value)
    # Text and list columns hold strings only: a string comparison, any element for lists.
    return _string(column.name, "", op, value)


def _string(field: str, prefix: str, op: str, value: Value) -> dict:
    if op == "=" and value.wildcard:
        return _wildcard(field, lucene_literal(prefix) + lucene_wildcard(value.pattern))
    target = prefix + value.text
    if op == "=":
        return _term(field, target)
    if op in ("<", "<="):
        bounds = {"lt" if op == "<" else "lte": target}
        if prefix:
            bounds["gte"] = prefix
        return _range(field, **bounds)
    bounds = {"gt" if op == ">" else "gte": target}
    if prefix:
        bounds["lt"] = prefix[:-1] + ">"
    return _range(field, **bounds)


def _raw_compare(key: str, op: str, value: Value) -> dict:
    """Some value at the path passes ``matcher.leaf_matches``: string, number or boolean."""
    prefix = path_prefix(key)
    parts = [_string("raw_s", prefix, op, value)]
    too_long = len((prefix + value.text).encode("utf-8", "surrogatepass")) > MAX_TERM_BYTES
    if op == "=" and not value.wildcard and too_long:
        parts.append(_term("raw_h", prefix + _digest(value.text)))
    if value.number is not None:
        parts.append(_ordered("raw_n", prefix, op, prefix + encode_number(value.number), _path_end(key)))
    if op == "=" and value.boolean is not None:
        parts.append(_term("raw_b", prefix + ("true" if value.boolean else "false")))
    return any_of(parts)


def _ordered(field: str, prefix: str, op: str, target: str, end: str) -> dict:
    if op == "=":
        return _term(field, target)
    return _range(field, **{
        "<": {"gte": prefix, "lt": target},
        "<=": {"gte": prefix, "lte": target},
        ">": {"gt": target, "lt": end},
        ">=": {"gte": target, "lt": end},
    }[op])


def _integer(field: str, op: str, value: Value) -> dict:
    """An integer column against any number, decided exactly here (not by the engine's coercion)."""
    number = value.number
    if number is None:
        return MATCH_NONE
    exact = Decimal(number)
    floor, ceil = int(exact.to_integral_value("ROUND_FLOOR")), int(exact.to_integral_value("ROUND_CEILING"))
    if op == "=":
        return _term(field, floor) if floor == ceil and _LONG_MIN <= floor <= _LONG_MAX else MATCH_NONE
    low, high = {
        "<": (None, ceil - 1),
        "<=": (None, floor),
        ">": (floor + 1, None),
        ">=": (ceil, None),
    }[op]
    if (low is not None and low > _LONG_MAX) or (high is not None and high < _LONG_MIN):
        return MATCH_NONE
    bounds = {}
    if low is not None and low > _LONG_MIN:
        bounds["gte"] = low
    if high is not None and high < _LONG_MAX:
        bounds["lte"] = high
    return _range(field, **bounds) if bounds else {"exists": {"field": field}}


def _time(field: str, op: str, text: str) -> dict:
    span = time_range(unescape(text))
    if span is None:
        raise QueryError(f'"{text}" is not a time (RFC3339, "2006-01-02 15:04:05" or "2006-01-02")')
    start, end = micros(span[0]), micros(span[1])
    bounds = {
        "=": {"gte": start, "lt": end},
        "<": {"lt": start},
        "<=": {"lt": end},
        ">": {"gte": end},
        ">=": {"gte": start},
    }[op]
    return _range(field, **bounds)


def _empty(key: str) -> dict:
    column = column_for(key)
    if column is None:
        return negate(_term("raw_ne", key))
    if column.kind == "list":
        return negate(_range(column.name, gt=""))
    if column.kind == "text":
        empty = _term(column.name, "")
        if column.name in LATER_FIELDS:
            return any_of([empty, negate({"exists": {"field": column.name}})])
        return empty
    field = f"{column.name}_us" if column.kind == "time" else column.name
    return negate({"exists": {"field": field}})


# --- a whole EventQuery -------------------------------------------------------------------

def _filter(name: str, value: Any) -> dict:
    if value is None:
        return negate({"exists": {"field": name}}) if name == "response_code" else MATCH_NONE
    if isinstance(value, list | tuple | set):
        raise QueryError(f"filter {name} takes one value")
    return _term(name, value)


def event_query(q: Any) -> dict:
    """The DSL for an ``EventQuery``: scope, time range, clusters, exact filters and the query."""
    parts = [scope_query(q.scope)]
    if q.start or q.end:
        bounds = {}
        if q.start:
            bounds["gte"] = micros(q.start)
        if q.end:
            bounds["lt"] = micros(q.end)
        parts.append(_range("time_us", **bounds))
    if q.clusters:
        parts.append({"terms": {"cluster": sorted(set(q.clusters))}})
    parts += [_filter(name, value) for name, value in sorted(q.filters.items())]
    if q.query is not None:
        parts.append(compile_query(q.query))
    return all_of(parts)
