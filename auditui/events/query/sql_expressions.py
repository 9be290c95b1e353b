"""Vendor-specific SQL conditions for the query compiler (SQLite and PostgreSQL).

Every user-supplied string (values, patterns, JSON paths) travels as a bound parameter; the
SQL text holds only constants and operators from the ``SQL_OPERATORS`` whitelist. Each
condition is TRUE or FALSE, never NULL, so that NOT keeps its two-valued meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import NotSupportedError
from django.db.models import BooleanField, Expression, F

from .paths import glob_path, is_wildcard_key, like_path, literal_prefix
from .patterns import glob_pattern, like_pattern, units
from .values import ASCII_LOWERCASE, ASCII_UPPERCASE, Value

SQL_OPERATORS = {"=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
Sql = tuple[str, list[Any]]


@dataclass(frozen=True)
class LeafTest:
    """One JSON value against one query value, as ``matcher.leaf_matches`` decides it."""

    op: str
    value: Value

    def sqlite(self, value: str, type_: str) -> Sql:
        op = SQL_OPERATORS[self.op]
        if op == "=" and self.value.wildcard:
            parts, params = [f"({type_} = 'text' AND {value} GLOB %s)"], [glob_pattern(self.value.pattern)]
        else:
            parts, params = [f"({type_} = 'text' AND {value} {op} %s)"], [self.value.text]
        if self.value.number is not None:
            parts.append(f"({type_} IN ('integer', 'real') AND {value} {op} %s)")
            params.append(self.value.number)
        if op == "=" and self.value.boolean is not None:
            parts.append(f"{type_} = '{'true' if self.value.boolean else 'false'}'")
        return "(" + " OR ".join(parts) + ")", params

    def postgresql(self, value: str) -> Sql:
        op = SQL_OPERATORS[self.op]
        text, is_string = f"({value} #>> '{{}}')", f"jsonb_typeof({value}) = 'string'"
        if op == "=" and self.value.wildcard:
            parts, params = [f"({is_string} AND {text} LIKE %s)"], [like_pattern(self.value.pattern)]
        else:
            # COLLATE "C" orders by code point, like Python and SQLite, whatever the database locale.
            collate = "" if op == "=" else ' COLLATE "C"'
            parts, params = [f"({is_string} AND {text}{collate} {op} %s)"], [self.value.text]
        if self.value.number is not None:
            parts.append(f"(jsonb_typeof({value}) = 'number' AND ({value})::numeric {op} %s::numeric)")
            params.append(self.value.number_text)
        if op == "=" and self.value.boolean is not None:
            parts.append(f"{value} = '{'true' if self.value.boolean else 'false'}'::jsonb")
        return "(" + " OR ".join(parts) + ")", params


@dataclass(frozen=True)
class NonEmptyTest:
    """A value that makes EMPTY false: anything but null, "" or an array (arrays are looked through)."""

    def sqlite(self, value: str, type_: str) -> Sql:
        return f"({type_} NOT IN ('null', 'array') AND NOT ({type_} = 'text' AND {value} = ''))", []

    def postgresql(self, value: str) -> Sql:
        return f"(jsonb_typeof({value}) NOT IN ('null', 'array') AND {value} <> '\"\"'::jsonb)", []


NON_EMPTY = NonEmptyTest()


class _Condition(Expression):
    """A boolean condition on one column of the queried model."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str) -> None:
        super().__init__()
        self.lhs: Any = F(column)

    def get_source_expressions(self) -> list[Any]:
        return [self.lhs]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.lhs,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Sql:
        raise NotSupportedError(f"the query language has no SQL for {connection.vendor}")

    def as_sqlite(self, compiler: Any, connection: Any) -> Sql:
        return self.sqlite(self._column(compiler))

    def as_postgresql(self, compiler: Any, connection: Any) -> Sql:
        return self.postgresql(self._column(compiler))

    def _column(self, compiler: Any) -> str:
        sql, params = compiler.compile(self.lhs)
        if params:
            raise ValueError("query conditions apply to plain columns only")
        return sql

    def sqlite(self, column: str) -> Sql:
        raise NotImplementedError

    def postgresql(self, column: str) -> Sql:
        raise NotImplementedError


