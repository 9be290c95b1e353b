"""Values as patterns: ``*`` and ``?`` are wildcards, a backslash makes the next one literal.

In the AST a value is kept in canonical form, where a backslash only ever precedes ``*``,
``?`` or another backslash: ``\\*`` is a literal star, ``\\\\`` a literal backslash. Query text
may escape any character (``\\"`` inside a quoted string); ``canonical`` drops the escapes that
mean nothing, so that one meaning has one spelling and ``parse(to_text(ast)) == ast``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from auditui.wildcards import Wildcard

_SPECIAL = "*?\\"


def units(pattern: str) -> Iterator[tuple[str, bool]]:
    """(character, is_wildcard) pairs; an escaped character is never a wildcard."""
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            yield next(chars, "\\"), False
        else:
            yield char, char in "*?"


def canonical(pattern: str) -> str:
    # An escape stays only where it changes the meaning: before *, ? or a backslash.
    return "".join(char if wild or char not in _SPECIAL else "\\" + char for char, wild in units(pattern))


def escape(text: str) -> str:
    """The pattern that matches exactly ``text``: for building nodes from literal strings."""
    return "".join("\\" + char if char in _SPECIAL else char for char in text)


def unescape(pattern: str) -> str:
    """The literal text of a pattern (what = compares when it has no wildcard)."""
    return "".join(char for char, _ in units(pattern))


def has_wildcard(pattern: str) -> bool:
    return any(wild for _, wild in units(pattern))


@lru_cache(maxsize=4096)
def wildcard(pattern: str) -> Wildcard:
    """``*`` is any run of characters, ``?`` exactly one; everything else is literal."""
    return Wildcard(units(pattern))


def shell_pattern(pattern: str) -> str:
    """A scope pattern (``*`` and ``?`` wildcards, no escapes) in the canonical form above."""
    return "".join(char if char in "*?" else escape(char) for char in pattern)


def glob_pattern(pattern: str) -> str:
    """The pattern for SQLite's GLOB (case-sensitive, unlike its LIKE); [x] is a literal x."""
    return glob_of(units(pattern))


def like_pattern(pattern: str) -> str:
    """The pattern for PostgreSQL's LIKE, whose escape character is a backslash."""
    return like_of(units(pattern))


def glob_of(pairs: Iterable[tuple[str, bool]]) -> str:
    """(character, is_wildcard) pairs as a GLOB pattern."""
    return "".join(char if wild else f"[{char}]" if char in "*?[" else char for char, wild in pairs)


def like_of(pairs: Iterable[tuple[str, bool]]) -> str:
    """(character, is_wildcard) pairs as a LIKE pattern (backslash escapes)."""
    parts = []
    for char, wild in pairs:
        if wild:
            parts.append("%" if char == "*" else "_")
        else:
            parts.append("\\" + char if char in "\\%_" else char)
    return "".join(parts)
