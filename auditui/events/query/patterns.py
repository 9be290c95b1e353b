"""Values as patterns: ``*`` and ``?`` are wildcards, a backslash makes the next one literal.

In the AST a value is kept in canonical form, where a backslash only ever precedes ``*``,
``?`` or another backslash: ``\\*`` is a literal star, ``\\\\`` a literal backslash. Query text
may escape any character (``\\"`` inside a quoted string); ``canonical`` drops the escapes that
mean nothing, so that one meaning has one spelling and ``parse(to_text(ast)) == ast``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

_SPECIAL = "*?\\"


def _units(pattern: str) -> Iterator[tuple[str, bool]]:
    """(character, is_wildcard) pairs; an escaped character is never a wildcard."""
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            yield next(chars, "\\"), False
        else:
            yield char, char in "*?"


def canonical(pattern: str) -> str:
    # An escape stays only where it changes the meaning: before *, ? or a backslash.
    return "".join(char if wild or char not in _SPECIAL else "\\" + char for char, wild in _units(pattern))


def escape(text: str) -> str:
    """The pattern that matches exactly ``text``: for building nodes from literal strings."""
    return "".join("\\" + char if char in _SPECIAL else char for char in text)


def unescape(pattern: str) -> str:
    """The literal text of a pattern (what = compares when it has no wildcard)."""
    return "".join(char for char, _ in _units(pattern))


def has_wildcard(pattern: str) -> bool:
    return any(wild for _, wild in _units(pattern))


class Wildcard:
    """A compiled pattern that matches in time linear in the text (for a given pattern).

    The pattern is cut at its stars into segments of literal characters and ``?``. The first
    segment must match at the start, the last at the end, and each one between is taken at its
    leftmost place after the previous one: for star-separated segments the leftmost place is
    never worse than a later one, so nothing is ever tried twice (a backtracking regular
    expression took 42 s for ``*a*/api/*/watch*`` against a 10 KB URI, and any user of a
    cluster controls the URI).
    """

    __slots__ = ("head", "middle", "starred", "tail")

    def __init__(self, units: Iterable[tuple[str, bool]]) -> None:
        segments: list[list[str | None]] = [[]]
        for char, wild in units:
            if wild and char == "*":
                segments.append([])
            else:
                segments[-1].append(None if wild else char)  # None: any one character
        self.starred = len(segments) > 1
        self.head = _Segment(segments[0])
        self.tail = _Segment(segments[-1]) if self.starred else None
        self.middle = tuple(_Segment(segment) for segment in segments[1:-1] if segment)

    def fullmatch(self, text: str) -> bool:
        if not self.starred:
            return len(text) == len(self.head) and self.head.at(text, 0)
        assert self.tail is not None
        end = len(text) - len(self.tail)
        if end < len(self.head) or not self.head.at(text, 0) or not self.tail.at(text, end):
            return False
        position = len(self.head)
        for segment in self.middle:
            found = segment.find(text, position, end)
            if found < 0:
                return False
            position = found + len(segment)
        return True


class _Segment:
    """Literal characters and ``?`` (None) between two stars."""

    __slots__ = ("chars", "anchor", "anchor_at")

    def __init__(self, chars: list[str | None]) -> None:
        self.chars = tuple(chars)
        # The first run of literal characters: str.find jumps to where it occurs.
        start = next((i for i, char in enumerate(chars) if char is not None), len(chars))
        run = []
        for char in chars[start:]:
            if char is None:
                break
            run.append(char)
        self.anchor, self.anchor_at = "".join(run), start

    def __len__(self) -> int:
        return len(self.chars)

    def at(self, text: str, position: int) -> bool:
        """Whether the segment matches ``text`` at ``position`` (which leaves room for it)."""
        return all(char is None or text[position + i] == char for i, char in enumerate(self.chars))

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost position >= start where the segment matches, ending by ``end``; -1 if none."""
        last = end - len(self.chars)
        while start <= last:
            if self.anchor:
                found = text.find(self.anchor, start + self.anchor_at, last + self.anchor_at + len(self.anchor))
                if found < 0:
                    return -1
                start = found - self.anchor_at
            if self.at(text, start):
                return start
            start += 1
        return -1


@lru_cache(maxsize=4096)
def wildcard(pattern: str) -> Wildcard:
    """``*`` is any run of characters, ``?`` exactly one; everything else is literal."""
    return Wildcard(_units(pattern))


def shell_pattern(pattern: str) -> str:
    """A scope pattern (``*`` and ``?`` wildcards, no escapes) in the canonical form above."""
    return "".join(char if char in "*?" else escape(char) for char in pattern)


@lru_cache(maxsize=1024)
def shell_wildcard(pattern: str) -> Wildcard:
    """Scope patterns: ``*`` and ``?`` wildcards, every other character literal (no escapes)."""
    return Wildcard((char, char in "*?") for char in pattern)


def glob_pattern(pattern: str) -> str:
    """The pattern for SQLite's GLOB (case-sensitive, unlike its LIKE); [x] is a literal x."""
    return "".join(char if wild else f"[{char}]" if char in "*?[" else char for char, wild in _units(pattern))


def like_pattern(pattern: str) -> str:
    """The pattern for PostgreSQL's LIKE, whose escape character is a backslash."""
    parts = []
    for char, wild in _units(pattern):
        if wild:
            parts.append("%" if char == "*" else "_")
        else:
            parts.append("\\" + char if char in "\\%_" else char)
    return "".join(parts)