class TextCompare(_Condition):
    """Order comparison of a text column, by code point."""

    def __init__(self, column: str, op: str, text: str) -> None:
        super().__init__(column)
        self.op, self.text = SQL_OPERATORS[op], text

    def sqlite(self, column: str) -> Sql:
        return f"{column} {self.op} %s", [self.text]

    def postgresql(self, column: str) -> Sql:
        return f'{column} COLLATE "C" {self.op} %s', [self.text]


class TextGlob(_Condition):
    """A wildcard match on a text column; ``fold`` lower-cases A-Z of the column first."""

    def __init__(self, column: str, pattern: str, fold: bool = False) -> None:
        super().__init__(column)
        self.pattern, self.fold = pattern, fold

    def sqlite(self, column: str) -> Sql:
        # GLOB, not LIKE: SQLite's LIKE ignores case. Its lower() folds ASCII only, as the matcher does.
        target = f"lower({column})" if self.fold else column
        return f"{target} GLOB %s", [glob_pattern(self.pattern)]

    def postgresql(self, column: str) -> Sql:
        if self.fold:
            return f"translate({column}, %s, %s) LIKE %s", [
                ASCII_UPPERCASE,
                ASCII_LOWERCASE,
                like_pattern(self.pattern),
            ]
        return f"{column} LIKE %s", [like_pattern(self.pattern)]


class NumberCompare(_Condition):
    """A nullable integer column against a number; NULL compares false."""

    def __init__(self, column: str, op: str, value: Value) -> None:
        super().__init__(column)
        self.op, self.value = SQL_OPERATORS[op], value

    def sqlite(self, column: str) -> Sql:
        return f"({column} IS NOT NULL AND {column} {self.op} %s)", [self.value.number]

    def postgresql(self, column: str) -> Sql:
        return f"({column} IS NOT NULL AND {column} {self.op} %s::numeric)", [self.value.number_text]


class ListAny(_Condition):
    """Some element of a JSON list column passes the test."""

    def __init__(self, column: str, test: Test) -> None:
        super().__init__(column)
        self.test = test

    def sqlite(self, column: str) -> Sql:
        test, params = self.test.sqlite("_qe.value", "_qe.type")
        return f"EXISTS (SELECT 1 FROM json_each({column}) AS _qe WHERE {test})", params

    def postgresql(self, column: str) -> Sql:
        test, params = self.test.postgresql("_qe.value")
        elements = (
            f"jsonb_array_elements(CASE WHEN jsonb_typeof({column}) = 'array' "
            f"THEN {column} ELSE jsonb_build_array({column}) END)"
        )
        return f"EXISTS (SELECT 1 FROM {elements} AS _qe WHERE {test})", params


# The raw event is walked breadth-first from the root, keeping only nodes whose dotted path
# ("." + key, list levels transparent) is the target or leads to it: `fields.raw_values` in SQL.
# `raw || ''` rather than the bare column: a CTE column takes the affinity of its first
# SELECT, and a TEXT affinity would compare every number as text (30 < 100.0 false).
def _sqlite_walk(keep: str, end: str) -> str:
    """A walk keeping the nodes whose path passes ``keep``; true when one passes ``end`` and the
    test (``{raw}``, ``{child}`` and ``{test}`` are filled in by the caller)."""
    return (
        "EXISTS (WITH RECURSIVE _qn(p, v, t) AS (\n"
        "  SELECT '', {raw} || '', json_type({raw})\n"
        "  UNION ALL\n"
        "  SELECT {child}, _qc.value, _qc.type\n"
        "  FROM _qn, json_each(CASE WHEN _qn.t IN ('object', 'array') THEN _qn.v ELSE '[]' END) AS _qc\n"
        f"  WHERE {keep}\n"
        f") SELECT 1 FROM _qn WHERE {end} AND {{test}})"
    )


