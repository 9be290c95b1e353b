"""Make a decoded event storable on every backend, and say what was changed.

Some values decode fine but no store (or no reader of the stored copy) can take them:

* ``\\u0000`` in a string or key: PostgreSQL refuses it in text and ``jsonb``. It is stored as
  the six characters ``\\u0000`` (escaped, so what was sent can still be read off the copy).
* lone surrogates (``"\\ud800"``): not UTF-8; PostgreSQL and orjson refuse them. Stored as U+FFFD.
* non-finite numbers (``1e400``, ``NaN``, ``Infinity``): not JSON; stored as their text.
* floats beyond 64-bit integers (``1e30``): PostgreSQL gives them back as integers of 31 digits,
  which orjson then refuses; stored as their text.
* integers of more than ~900 digits: OpenSearch refuses numbers longer than 1,000 characters,
  Python's int/str conversion stops at 4,300 digits. Stored as their text (the reader keeps
  those of more than ``MAX_INT_DIGITS`` digits as ``NumberText``). Integers beyond 64 bits but
  shorter stay numbers: every store holds them (orjson does not: pages write such events
  through ``safe_json``).
* nesting deeper than ``MAX_DEPTH``: Python's json, which reads events back from the databases
  and the engines' answers, stops near 1,000 levels less the stack of its caller. The deeper
  subtree is replaced by a marker string saying so; the rest is kept, as far as every store and
  reader can (pages and exports show events deeper than orjson's 255 levels through
  ``safe_json``).

Each change adds a note; the notes are stored in the event under ``SANITIZED_KEY`` so that its
detail page (and a search on that key) shows that the stored copy differs from what was sent.
"""

from __future__ import annotations

import math
from typing import Any

SANITIZED_KEY = "auditui.sanitized"
MAX_DEPTH = 500
# Integers every store takes: about 900 digits (OpenSearch: numbers of at most 1,000 characters).
MAX_INT_BITS = 3000
MAX_INT_DIGITS = 900
# Floats beyond this come back from PostgreSQL as integers of 20 digits and more.
MAX_INT = 2**64 - 1
DEPTH_MARKER = f"[auditui: cut here, nested deeper than {MAX_DEPTH} levels]"
# Notes kept per event: a hostile event can hold a million bad strings, one note per kind is enough.
MAX_NOTES = 20


class NumberText(str):
    """A number the reader could not (or should not) make a Python number, kept as its text."""


class _Notes:
    def __init__(self) -> None:
        self.items: list[str] = []
        self._kinds: set[str] = set()

    def add(self, kind: str, path: str, what: str) -> None:
        # One note per kind of change: the first path it was found at.
        if kind in self._kinds or len(self.items) >= MAX_NOTES:
            return
        self._kinds.add(kind)
        shown = path if len(path) <= 120 else f"{path[:117]}..."
        self.items.append(f"{what} at {shown or '(top)'}")


def _clean_text(text: str, path: str, notes: _Notes) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
        notes.add("nul", path, "\\u0000 stored as the text \\u0000")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = _replace_surrogates(text)
            notes.add("surrogate", path, "lone surrogate stored as U+FFFD")
    return text


def _replace_surrogates(text: str) -> str:
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _clean_scalar(value: Any, path: str, notes: _Notes) -> Any:
    kind = type(value)
    if kind is str:
        return _clean_text(value, path, notes)
    if kind is NumberText:
        shown = value if len(value) <= 20 else f"{value[:12]}... ({len(value)} characters)"
        notes.add("number", path, f"number {shown} (beyond what stores hold) stored as text")
        return str(value)
    if kind is float and not math.isfinite(value):
        notes.add("float", path, f"number {value!r} (not finite) stored as text")
        return repr(value)
    if kind is float and abs(value) > MAX_INT:
        notes.add("big-float", path, f"number {value!r} (beyond 64-bit integers) stored as text")
        return repr(value)
    if kind is int and value.bit_length() > MAX_INT_BITS:
        notes.add("int", path, f"integer of more than {MAX_INT_DIGITS} digits stored as text")
        return _int_text(value)
    return value


def _int_text(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # beyond Python's int/str digit limit
        return f"[auditui: integer of {value.bit_length()} bits]"


def _needs_cleaning(value: Any) -> bool:
    """A fast look through the event (no copy): whether anything in it needs ``make_safe``."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict:
            if depth >= MAX_DEPTH:
                return True
            for key, child in item.items():
                if type(key) is not str or _bad_text(key):
                    return True
                stack.append((child, depth + 1))
        elif kind is list:
            if depth >= MAX_DEPTH:
                return True
            stack += [(child, depth + 1) for child in item]
        elif kind is str:
            if _bad_text(item):
                return True
        elif kind is float:
            if not math.isfinite(item) or abs(item) > MAX_INT:
                return True
        elif (kind is int and item.bit_length() > MAX_INT_BITS) or kind is NumberText:
            return True
    return False


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _rebuild(value: Any, notes: _Notes) -> Any:
    """A cleaned copy (iterative: events can nest deeper than Python's recursion limit)."""
    root: list = [None]
    # (container to fill, key or index in it, value, path, depth)
    stack: list[tuple[Any, Any, Any, str, int]] = [(root, 0, value, "", 0)]
    while stack:
        parent, slot, item, path, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list:
            if depth >= MAX_DEPTH:
                notes.add("depth", path, f"nesting deeper than {MAX_DEPTH} levels cut")
                parent[slot] = DEPTH_MARKER
                continue
            if kind is dict:
                names = [_clean_text(key, path, notes) if type(key) is str else str(key) for key in item]
                copy: Any = dict.fromkeys(names)  # filled in below, in the original key order
                for name, child in zip(names, item.values(), strict=True):
                    stack.append((copy, name, child, f"{path}.{name}" if path else name, depth + 1))
            else:
                copy = [None] * len(item)
                stack += [(copy, i, child, path, depth + 1) for i, child in enumerate(item)]
            parent[slot] = copy
        else:
            parent[slot] = _clean_scalar(item, path, notes)
    return root[0]


def make_safe(value: Any) -> tuple[Any, list[str]]:
    """The value itself when every store can take it (the common case, checked without copying),
    else a cleaned copy; and the notes saying what was changed."""
    if not _needs_cleaning(value):
        return value, []
    notes = _Notes()
    cleaned = _rebuild(value, notes)
    return cleaned, notes.items
