"""The search-engine side of the query language: the compiler from the query AST
(``auditui.events.query``) and the viewer's scope to the query DSL, over the fields of
``engine_mapping`` in the documents ``engine_document`` builds.

Everything here is plain dicts, valid on Elasticsearch 8/9 and OpenSearch 2.x alike: only
``keyword``, ``long`` and ``date`` fields, and ``bool``/``term``/``terms``/``range``/
``wildcard``/``regexp``/``exists``/``ids`` queries. The semantics are those of ``matcher.py`` (see the
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

A key with ``*`` segments (``auditui.events.query.paths``) is a ``regexp`` query on the same
fields: ``[0-9]+:`` then the path with ``[^=]+`` for each ``*``, then ``=`` and the value. The
term dictionary is sorted, so the engine seeks to each length's literal prefix instead of
reading every term; no script reads a document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from auditui.access.scope import RESERVED_CLUSTER, Grant, ViewerScope, is_wildcard
from auditui.events.query.errors import QueryError
from auditui.events.query.fields import column_for, value_for_key
from auditui.events.query.nodes import And, Compare, Empty, InSet, Node, Not, Or, Text
from auditui.events.query.paths import is_wildcard_key, regexp_literal, regexp_path
from auditui.events.query.patterns import unescape, units
from auditui.events.query.values import Value, ascii_lower, read_value, time_range
from auditui.events.store.base import from_micros, micros
from auditui.events.store.engine_document import digest, encode_number, path_end, path_prefix
from auditui.events.store.engine_mapping import LATER_FIELDS, MAX_TERM_BYTES

__all__ = ["MATCH_ALL", "MATCH_NONE", "all_of", "any_of", "compile_query", "event_query", "from_micros", "micros",
           "negate", "scope_query"]

MATCH_ALL: dict = {"match_all": {}}
MATCH_NONE: dict = {"match_none": {}}
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


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
    return "".join(char if wild else _escape_char(char) for char, wild in units(pattern))


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
    if is_wildcard_key(key):
        return _star_compare(key, op, value)
    prefix = path_prefix(key)
    parts = [_string("raw_s", prefix, op, value)]
    too_long = len((prefix + value.text).encode("utf-8", "surrogatepass")) > MAX_TERM_BYTES
    if op == "=" and not value.wildcard and too_long:
        parts.append(_term("raw_h", prefix + digest(value.text)))
    if value.number is not None:
        parts.append(_ordered("raw_n", prefix, op, prefix + encode_number(value.number), path_end(key)))
    if op == "=" and value.boolean is not None:
        parts.append(_term("raw_b", prefix + ("true" if value.boolean else "false")))
    return any_of(parts)


def _regexp(field: str, pattern: str) -> dict:
    # No optional operators: every character that is not a letter or digit is escaped anyway.
    return {"regexp": {field: {"value": pattern, "flags": "NONE"}}}


def _star_compare(key: str, op: str, value: Value) -> dict:
    """``_raw_compare`` for a key with ``*`` segments (``query.paths``): one regular expression
    per entry field, ``<length>:<path>=<value>`` where the path is ``regexp_path`` and the length
    any number (``[^=]+`` in the path finds where it ends). Only ``=``: the parser refuses the rest."""
    if op != "=":
        raise QueryError(f"a key with * takes =, !=, IN, NOTIN or EMPTY, not {op}")
    entry = "[0-9]+:" + regexp_path(key) + "="
    if value.wildcard:
        text = "".join((".*" if char == "*" else ".") if wild else regexp_literal(char)
                       for char, wild in units(value.pattern))
        return _regexp("raw_s", entry + text)
    # A string too long for one index term is indexed by its hash; with a path of unknown
    # length either may hold it.
    parts = [_regexp("raw_s", entry + regexp_literal(value.text)),
             _regexp("raw_h", entry + digest(value.text))]
    if value.number is not None:
        parts.append(_regexp("raw_n", entry + regexp_literal(encode_number(value.number))))
    if value.boolean is not None:
        parts.append(_regexp("raw_b", entry + ("true" if value.boolean else "false")))
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
    if column is None and is_wildcard_key(key):
        return negate(_regexp("raw_ne", regexp_path(key)))
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