def _postgres_walk(keep: str, end: str) -> str:
    """``_sqlite_walk`` on jsonb (``{raw}`` and ``{test}`` filled in by the caller)."""
    return (
        "EXISTS (WITH RECURSIVE _qn(p, v) AS (\n"
        "  SELECT ''::text, {raw}\n"
        "  UNION ALL\n"
        "  SELECT _qc.p, _qc.v FROM _qn CROSS JOIN LATERAL (\n"
        "    SELECT _qn.p || '.' || _qe.key AS p, _qe.value AS v\n"
        "    FROM jsonb_each(CASE WHEN jsonb_typeof(_qn.v) = 'object' THEN _qn.v ELSE '{{}}'::jsonb END) AS _qe\n"
        "    UNION ALL\n"
        "    SELECT _qn.p, _qe.value\n"
        "    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(_qn.v) = 'array' THEN _qn.v ELSE '[]'::jsonb END)"
        " AS _qe\n"
        "  ) AS _qc\n"
        f"  WHERE {keep}\n"
        f") SELECT 1 FROM _qn WHERE {end} AND {{test}})"
    )


_SQLITE_WALK = _sqlite_walk("{child} = %s OR substr(%s, 1, length({child}) + 1) = {child} || '.'", "_qn.p = %s")
_SQLITE_CHILD = "(CASE WHEN _qn.t = 'array' THEN _qn.p ELSE _qn.p || '.' || _qc.key END)"
_POSTGRES_WALK = _postgres_walk("_qc.p = %s OR starts_with(%s, _qc.p || '.')", "_qn.p = %s")

# A key with * segments (``paths.py``): the walk keeps the nodes on the way to the literal prefix
# and every node under it whose path holds no "=", and the end test is a pattern on the path.
_SQLITE_STAR_WALK = _sqlite_walk(
    "instr({child}, '=') = 0\n"
    "    AND (substr(%s, 1, length({child}) + 1) = {child} || '.' OR substr({child}, 1, length(%s)) = %s)",
    "_qn.p GLOB %s")
_POSTGRES_STAR_WALK = _postgres_walk(
    "strpos(_qc.p, '=') = 0 AND (starts_with(%s, _qc.p || '.') OR starts_with(_qc.p, %s))", "_qn.p LIKE %s")


_SAFE_NEEDLE = re.compile(r"^[A-Za-z0-9_\-/:@ .]+$")
_SAFE_RUN = re.compile(r"[A-Za-z0-9_\-/:@ .]+")


def raw_text_needles(key: str, test: Test) -> list[str]:
    """Substrings the stored JSON text must contain for ``key`` to hold a value passing ``test``.

    Only text that JSON writes verbatim (no escapes, ASCII) is used, so a needle can never
    be missing from an event that matches: the key's segments, and a plain string compared
    with ``=`` (or the longest literal run of a pattern).
    """
    needles = [segment for segment in key.split(".") if _SAFE_NEEDLE.match(segment)]
    if isinstance(test, LeafTest):
        needles += value_needles(test)
    return list(dict.fromkeys(needles))


def value_needles(test: LeafTest) -> list[str]:
    """What the JSON text holds wherever a value passes ``test`` (``raw_text_needles``)."""
    value = test.value
    if test.op != "=":
        return []
    if value.wildcard:
        # Only a string matches a pattern, and it holds every literal run of the pattern: the
        # longest safe one is a needle (`*aws_secret_access_key*` skips nearly every event).
        literal = "".join(char if not wild else "\0" for char, wild in units(value.pattern))
        longest = max(_SAFE_RUN.findall(literal), key=len, default="")
        return [longest] if len(longest) >= 3 else []
    if value.number is None and value.boolean is None and value.text and _SAFE_NEEDLE.match(value.text):
        return [value.text]
    if isinstance(value.number, int) and abs(value.number) < 10**15:
        # Stored as 8443, 8443.0 or "8443": the digits are there in every spelling orjson writes.
        return [str(abs(value.number))]
    return []


