"""Structural diff of two versions of an object: the paths that changed, with old and new
values, and readable one-line values (``8443/TCP``) for the page.

Lists are compared as sequences (difflib), so a rule inserted in the middle reads as one
rule added, not as every later rule changed. Server bookkeeping ("noise") is left out unless
asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from auditui.events import safe_json

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Paths hidden by default: they change with every write and say nothing about the policy.
NOISE_PATHS = (
    ("metadata", "managedFields"),
    ("metadata", "resourceVersion"),
    ("metadata", "generation"),
    ("metadata", "uid"),
    ("metadata", "creationTimestamp"),
    ("metadata", "annotations", LAST_APPLIED),
    ("status",),
)
_NOISE = frozenset(NOISE_PATHS)
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
MAX_VALUE_TEXT = 160

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class PathChange:
    path: Path
    op: str  # added, removed or changed
    old: Any = None
    new: Any = None

    @property
    def path_text(self) -> str:
        return path_text(self.path)

    @property
    def noise(self) -> bool:
        return is_noise(self.path)

    def as_dict(self) -> dict:
        return {"path": self.path_text, "op": self.op, "old": self.old, "new": self.new}


def is_noise(path: Path) -> bool:
    return any(path[:n] in _NOISE for n in (1, 2, 3))


def path_text(path: Path) -> str:
    """``spec.ingress[0].ports``; keys that are not plain words in brackets and quotes."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or "(object)"


def diff(old: Any, new: Any, *, noise: bool = False) -> list[PathChange]:
    """Every change from ``old`` to ``new`` (None: no object), noise left out unless asked for."""
    if safe_json.too_deep(old) or safe_json.too_deep(new):
        # Comparing recurses per level: parts deeper than the bound become a marker (history
        # notes say so), so a hostile object cannot exhaust the stack.
        old, new = safe_json.bounded(old).value, safe_json.bounded(new).value
    if not noise:  # also takes noise out of added or removed subtrees (a whole metadata)
        old, new = without_noise(old), without_noise(new)
    changes: list[PathChange] = []
    _diff(old if old is not None else {}, new if new is not None else {}, (), changes, noise)
    return changes


def _diff(old: Any, new: Any, path: Path, out: list[PathChange], noise: bool) -> None:
    if not noise and path and is_noise(path):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new and (noise or not is_noise((*path, key))):
                out.append(PathChange((*path, key), "removed", old=old[key]))
        for key, value in new.items():
            if key not in old:
                if noise or not is_noise((*path, key)):
                    out.append(PathChange((*path, key), "added", new=value))
            elif old[key] != value:
                _diff(old[key], value, (*path, key), out, noise)
    elif isinstance(old, list) and isinstance(new, list):
        _diff_list(old, new, path, out, noise)
    elif old != new or type(old) is not type(new):
        out.append(PathChange(path, "changed", old=old, new=new))


def _diff_list(old: list, new: list, path: Path, out: list[PathChange], noise: bool) -> None:
    matcher = SequenceMatcher(None, [_canon(v) for v in old], [_canon(v) for v in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for offset in range(i2 - i1):
                _diff(old[i1 + offset], new[j1 + offset], (*path, j1 + offset), out, noise)
            continue
        out.extend(PathChange((*path, i), "removed", old=old[i]) for i in range(i1, i2))
        out.extend(PathChange((*path, j), "added", new=new[j]) for j in range(j1, j2))


def _canon(value: Any) -> bytes:
    return safe_json.dumps(value, sort_keys=True)


def without_noise(obj: dict | None) -> dict | None:
    """A copy of the object without the noise paths (an emptied annotations map goes too)."""
    if not isinstance(obj, dict):
        return obj
    result = {k: v for k, v in obj.items() if k != "status"}
    meta = result.get("metadata")
    if isinstance(meta, dict):
        meta = {k: v for k, v in meta.items() if (("metadata", k) not in _NOISE)}
        annotations = meta.get("annotations")
        if isinstance(annotations, dict) and LAST_APPLIED in annotations:
            annotations = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
            if annotations:
                meta["annotations"] = annotations
            else:
                meta.pop("annotations")
        result["metadata"] = meta
    return result


# --- readable values ---------------------------------------------------------------------------

def readable(value: Any) -> str:
    """One line for people: ``8443/TCP`` for a port, ``a, b`` for a list of words, else a compact
    YAML-like flow, cut at MAX_VALUE_TEXT characters."""
    text = _readable(value)
    return text if len(text) <= MAX_VALUE_TEXT else text[: MAX_VALUE_TEXT - 1] + "…"


def _readable(value: Any) -> str:
    if isinstance(value, dict):
        port = _port(value)
        if port:
            return port
        return "{" + ", ".join(f"{k}: {_readable(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and _port(v) for v in value):
            return ", ".join(_port(v) for v in value)
        return "[" + ", ".join(_readable(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_json.text(value)


def _port(value: dict) -> str:
    """``8443/TCP`` for ``{port: 8443, protocol: TCP}`` (NetworkPolicyPort), also with endPort."""
    if not value or set(value) - {"port", "protocol", "endPort"} or "port" not in value:
        return ""
    port = safe_json.text(value["port"])
    if "endPort" in value:
        port += f"-{safe_json.text(value['endPort'])}"
    return f"{port}/{value.get('protocol', 'TCP')}"
