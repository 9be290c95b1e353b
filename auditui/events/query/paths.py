"""Keys with a ``*`` segment (``requestObject.data.*``): what they mean, and that meaning spelled
for each backend (Python, SQLite GLOB, PostgreSQL LIKE, a Lucene regular expression).

The language names a value by its dotted path (keys joined with dots, lists looked through) and
a key may itself hold dots (``data."access.properties"``): one key ``a.b`` and two nested keys
``a`` → ``b`` are the same path. So a ``*`` segment cannot mean "exactly one key" without
telling the two apart, which no backend's index can (the search engines keep only the dotted
paths). It means what every backend can decide exactly:

    a value matches ``P.*.R`` when its path is P, then any non-empty text (one key or several
    nested keys, dots included), then R; and the path holds no ``=``.

The ``=`` rule is the search engines' (an index entry is ``<length>:<path>=<value>``, and a
regular expression cannot count the length, so ``[^=]+`` is what finds where the path ends).
Kubernetes keys (fields, labels, annotations, ConfigMap keys) never hold one.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from auditui.wildcards import Wildcard

from .patterns import glob_of, like_of

STAR = "*"


def segments(key: str) -> list[str]:
    return key.split(".")


def is_wildcard_key(key: str) -> bool:
    return STAR in segments(key)


def literal_prefix(key: str) -> str:
    """The key before its first ``*`` segment, dot included (``requestObject.data.``)."""
    parts = segments(key)
    return ".".join(parts[: parts.index(STAR)]) + "."


def misuse(key: str, column_keys: frozenset[str] | set[str]) -> str | None:
    """Why a key with ``*`` segments cannot be used, or None when it can (or has no ``*``)."""
    parts = segments(key)
    if "**" in parts:
        return '"**" is not a key segment: one * already matches keys at any depth'
    if STAR not in parts:
        return None
    if parts[0] == STAR:
        return "a key cannot start with *: name the object first (requestObject.data.*)"
    if "=" in key:
        return "a key with * cannot hold ="
    prefix = literal_prefix(key)
    for column in sorted(column_keys):
        if prefix.startswith(column + "."):
            return f"{column} is an indexed field, not an object: * has no keys to match under it"
        if path_wildcard(key).fullmatch("." + column):
            return f"{key} would reach the indexed field {column}: name the field instead"
    return None


def _units(key: str) -> Iterator[tuple[str, bool]]:
    """The path pattern as wildcard units: ``*`` is ``?*`` (non-empty), the rest literal."""
    for part in segments(key):
        yield ".", False
        if part == STAR:
            yield "?", True
            yield "*", True
        else:
            yield from ((char, False) for char in part)


@lru_cache(maxsize=1024)
def path_wildcard(key: str) -> Wildcard:
    """Matches a walked path ("." before every key) in linear time (no backtracking regex)."""
    return Wildcard(_units(key))


def path_matches(key: str, path: str) -> bool:
    return "=" not in path and path_wildcard(key).fullmatch(path)


def wildcard_values(event: Any, key: str) -> Iterator[Any]:
    """The values whose path matches a key with ``*`` segments (``fields.raw_values``'s twin).

    Only the branch under the literal prefix is walked, with an explicit stack (events nest
    deep); a path holding ``=`` can match nothing, nor can anything under it.
    """
    prefix = "." + literal_prefix(key)
    stack: list[tuple[str, Any]] = [("", event)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, list):
            stack.extend((path, item) for item in value)
            continue
        if path and path_matches(key, path):
            yield value
        if isinstance(value, dict):
            for name, child in value.items():
                child_path = f"{path}.{name}"
                if "=" not in name and (prefix.startswith(child_path + ".") or child_path.startswith(prefix)):
                    stack.append((child_path, child))


def glob_path(key: str) -> str:
    """The walked path as a SQLite GLOB pattern (``[x]`` is a literal x)."""
    return glob_of(_units(key))


def like_path(key: str) -> str:
    """The walked path as a PostgreSQL LIKE pattern (backslash escapes)."""
    return like_of(_units(key))


def regexp_literal(text: str) -> str:
    """Text as a Lucene regular expression that matches only itself."""
    return "".join(char if char.isascii() and char.isalnum() else "\\" + char for char in text)


def regexp_path(key: str) -> str:
    """An engine entry's path (no leading dot) as a Lucene regular expression."""
    return "\\.".join("[^=]+" if part == STAR else regexp_literal(part) for part in segments(key))
