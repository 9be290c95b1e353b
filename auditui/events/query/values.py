"""How the text of a query value is read: as a number, a boolean, a wildcard pattern or a time."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from .patterns import has_wildcard, unescape

_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT64 = 2**63 - 1
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})?)?"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
ASCII_UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ASCII_LOWERCASE = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Value:
    """One value of a query, with every reading of it that the comparison may need."""

    pattern: str  # as written in the AST (see patterns.py)
    text: str  # the literal text, escapes removed
    number: int | float | None
    boolean: bool | None
    wildcard: bool

    @property
    def number_text(self) -> str:
        """The number as PostgreSQL's numeric type reads it (the same value the matcher uses)."""
        return repr(self.number)


@lru_cache(maxsize=4096)
def read_value(pattern: str) -> Value:
    text, wildcard = unescape(pattern), has_wildcard(pattern)
    number = None if wildcard else _number(text)
    boolean = None if wildcard else _boolean(text)
    return Value(pattern=pattern, text=text, number=number, boolean=boolean, wildcard=wildcard)


def _number(text: str) -> int | float | None:
    if not _NUMBER.fullmatch(text):
        return None
    # A 64-bit integer has at most 19 digits; beyond, int() is both pointless and, past 4,300
    # digits, refused by Python (ValueError): such a number reads as the float it rounds to.
    if _INT.fullmatch(text) and len(text.lstrip("+-")) <= 19 and abs(int(text)) <= _INT64:
        return int(text)
    # Integers past 64 bits go through float so that SQLite can bind them too.
    try:
        number = float(text)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _boolean(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text)


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only: what SQLite's lower() does, so both sides fold alike."""
    # On ASCII text str.lower() folds exactly A-Z, and is ten times faster than translate()
    # (this runs for several columns of every event written to a search engine).
    if text.isascii():
        return text.lower()
    return text.translate(_ASCII_LOWER)


def time_range(text: str) -> tuple[datetime, datetime] | None:
    """The span of time a value names, or None when it is not a time.

    A value covers its whole precision: ``2006-01-02`` is that day, ``2006-01-02 15:04:05``
    that second, ``…05.5Z`` a tenth of a second; values without a zone are UTC.
    """
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        start = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=_zone(zone),
        )
        start = start.astimezone(UTC)
        return start, start + _precision(hour, fraction)
    except (ValueError, OverflowError):
        return None


def _zone(zone: str | None) -> timezone:
    if not zone or zone in "Zz":
        return UTC
    sign = -1 if zone[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))


def _precision(hour: str | None, fraction: str | None) -> timedelta:
    if hour is None:
        return timedelta(days=1)
    if fraction is None:
        return timedelta(seconds=1)
    return timedelta(microseconds=10 ** (6 - min(len(fraction), 6)))


def time_matches(moment: datetime, op: str, span: tuple[datetime, datetime]) -> bool:
    """Compare an instant with a span: ``=`` is inside it, ``<`` before it, ``>`` after it."""
    start, end = span
    return {
        "=": start <= moment < end,
        "<": moment < start,
        "<=": moment < end,
        ">": moment >= end,
        ">=": moment >= start,
    }[op]
