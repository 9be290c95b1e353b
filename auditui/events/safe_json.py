"""JSON text of stored events that never fails, whatever the event holds.

Events are evidence written by anyone who can reach the API server, and some of what they
hold cannot be written back by orjson: nesting deeper than 255 levels, integers beyond 64 bits,
lone surrogates. Every page, API answer, export and diff that shows a raw event goes through
here: orjson when it can (the fast, usual case), else a bounded copy in which what cannot be
written is replaced by a marker saying what is missing, written by the standard library.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from typing import Any

import orjson

# Deeper than any Kubernetes object, well under orjson's 255 and Python's recursion limit.
MAX_DEPTH = 100
TOO_DEEP = f"… nested deeper than {MAX_DEPTH} levels, not shown"
# Python refuses to turn longer integers into text (sys.get_int_max_str_digits, 4,300 by default).
_INT_DIGITS = sys.get_int_max_str_digits() or 4300
_BITS_PER_DIGIT = math.log2(10)
_CONTAINERS = (dict, list)


@dataclass(frozen=True)
class Bounded:
    """A copy of a value that can always be written, and how many parts of it were replaced."""

    value: Any
    replaced: int = 0


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether containers nest deeper than ``limit`` levels (walked without recursion)."""
    if not isinstance(value, dict | list):
        return False
    stack = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if depth >= limit:
            return True
        for child in current.values() if isinstance(current, dict) else current:
            if isinstance(child, _CONTAINERS):
                stack.append((child, depth + 1))
    return False


def bounded(value: Any, limit: int = MAX_DEPTH) -> Bounded:
    """A copy without what orjson or the json module cannot write: containers deeper than
    ``limit`` and integers too long for text become marker strings, NaN and infinities null
    (as orjson writes them). Recursion is bounded by ``limit``."""
    counter = [0]
    return Bounded(_bounded(value, limit, counter), counter[0])


def _bounded(value: Any, depth_left: int, counter: list[int]) -> Any:
    if isinstance(value, dict | list):
        if depth_left <= 0:
            counter[0] += 1
            return TOO_DEEP
        if isinstance(value, dict):
            return {_utf8(str(k)): _bounded(v, depth_left - 1, counter) for k, v in value.items()}
        return [_bounded(v, depth_left - 1, counter) for v in value]
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if value.bit_length() > (_INT_DIGITS - 1) * _BITS_PER_DIGIT:
            counter[0] += 1
            return f"… an integer of about {int(value.bit_length() / _BITS_PER_DIGIT)} digits, not shown"
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


def _utf8(value: str) -> str:
    """The string, with lone surrogates (which UTF-8 cannot encode) written as ``\\udXXX`` text."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def dumps(value: Any, *, pretty: bool = False, sort_keys: bool = False) -> bytes:
    """JSON bytes of ``value``; never raises for values read from JSON."""
    options = (orjson.OPT_INDENT_2 if pretty else 0) | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return orjson.dumps(value, option=options)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        pass
    copy = bounded(value).value
    return json.dumps(copy, indent=2 if pretty else None, sort_keys=sort_keys, ensure_ascii=False,
                      separators=None if pretty else (",", ":")).encode("utf-8")


def pretty(value: Any) -> str:
    """Indented JSON with sorted keys, as the event pages show a whole event."""
    return dumps(value, pretty=True, sort_keys=True).decode()


def writable(value: Any) -> Any:
    """``value`` itself when orjson can write it, else its bounded copy: for JSON answers built
    by other writers (DRF) that would fail, or recurse too deep, on what orjson refuses."""
    try:
        orjson.dumps(value)
    except TypeError:
        return bounded(value).value
    return value


def text(value: Any) -> str:
    """``str(value)`` for a scalar, also for an integer too long for Python's str()."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(_bounded(value, 0, [0]))
    return _utf8(str(value))
