"""Evaluate a query against one raw audit event in Python (drop rules, previews, tests).

The semantics are documented in the package docstring; ``sql.py`` compiles the same rules.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from .errors import QueryError
from .fields import (
    TEXT_SEARCH_COLUMNS,
    column_for,
    columns_of_record,
    is_nonempty,
    raw_values,
    record_columns,
    value_for_key,
)
from .nodes import And, Compare, Empty, InSet, Node, Not, Or, Text
from .patterns import unescape, wildcard
from .values import Value, ascii_lower, read_value, time_matches, time_range

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Event:
    """The event plus its indexed column values, computed once per ``matches`` call."""

    def __init__(self, event: Any, cluster: str, record: Any = None) -> None:
        self.raw = event
        self.cluster = cluster
        self._columns = columns_of_record(record) if record is not None else None

    def column(self, name: str) -> Any:
        if self._columns is None:
            self._columns = record_columns(self.raw, self.cluster)
        return self._columns[name]


def matches(node: Node, event: dict, *, cluster: str = "", record: Any = None) -> bool:
    """True when the event satisfies the query.

    ``record``, the event's ``AuditRecord`` when the caller already normalised it, saves
    normalising it again.
    """
    return _eval(node, _Event(event, cluster, record))


def _eval(node: Node, event: _Event) -> bool:
    if isinstance(node, And):
        return all(_eval(child, event) for child in node.children)
    if isinstance(node, Or):
        return any(_eval(child, event) for child in node.children)
    if isinstance(node, Not):
        return not _eval(node.child, event)
    if isinstance(node, Compare):
        # `!=` is NOT `=`: true when no value equals, including when the key is missing.
        if node.op == "!=":
            return not _compare(node.key, "=", node.value, event)
        return _compare(node.key, node.op, node.value, event)
    if isinstance(node, InSet):
        found = any(_compare(node.key, "=", value, event) for value in node.values)
        return found != node.negate
    if isinstance(node, Empty):
        return _is_empty(node.key, event)
    if isinstance(node, Text):
        return _text_search(node.term, event)
    raise TypeError(f"not a query node: {node!r}")


def _compare(key: str, op: str, text: str, event: _Event) -> bool:
    column = column_for(key)
    if column is None:
        return _any_leaf(raw_values(event.raw, key), op, read_value(text))
    value = event.column(column.name)
    if column.kind == "time":
        span = time_range(unescape(text))
        if span is None:
            raise QueryError(f'"{text}" is not a time (RFC3339, "2006-01-02 15:04:05" or "2006-01-02")')
        return value is not None and time_matches(value, op, span)
    candidates = value if column.kind == "list" else [value]
    return _any_leaf(candidates, op, read_value(value_for_key(key, text)))


def _any_leaf(values: Iterable[Any], op: str, query: Value) -> bool:
    return any(leaf_matches(value, op, query) for value in values)


def leaf_matches(value: Any, op: str, query: Value) -> bool:
    """One JSON value against one query value; `op` is never `!=` here."""
    if isinstance(value, bool):
        return op == "=" and query.boolean is value
    if isinstance(value, int | float):
        return query.number is not None and _ORDER[op](value, query.number)
    if isinstance(value, str):
        if op == "=" and query.wildcard:
            return wildcard(query.pattern).fullmatch(value)
        return _ORDER[op](value, query.text)
    return False


def _is_empty(key: str, event: _Event) -> bool:
    column = column_for(key)
    if column is None:
        return not any(is_nonempty(value) for value in raw_values(event.raw, key))
    value = event.column(column.name)
    if column.kind == "list":
        return not any(is_nonempty(item) for item in value)
    if column.kind == "text":
        return value == ""
    return value is None


def _text_search(term: str, event: _Event) -> bool:
    pattern = wildcard(f"*{ascii_lower(term)}*")
    return any(pattern.fullmatch(ascii_lower(event.column(name))) for name in TEXT_SEARCH_COLUMNS)
