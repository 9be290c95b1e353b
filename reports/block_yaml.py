"""JSON-like values (dicts, lists, strings, numbers, booleans, None) as block-style YAML, fast.

PyYAML's representer walks every node in Python (about 3 ms for one audit event with its
objects), which made a month's ``events.yaml`` the slowest part of a policy-audit report. This
writes the same document (``yaml.safe_load`` reads back the value written) in one pass: plain
scalars where YAML reads them back as the same string, else JSON's double-quoted strings, which
are valid YAML double-quoted scalars (JSON's escapes are a subset of YAML's)."""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
# Words YAML 1.1 (PyYAML) reads as something other than a string.
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
# What YAML does not allow unescaped in a document (its printable set, inverted), and what it
# reads as a line break (U+0085, U+2028, U+2029) or a byte-order mark (U+FEFF): all escaped.
_NOT_PRINTABLE = re.compile(
    "[^\\x09\\x0a\\x0d\\x20-\\x7e\\xa0-\\u2027\\u202a-\\ud7ff\\ue000-\\ufefe\\uff00-\\ufffd\\U00010000-\\U0010ffff]")


@lru_cache(maxsize=65536)  # keys and many values repeat in every event
def _string(text: str) -> str:
    if _PLAIN.match(text) and text.lower() not in _SPECIAL:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _scalar(value: Any) -> str:
    if type(value) is str:
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value).lower()
        # YAML 1.1 reads an exponent without a dot as a string (PyYAML's representer does this too).
        return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text
    return _string(str(value))


def _emit(value: Any, indent: str, out: list[str]) -> None:
    """Lines of a mapping or sequence at ``indent`` (the caller wrote its key or dash)."""
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{indent}{_string(str(key))}:"
            _item(head, item, indent, out)
    else:
        for item in value:
            _item(f"{indent}-", item, indent, out, in_list=True)


def _item(head: str, item: Any, indent: str, out: list[str], *, in_list: bool = False) -> None:
    if isinstance(item, dict) and item:
        if in_list:  # "- key: value" with the rest of the mapping aligned under the key
            inner: list[str] = []
            _emit(item, indent + "  ", inner)
            out.append(f"{head} {inner[0][len(indent) + 2:]}")
            out.extend(inner[1:])
        else:
            out.append(head)
            _emit(item, indent + "  ", out)
    elif isinstance(item, list) and item:
        out.append(head)
        _emit(item, indent + ("  " if in_list else ""), out)
    elif isinstance(item, dict | list):
        out.append(f"{head} {'{}' if isinstance(item, dict) else '[]'}")
    else:
        out.append(f"{head} {_scalar(item)}")


def dumps(value: Any) -> str:
    if isinstance(value, dict | list) and value:
        out: list[str] = []
        _emit(value, "", out)
        return "\n".join(out) + "\n"
    return ("{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else _scalar(value)) + "\n"
