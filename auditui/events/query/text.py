"""Query text built from parts: "this query AND key = value", for links that narrow a search
(the events page's filters, a policy's events, an alert's matching events)."""

from __future__ import annotations

from .errors import QueryError
from .nodes import Or
from .parser import parse


def quote(text: str, specials: str = '\\"') -> str:
    """A query-language string literal; a backslash escapes each of ``specials``."""
    return '"' + "".join("\\" + c if c in specials else c for c in text) + '"'


def quote_literal(value: str) -> str:
    """A value that matches only itself: ``*`` and ``?`` escaped, so they are not wildcards."""
    return quote(value, '\\"*?')


def clause(key: str, value: object) -> str:
    """``"key"="value"``, or ``"key" EMPTY`` for a missing or empty value."""
    if value is None or value == "":
        return f"{quote(key)} EMPTY"
    return f"{quote(key)}={quote_literal(str(value))}"


def add_clause(query: str, key: str, value: object, *, negate: bool = False) -> str:
    """The query narrowed by one clause: ``… AND "key"="value"`` or ``… AND NOT "key"="value"``."""
    new = ("NOT " if negate else "") + clause(key, value)
    if not query.strip():
        return new
    return f"{_as_operand(query)} AND {new}"


def _as_operand(query: str) -> str:
    """Parenthesise a query whose top level is an OR, so that ``AND`` binds to all of it."""
    try:
        node = parse(query)
    except QueryError:
        return f"({query})"
    return f"({query})" if isinstance(node, Or) else query
