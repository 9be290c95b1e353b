"""Wildcard matching in linear time: ``*`` is any run of characters, ``?`` exactly one.

Shared by the query language (``auditui.events.query.patterns``, whose patterns also have
backslash escapes) and the RBAC scope (``auditui.access.scope``, whose patterns have none), so
that no Python matching of a wildcard is a backtracking regular expression.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


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


@lru_cache(maxsize=1024)
def shell_wildcard(pattern: str) -> Wildcard:
    """A pattern whose ``*`` and ``?`` are wildcards and every other character is literal (no
    escapes): the scope's patterns, read as the stores read them."""
    return Wildcard((char, char in "*?") for char in pattern)