@dataclass(frozen=True)
class AnyOf:
    """Some test of several passes: one walk of the JSON for a whole IN set."""

    tests: tuple[LeafTest, ...]

    def sqlite(self, value: str, type_: str) -> Sql:
        return _any_sql([test.sqlite(value, type_) for test in self.tests])

    def postgresql(self, value: str) -> Sql:
        return _any_sql([test.postgresql(value) for test in self.tests])

    def needle_groups(self) -> list[list[str]]:
        """One needle per test, or none at all when a test has none (nothing would be skipped)."""
        groups = [value_needles(test)[:1] for test in self.tests]
        return groups if all(groups) else []


def _any_sql(parts: list[Sql]) -> Sql:
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", [param for _, params in parts for param in params]


Test = LeafTest | NonEmptyTest | AnyOf


class RawAny(_Condition):
    """Some value at a dotted path of the raw event passes the test."""

    def __init__(self, key: str, test: Test, column: str = "raw") -> None:
        super().__init__(column)
        self.key, self.test = key, test

    def sqlite(self, column: str) -> Sql:
        test, params = self.test.sqlite("_qn.v", "_qn.t")
        if is_wildcard_key(self.key):
            prefix = "." + literal_prefix(self.key)
            sql = _SQLITE_STAR_WALK.format(raw=column, child=_SQLITE_CHILD, test=test)
            walk_params = [prefix, prefix, prefix, glob_path(self.key), *params]
        else:
            target = "." + self.key
            sql = _SQLITE_WALK.format(raw=column, child=_SQLITE_CHILD, test=test)
            walk_params = [target, target, target, *params]
        needles = raw_text_needles(self.key, self.test)
        # Walking the JSON costs tens of microseconds a row; a substring test costs well under
        # one. Every needle must occur in the stored text for the walk to find anything, so
        # testing them first changes no result (also under NOT) and skips most rows.
        checks = [f"instr({column}, %s) > 0" for _ in needles]
        groups = self.test.needle_groups() if isinstance(self.test, AnyOf) else []
        if groups:
            checks.append("(" + " OR ".join(f"instr({column}, %s) > 0" for _ in groups) + ")")
            needles = [*needles, *(group[0] for group in groups)]
        if not checks:
            return sql, walk_params
        return f"({' AND '.join(checks)} AND {sql})", [*needles, *walk_params]

    def postgresql(self, column: str) -> Sql:
        test, params = self.test.postgresql("_qn.v")
        if is_wildcard_key(self.key):
            prefix = "." + literal_prefix(self.key)
            sql = _POSTGRES_STAR_WALK.format(raw=column, test=test)
            walk_params = [prefix, prefix, like_path(self.key), *params]
        else:
            target = "." + self.key
            sql, walk_params = _POSTGRES_WALK.format(raw=column, test=test), [target, target, target, *params]
        groups = self.test.needle_groups() if isinstance(self.test, AnyOf) else []
        if not groups and not (isinstance(self.test, LeafTest) and value_needles(self.test)):
            return sql, walk_params
        # As on SQLite, for conditions whose values give needles: jsonb's text form writes
        # the needles' characters verbatim, and one cast with LIKE ALL / ANY costs far less
        # than the walk it skips.
        every = raw_text_needles(self.key, self.test)
        checks = [f"({column})::text LIKE ALL (ARRAY[{', '.join(['%s'] * len(every))}])"] if every else []
        if groups:
            checks.append(f"({column})::text LIKE ANY (ARRAY[{', '.join(['%s'] * len(groups))}])")
        needles = [_contains(needle) for needle in [*every, *(group[0] for group in groups)]]
        return f"({' AND '.join(checks)} AND {sql})", [*needles, *walk_params]


def _contains(needle: str) -> str:
    # Needles are of _SAFE_RUN's characters: of LIKE's specials only "_" can be among them.
    return "%" + needle.replace("_", "\\_") + "%"
