"""The query AST: small frozen dataclasses, compared by value (``parse(to_text(ast)) == ast``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

from .patterns import canonical

OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key:
        raise ValueError("a key must be a non-empty string")


def _check_pattern(value: str) -> None:
    # A stray backslash would silently vanish when printed and parsed again; `patterns.escape`
    # turns a literal string into a value.
    if not isinstance(value, str) or canonical(value) != value:
        raise ValueError(f"{value!r} is not a canonical value: use patterns.escape() for literal text")


@dataclass(frozen=True)
class Compare:
    """``key op value``; the value is a pattern (``*``, ``?``, backslash escapes) whose type is
    decided when evaluated."""

    key: str
    op: str
    value: str

    def __post_init__(self) -> None:
        _check_key(self.key)
        if self.op not in OPERATORS:
            raise ValueError(f"unknown operator {self.op!r}")
        _check_pattern(self.value)


@dataclass(frozen=True)
class InSet:
    """``key IN {values}`` or, with ``negate``, ``key NOTIN {values}``."""

    key: str
    values: tuple[str, ...]
    negate: bool = False

    def __post_init__(self) -> None:
        _check_key(self.key)
        # Accept any iterable from callers, but store a tuple so the node stays hashable.
        object.__setattr__(self, "values", tuple(self.values))
        for value in self.values:
            _check_pattern(value)


@dataclass(frozen=True)
class Empty:
    """``key EMPTY``: the key is missing, null, "" or an empty list."""

    key: str

    def __post_init__(self) -> None:
        _check_key(self.key)


@dataclass(frozen=True)
class Text:
    """A bare word or quoted phrase: free-text search over the main text fields."""

    term: str

    def __post_init__(self) -> None:
        _check_pattern(self.term)


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        _check_children(self, "And")


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        _check_children(self, "Or")


def _check_children(node: And | Or, name: str) -> None:
    object.__setattr__(node, "children", tuple(node.children))
    # One child would print as just that child and parse back without the wrapper.
    if len(node.children) < 2:
        raise ValueError(f"{name} needs at least two children")


Node: TypeAlias = Compare | InSet | Empty | Text | Not | And | Or


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Not):
            stack.append(current.child)
        elif isinstance(current, And | Or):
            stack.extend(reversed(current.children))


def keys(node: Node) -> list[str]:
    """The keys the query refers to, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for current in walk(node):
        if isinstance(current, Compare | InSet | Empty):
            seen.setdefault(current.key)
    return list(seen)


def validate_keys(node: Node, allowed: set[str] | frozenset[str]) -> list[str]:
    """The keys of the query that are not in ``allowed`` (empty when all are)."""
    return [key for key in keys(node) if key not in allowed]
