"""Event documents for a search engine: the document of an ``AuditRecord`` (its columns, the
time in microseconds, the lower-cased free-text fields and the raw event's entries, as
``auditui.events.store.dsl`` explains), document ids, and the record back from a hit.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from auditui.events.normalize import AuditRecord
from auditui.events.query.fields import COLUMNS, TEXT_SEARCH_COLUMNS
from auditui.events.query.values import ascii_lower
from auditui.events.store.base import from_micros, micros
from auditui.events.store.engine_mapping import KEYWORD_FIELDS, MAX_TERM_BYTES

_DOC_ID = re.compile(r"[0-9a-f]{32}")


def event_id(cluster: str, audit_id: str, stage: str) -> str:
    """The document id: the same (cluster, auditID, stage) always gets the same id."""
    key = "\x00".join((cluster, audit_id, stage)).encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def document(record: AuditRecord, *, seq: int = 0) -> dict:
    """What is indexed for one record: the columns, the raw event, and what is derived from them.

    ``seq`` orders events stored in the same microsecond of event time (the SQL store's id).
    """
    doc: dict[str, Any] = {name: getattr(record, name) for name in KEYWORD_FIELDS}
    doc["event_id"] = event_id(record.cluster, record.audit_id, record.stage)
    doc["seq"] = seq
    doc["user_groups"] = list(record.user_groups)
    doc["source_ips"] = list(record.source_ips)
    if record.response_code is not None:
        doc["response_code"] = record.response_code
    # ``time`` (a date, for histograms) as epoch milliseconds: cheaper to write and to parse than
    # ISO text. The stage time is kept in microseconds only: nothing reads it as a date.
    time_us = doc["time_us"] = micros(record.time)
    doc["time"] = time_us // 1000
    if record.stage_time is not None:
        doc["stage_time_us"] = micros(record.stage_time)
    doc["raw"] = record.raw
    # Distinct values only: a wildcard matches a term, however many times it occurs.
    doc["text_lc"] = list(dict.fromkeys(ascii_lower(getattr(record, name)) for name in TEXT_SEARCH_COLUMNS))
    doc.update(raw_entries(record.raw))
    return doc


def public_id(doc_id: str, time_us: int) -> str:
    """The id a record carries (links, the API): the UTC day of the event, which names its daily
    indices, then the document id. Reading one event then asks that day's indices, one per
    cluster, instead of every day's (a year of them is a thousand shard requests)."""
    return f"{from_micros(time_us):%Y%m%d}-{doc_id}"


def parse_public_id(text: str) -> tuple[date | None, str] | None:
    """(day, document id) from a ``public_id``; a bare document id (links made before the day
    was part of it) has no day. None when it is neither."""
    day_part, _, doc_id = text.rpartition("-")
    if not _DOC_ID.fullmatch(doc_id):
        return None
    if not day_part:
        return None, doc_id
    try:
        return datetime.strptime(day_part, "%Y%m%d").date(), doc_id
    except ValueError:
        return None


def record_from_source(source: dict, doc_id: str) -> AuditRecord:
    """The record back from a hit's _source (the inverse of ``document``)."""
    values = {name: source.get(name, "") for name in KEYWORD_FIELDS}
    stage_us = source.get("stage_time_us")
    return AuditRecord(
        **values,
        time=from_micros(source["time_us"]),
        stage_time=from_micros(stage_us) if stage_us is not None else None,
        user_groups=list(source.get("user_groups") or []),
        source_ips=list(source.get("source_ips") or []),
        response_code=source.get("response_code"),
        raw=source.get("raw") or {},
        id=public_id(doc_id, source["time_us"]),
    )


def path_prefix(path: str) -> str:
    """The start of every raw entry of ``path``; the length makes where the path ends explicit."""
    return f"{len(path)}:{path}="


def path_end(path: str) -> str:
    # The smallest string above every entry that starts with path_prefix(path) ("=" + 1 is ">").
    return f"{len(path)}:{path}>"


def encode_number(number: int | float | Decimal) -> str:
    """A string whose byte order is the numeric order, the same for every spelling of a value.

    ``P<exponent><digits>`` for positives, ``O`` for zero, ``N<exponent'><digits'>~`` for
    negatives (exponent and digits complemented, ``~`` ends them so that a prefix sorts last).
    """
    value = Decimal(number)
    if value.is_zero():
        return "O"
    sign, digits, _exponent = value.normalize().as_tuple()
    adjusted = value.adjusted()
    if not -4999 <= adjusted <= 4999:
        raise ValueError(f"number out of range: {number!r}")
    text = "".join(map(str, digits))
    if sign == 0:
        return f"P{adjusted + 5000:04d}{text}"
    complement = "".join(str(9 - int(d)) for d in text)
    return f"N{4999 - adjusted:04d}{complement}~"


_COLUMN_PATHS = frozenset(COLUMNS)
# Entry prefixes of the paths seen lately: events repeat the same few hundred paths, and making
# the prefix again for every value is a fifth of the walk. Bounded, as label and data keys are not.
_PREFIXES: dict[str, str] = {}
_PREFIXES_MAX = 20_000


def _remember_prefix(path: str) -> str:
    if len(_PREFIXES) >= _PREFIXES_MAX:
        _PREFIXES.clear()
    prefix = _PREFIXES[path] = path_prefix(path)
    return prefix


def raw_entries(raw: Any) -> dict[str, list[str]]:
    """The raw-path entries of an event (see the module docstring).

    This runs for every event written to a search engine, so it is written for speed: exact
    type checks (values come from a JSON parser) and one pass with an explicit stack (events
    can nest deeper than Python's recursion limit). tests/events/test_store_dsl.py holds it to
    a plain reference walk on random JSON.
    """
    strings: set[str] = set()
    numbers: set[str] = set()
    booleans: set[str] = set()
    hashed: set[str] = set()
    nonempty: set[str] = set()
    columns = _COLUMN_PATHS
    prefixes = _PREFIXES
    # The event itself has no key: start from its members (or those of the objects in a list).
    stack: list[tuple[str, Any]] = []
    roots = [raw]
    while roots:
        root = roots.pop()
        if type(root) is dict:
            stack.extend(root.items())
        elif type(root) is list:
            roots.extend(root)
    while stack:
        path, value = stack.pop()
        kind = type(value)
        if kind is list:
            stack += [(path, item) for item in value]
            continue
        if kind is dict:
            stack += [(f"{path}.{name}", child) for name, child in value.items()]
        # A path that is an indexed column is always queried through its column, so indexing
        # its values again would only cost time.
        if value is None or path in columns:
            continue
        prefix = prefixes.get(path)
        if prefix is None:
            prefix = _remember_prefix(path)
        if kind is str:
            if value:
                nonempty.add(path)
            entry = prefix + value
            if len(entry) * 4 <= MAX_TERM_BYTES or len(entry.encode("utf-8", "surrogatepass")) <= MAX_TERM_BYTES:
                strings.add(entry)
            else:
                hashed.add(prefix + digest(value))
            continue
        nonempty.add(path)
        if kind is bool:
            booleans.add(prefix + ("true" if value else "false"))
        elif kind is int or kind is float:
            # NaN, infinities or absurd exponents are not JSON numbers a query can compare with.
            with contextlib.suppress(ValueError, ArithmeticError):
                numbers.add(prefix + encode_number(value))
    return {
        "raw_s": sorted(strings), "raw_n": sorted(numbers), "raw_b": sorted(booleans),
        "raw_h": sorted(hashed), "raw_ne": sorted(nonempty),
    }


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
