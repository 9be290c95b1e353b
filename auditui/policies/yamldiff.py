"""YAML text of versions and their line diff, as unified hunks and as side-by-side rows."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest

import yaml

from auditui.events import safe_json

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
CONTEXT = 3


def to_yaml(obj: object) -> str:
    """kubectl-like YAML: keys sorted, block style, long strings left whole."""
    if obj is None:
        return ""
    if safe_json.too_deep(obj):  # the dumper recurses per level: cut before Python's limit
        obj = safe_json.bounded(obj).value
    try:
        return _dump(obj)
    except (ValueError, yaml.YAMLError):  # lone surrogates, integers too long for text
        return _dump(safe_json.bounded(obj).value)


def _dump(obj: object) -> str:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=10_000)


@dataclass(frozen=True)
class Line:
    kind: str  # ctx, add or del
    old_no: int | None
    new_no: int | None
    text: str


@dataclass(frozen=True)
class Side:
    kind: str  # ctx, add, del or empty
    no: int | None
    text: str


@dataclass(frozen=True)
class Hunk:
    header: str
    lines: list[Line]  # unified
    rows: list[tuple[Side, Side]]  # split: (old, new)


_EMPTY = Side("empty", None, "")


def line_diff(old_text: str, new_text: str, context: int = CONTEXT) -> list[Hunk]:
    old, new = old_text.splitlines(), new_text.splitlines()
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return [_hunk(group, old, new) for group in matcher.get_grouped_opcodes(context) if _changes(group)]


def _changes(group: list) -> bool:
    return any(tag != "equal" for tag, *_ in group)


def _hunk(group: list, old: list[str], new: list[str]) -> Hunk:
    first, last = group[0], group[-1]
    i1, i2, j1, j2 = first[1], last[2], first[3], last[4]
    header = f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@"
    lines: list[Line] = []
    rows: list[tuple[Side, Side]] = []
    for tag, a1, a2, b1, b2 in group:
        if tag == "equal":
            for offset in range(a2 - a1):
                text = old[a1 + offset]
                lines.append(Line("ctx", a1 + offset + 1, b1 + offset + 1, text))
                rows.append((Side("ctx", a1 + offset + 1, text), Side("ctx", b1 + offset + 1, text)))
            continue
        removed = [Side("del", a + 1, old[a]) for a in range(a1, a2)]
        added = [Side("add", b + 1, new[b]) for b in range(b1, b2)]
        lines.extend(Line("del", s.no, None, s.text) for s in removed)
        lines.extend(Line("add", None, s.no, s.text) for s in added)
        rows.extend((left or _EMPTY, right or _EMPTY) for left, right in zip_longest(removed, added))
    return Hunk(header, lines, rows)
