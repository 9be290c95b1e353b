"""The one exception the query language raises, with the position it refers to."""

from __future__ import annotations


def line_and_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character offset."""
    position = max(0, min(position, len(text)))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return line, column


class QueryError(Exception):
    """A query that cannot be parsed or evaluated.

    ``position`` is the 0-based character offset the problem was found at; ``line`` and
    ``column`` are 1-based. ``str(error)`` reads ``line 1, column 12: <message>``.
    """

    def __init__(self, message: str, text: str = "", position: int = 0) -> None:
        self.message = message
        self.text = text
        self.position = max(0, min(position, len(text)))
        self.line, self.column = line_and_column(text, self.position)
        super().__init__(f"line {self.line}, column {self.column}: {message}")
