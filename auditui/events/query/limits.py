"""How big a query may be: every cap of the query language, in one place.

A query is typed by any viewer, and one query turns into one statement for the store: without
caps, 3,000 OR-ed conditions on a path outside the indexed columns became megabytes of SQL that
walk every event's JSON, and an IN list of more than 32,766 values was a server error on SQLite
(its limit of bound parameters). Each cap is named in its error, which has the parser's shape (a
``QueryError`` with the position of the text that went over).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import QueryError
from .fields import column_for

# Characters of query text.
MAX_QUERY_LENGTH = 10_000
# Levels of parentheses and NOT.
MAX_DEPTH = 100
# Conditions (comparisons, IN, EMPTY, free-text terms) in one query.
MAX_CONDITIONS = 200
# Conditions on paths outside the indexed columns: each walks the raw JSON of every event.
MAX_UNINDEXED_CONDITIONS = 20
# Values in one IN / NOTIN set (after ${var} substitution).
MAX_IN_VALUES = 1_000
# Values in all the IN / NOTIN sets of one query together.
MAX_SET_VALUES = 5_000
# Digits of a number in a query (what Python reads into an integer at most).
MAX_NUMBER_DIGITS = 4_300
# Characters of a key with a * segment and one value compared with it: a search engine takes
# them as one regular expression, and refuses one longer than 1,000 characters
# (index.max_regex_length), escapes included.
MAX_WILDCARD_KEY_TEXT = 300


@dataclass
class Budget:
    """What one query has used so far; the parser charges it as it builds each condition."""

    text: str
    conditions: int = 0
    unindexed: int = 0
    set_values: int = 0
    unindexed_keys: list[str] = field(default_factory=list)

    def check_length(self) -> None:
        if len(self.text) > MAX_QUERY_LENGTH:
            raise QueryError(
                f"the query is longer than {MAX_QUERY_LENGTH:,} characters (query length cap)",
                self.text, MAX_QUERY_LENGTH)

    def condition(self, key: str | None, position: int) -> None:
        """One more condition, on ``key`` (None for free text), written at ``position``."""
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise QueryError(
                f"the query has more than {MAX_CONDITIONS} conditions (conditions cap): "
                "use IN {…} for many values of one key", self.text, position)
        if key is not None and column_for(key) is None:
            self.unindexed += 1
            if self.unindexed > MAX_UNINDEXED_CONDITIONS:
                raise QueryError(
                    f"the query has more than {MAX_UNINDEXED_CONDITIONS} conditions on paths outside the "
                    "indexed fields (unindexed conditions cap): each reads every event's whole JSON",
                    self.text, position)

    def value(self, text: str, position: int) -> None:
        """A value as written (escapes removed), at ``position``."""
        digits = sum(1 for char in text if char.isdigit())
        if digits > MAX_NUMBER_DIGITS and text.strip("+-.eE0123456789") == "":
            raise QueryError(
                f"a number has more than {MAX_NUMBER_DIGITS:,} digits (number length cap)", self.text, position)

    def wildcard_value(self, key: str, text: str, position: int) -> None:
        """A value (escapes removed) compared with ``key``, which has a ``*`` segment."""
        if len(key) + len(text) > MAX_WILDCARD_KEY_TEXT:
            raise QueryError(
                f"a key with * and its value are longer than {MAX_WILDCARD_KEY_TEXT} characters together "
                "(wildcard key cap)", self.text, position)

    def set_size(self, count: int, position: int) -> None:
        """An IN / NOTIN set of ``count`` values, written at ``position``."""
        if count > MAX_IN_VALUES:
            raise QueryError(
                f"an IN set has more than {MAX_IN_VALUES:,} values (IN list cap)", self.text, position)
        self.set_values += count
        if self.set_values > MAX_SET_VALUES:
            raise QueryError(
                f"the query's IN sets have more than {MAX_SET_VALUES:,} values together (IN values cap)",
                self.text, position)
