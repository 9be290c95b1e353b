"""Compile the AST to a Django ``Q`` on ``AuditEvent``: indexed keys use their columns, every
other key walks the ``raw`` JSON. Semantics are those of ``matcher.py`` (package docstring)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from datetime import datetime
from functools import reduce

from django.db.models import Q

from .errors import QueryError
from .fields import TEXT_SEARCH_COLUMNS, column_for, value_for_key
from .nodes import And, Compare, Empty, InSet, Node, Not, Or, Text
from .parser import Substitutions, parse
from .patterns import unescape
from .sql_expressions import NON_EMPTY, AnyOf, LeafTest, ListAny, NumberCompare, RawAny, TextCompare, TextGlob
from .values import ascii_lower, read_value, time_range


def _nothing() -> Q:
    # Always false; Django turns it into "no rows" (and its negation into "all rows").
    return Q(pk__in=[])


def compile_q(query_text: str, substitutions: Substitutions | None = None) -> Q:
    """``to_q(parse(query_text, substitutions))``."""
    return to_q(parse(query_text, substitutions))


def to_q(node: Node) -> Q:
    if isinstance(node, And):
        return reduce(operator.and_, (to_q(child) for child in node.children))
    if isinstance(node, Or):
        return reduce(operator.or_, (to_q(child) for child in node.children))
    if isinstance(node, Not):
        return ~to_q(node.child)
    if isinstance(node, Compare):
        if node.op == "!=":
            return ~_compare(node.key, "=", node.value)
        return _compare(node.key, node.op, node.value)
    if isinstance(node, InSet):
        found = _in_set(node.key, node.values)
        return ~found if node.negate else found
    if isinstance(node, Empty):
        return _empty(node.key)
    if isinstance(node, Text):
        pattern = f"*{ascii_lower(node.term)}*"
        return reduce(operator.or_, (Q(TextGlob(name, pattern, fold=True)) for name in TEXT_SEARCH_COLUMNS))
    raise TypeError(f"not a query node: {node!r}")


def _compare(key: str, op: str, text: str) -> Q:
    column = column_for(key)
    if column is None:
        return _raw(key, LeafTest(op, read_value(text)))
    if column.kind == "time":
        return _time(column.name, op, _span(text))
    value = read_value(value_for_key(key, text))
    if column.kind == "list":
        return Q(ListAny(column.name, LeafTest(op, value)))
    if column.kind == "int":
        return Q(NumberCompare(column.name, op, value)) if value.number is not None else _nothing()
    if op == "=" and value.wildcard:
        return Q(TextGlob(column.name, value.pattern))
    if op == "=":
        return Q(**{column.name: value.text})
    return Q(TextCompare(column.name, op, value.text))


_BODY_FLAGS = {"requestObject": "has_request_object", "responseObject": "has_response_object"}


def _raw(key: str, test) -> Q:
    """A condition on a path of the raw event; paths into the request or response body first
    check the event's body flag (see ``normalize.has_body``), a necessary condition that lets
    the database skip the many events recorded without bodies before walking any JSON."""
    condition = Q(RawAny(key, test))
    for body, flag in _BODY_FLAGS.items():
        if key == body or key.startswith(body + "."):
            return Q(**{flag: True}) & condition
    return condition


def _in_set(key: str, values: tuple[str, ...]) -> Q:
    column = column_for(key)
    if not values:
        return _nothing()
    if column is None and len(values) > 1:
        # One walk of the JSON for the whole set, rather than one per value.
        return _raw(key, AnyOf(tuple(LeafTest("=", read_value(value)) for value in dict.fromkeys(values))))
    if column is None or column.kind != "text":
        return reduce(operator.or_, (_compare(key, "=", value) for value in values))
    # Plain values of a text column become one IN (...) that can use the column's index.
    readings = [read_value(value_for_key(key, value)) for value in values]
    plain = sorted({value.text for value in readings if not value.wildcard})
    patterns = dict.fromkeys(value.pattern for value in readings if value.wildcard)
    parts = [Q(TextGlob(column.name, pattern)) for pattern in patterns]
    if plain:
        parts.insert(0, Q(**{f"{column.name}__in": plain}))
    return reduce(operator.or_, parts)


def _empty(key: str) -> Q:
    column = column_for(key)
    if column is None:
        return ~_raw(key, NON_EMPTY)
    if column.kind == "list":
        return ~Q(ListAny(column.name, NON_EMPTY))
    if column.kind == "text":
        return Q(**{column.name: ""})
    return Q(**{f"{column.name}__isnull": True})


def _span(text: str) -> tuple[datetime, datetime]:
    span = time_range(unescape(text))
    if span is None:
        raise QueryError(f'"{text}" is not a time (RFC3339, "2006-01-02 15:04:05" or "2006-01-02")')
    return span


def _time(name: str, op: str, span: tuple[datetime, datetime]) -> Q:
    start, end = span
    bounds: Mapping[str, dict[str, datetime]] = {
        "=": {"gte": start, "lt": end},
        "<": {"lt": start},
        "<=": {"lt": end},
        ">": {"gte": end},
        ">=": {"gte": start},
    }
    # The explicit IS NOT NULL keeps a missing stage time out of positive matches under any NOT.
    return Q(**{f"{name}__isnull": False}, **{f"{name}__{lookup}": at for lookup, at in bounds[op].items()})
