"""Print an AST back as query text, such that ``parse(to_text(node)) == node``."""

from __future__ import annotations

import re

from .nodes import And, Compare, Empty, InSet, Node, Not, Or, Text
from .parser import KEYWORDS, WORD_RE

# Keys are written bare only when they are plain identifiers; dotted keys are quoted as in
# Calico (`"objectRef.resource"=pods`).
_BARE_KEY = re.compile(r"[A-Za-z0-9_\-/]+")


def to_text(node: Node) -> str:
    if isinstance(node, Or):
        # Nested Or/And keep their parentheses: the parser only flattens a chain written as one.
        return " OR ".join(_wrap(child, (Or,)) for child in node.children)
    if isinstance(node, And):
        return " AND ".join(_wrap(child, (Or, And)) for child in node.children)
    if isinstance(node, Not):
        return "NOT " + _wrap(node.child, (Or, And))
    if isinstance(node, Compare):
        return f"{_key(node.key)} {node.op} {_value(node.value)}"
    if isinstance(node, InSet):
        values = ", ".join(_value(value) for value in node.values)
        return f"{_key(node.key)} {'NOTIN' if node.negate else 'IN'} {{{values}}}"
    if isinstance(node, Empty):
        return f"{_key(node.key)} EMPTY"
    if isinstance(node, Text):
        return _value(node.term)
    raise TypeError(f"not a query node: {node!r}")


def _wrap(node: Node, kinds: tuple[type, ...]) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, kinds) else text


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) and key.lower() not in KEYWORDS else _quote(key)


def _value(value: str) -> str:
    if WORD_RE.fullmatch(value) and value.lower() not in KEYWORDS:
        return value
    # Values are canonical patterns: their backslashes are escapes already and stay as they are.
    return '"' + value.replace('"', '\\"') + '"'


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
