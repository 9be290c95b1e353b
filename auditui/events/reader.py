"""Read audit input (files, gzip, stdin, request bodies) as a stream of decoded JSON documents.

Understands JSON Lines, one pretty-printed document (or several one after another), an
``EventList`` and a JSON array. Every document comes with its position (``file:line``, and
``items[i]`` inside a list) so that a rejected record can be pointed at. Memory stays bounded by
the largest single document, whatever the input size.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from auditui.events.sanitize import MAX_DEPTH, MAX_INT_DIGITS, NumberText

GZIP_MAGIC = b"\x1f\x8b"
# A multi-line document larger than this is rejected instead of growing without bound.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
# Lines that a pretty-printer leaves open at the start of a multi-line document.
_OPENING_ENDS = ("{", "[", ",", ":")


@dataclass(slots=True)
class Decoded:
    """One decoded value, or the reason it could not be decoded."""

    position: str
    value: Any = None
    error: str | None = None
    # The reader vouches that the value needs no ``sanitize.make_safe`` (see ``_is_plain``).
    safe: bool = False


def _is_plain(text: str | bytes) -> bool:
    """Whether a document orjson decoded needs no cleaning, told from its text alone (a walk
    through every value costs about as much as normalising it): orjson refuses lone surrogates,
    non-finite numbers, and integers of 20 digits never reach it (``_may_hold_big_int``), so what is left is
    ``\\u0000`` and nesting, which cannot be deeper than the number of brackets. Floats beyond
    64-bit integers are left to the PostgreSQL store, the one place they matter (``sql.py``)."""
    if isinstance(text, bytes):
        return b"\\u0000" not in text and text.count(b"{") + text.count(b"[") < MAX_DEPTH
    return "\\u0000" not in text and text.count("{") + text.count("[") < MAX_DEPTH


# A number of 20 digits or more: orjson would make it a float (1.2345678901234568e+29), and the
# evidence would no longer say what was sent. Such documents take the standard library's path,
# which keeps the integer exact (or its text, past what any store takes). Text that only looks
# like one (inside a string) takes that path too, and loses nothing but time.
_BIG_INT_TEXT = re.compile(r"[:\[,]\s*-?[0-9]{20}")
_BIG_INT_BYTES = re.compile(rb"[:\[,]\s*-?[0-9]{20}")


def _may_hold_big_int(text: str | bytes) -> bool:
    pattern = _BIG_INT_BYTES if isinstance(text, bytes) else _BIG_INT_TEXT
    return pattern.search(text) is not None  # type: ignore[arg-type]


def _parse_int(text: str) -> int | str:
    # Python refuses int() of more than 4,300 digits; no store takes more than 1,000 anyway.
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else NumberText(text)


def _parse_float(text: str) -> float | str:
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else NumberText(text)


def _parse_constant(text: str) -> str:
    return NumberText(text)  # NaN, Infinity, -Infinity: not JSON, kept as the text that was sent


_LENIENT = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)


def loads(text: str | bytes) -> tuple[Any, bool]:
    """Decode one JSON document: orjson, else the standard library for what orjson refuses
    (lone surrogates, ``NaN``, ``1e400``), with numbers no store can hold kept as their text.
    Returns the value and whether it is known to need no cleaning; raises ValueError (or
    RecursionError) when it is not JSON."""
    if not _may_hold_big_int(text):
        try:
            return orjson.loads(text), _is_plain(text)
        except orjson.JSONDecodeError:
            pass
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return _LENIENT.decode(text), False


class TrackedReader(io.RawIOBase):
    """A raw stream that counts the bytes read through it (for progress on compressed input)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def uncompressed(raw: IO[bytes]) -> IO[bytes]:
    """The stream itself, or its gunzipped content when it starts with the gzip magic bytes."""
    buffered = io.BufferedReader(raw)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def open_raw(path: str | Path) -> IO[bytes]:
    """Open a file, or standard input for ``-``, as raw bytes; raises OSError when unreadable."""
    if str(path) == "-":
        return sys.stdin.buffer
    if Path(path).is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    return open(path, "rb")  # noqa: SIM115 - the caller closes it


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a file (``-`` for stdin) for reading, transparently un-gzipping by content."""
    return uncompressed(open_raw(path))


def text_lines(binary: IO[bytes]) -> Iterator[str]:
    """Decode lines as UTF-8; undecodable bytes become U+FFFD rather than stopping the read."""
    return io.TextIOWrapper(binary, encoding="utf-8", errors="replace", newline=None)


def byte_lines(binary: IO[bytes]) -> Iterator[bytes]:
    """Lines as bytes, which ``decode_lines`` hands to orjson as they are: orjson decodes UTF-8
    itself, where a text layer decoded every line first (issue 18). Split where ``text_lines``
    splits: a lone ``\r`` ends a line too (``\r`` is found in C, so the usual line costs nothing)."""
    for line in binary:
        if b"\r" in line:
            yield from line.splitlines(keepends=True)
        else:
            yield line


def _text_line(line: bytes) -> str:
    """A line as ``text_lines`` gives it: undecodable bytes as U+FFFD, the line end as ``\n``."""
    text = line.decode("utf-8", errors="replace")
    if text.endswith("\r\n"):
        return text[:-2] + "\n"
    return text[:-1] + "\n" if text.endswith("\r") else text


def _expand(value: Any, position: str, safe: bool = False) -> Iterator[Decoded]:
    """An EventList or a JSON array stands for its items; anything else for itself."""
    if isinstance(value, dict) and value.get("kind") == "EventList":
        items = value.get("items")
        if not isinstance(items, list):
            yield Decoded(position, error="EventList has no items list")
            return
        for index, item in enumerate(items):
            yield Decoded(f"{position} items[{index}]", value=item, safe=safe)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield Decoded(f"{position} [{index}]", value=item, safe=safe)
    else:
        yield Decoded(position, value=value, safe=safe)


def _json_error(text: str) -> str:
    """Python's json gives line/column; orjson's messages are terser."""
    try:
        _LENIENT.decode(text)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno} of the record)"
    except RecursionError:
        return "invalid JSON: nested too deeply"
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    return "invalid JSON"


def _split_concatenated(text: str) -> list[Any]:
    """Several JSON values back to back on one line (``{…}{…}``, as concatenated files give);
    empty when the line is not exactly that."""
    values, position = [], 0
    try:
        while position < len(text):
            value, position = _LENIENT.raw_decode(text, position)
            values.append(value)
            while position < len(text) and text[position] in " \t\r":
                position += 1
    except (ValueError, RecursionError):
        return []
    return values if len(values) > 1 else []


def _starts_document(stripped: str) -> bool:
    return stripped.endswith(_OPENING_ENDS) and stripped[:1] in "{["


class _MultiLine:
    """Collects the lines of one pretty-printed document until its closing bracket."""

    def __init__(self, first_line: str, line_no: int) -> None:
        self.lines = [first_line]
        self.start = line_no
        self.size = len(first_line)

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)

    def closes_with(self, line: str) -> bool:
        # A top-level document ends with an unindented closing bracket.
        return line[:1] in "}]" and line.strip() in ("}", "]", "},", "],")

    def text(self) -> str:
        return "".join(self.lines).rstrip().rstrip(",")


def decode_lines(lines: Iterable[str | bytes], source: str) -> Iterator[Decoded]:
    """Decode JSON Lines and pretty-printed documents, in input order, never raising on bad input.
    ``lines`` are text (``text_lines``) or bytes (``byte_lines``): a bytes line that orjson takes
    whole is the usual case and goes no further; any other (invalid UTF-8, NaN, a huge number,
    part of a multi-line document, concatenated documents…) is made text and read as before."""
    pending: _MultiLine | None = None
    line_no = 0
    for line_no, given in enumerate(lines, start=1):
        if isinstance(given, bytes):
            if pending is None and not _may_hold_big_int(given):
                try:
                    value = orjson.loads(given)  # surrounding whitespace is JSON's: no strip needed
                except orjson.JSONDecodeError:
                    pass
                else:
                    yield from _expand(value, f"{source}:{line_no}", _is_plain(given))
                    continue
            line = _text_line(given)
        else:
            line = given
        if pending is not None:
            if line[:1] in "{[" and not pending.closes_with(line):
                # A new top-level document starts while the previous one never closed.
                yield Decoded(f"{source}:{pending.start}", error="incomplete JSON document")
                pending = None
            else:
                pending.add(line)
                if pending.closes_with(line):
                    yield from _finish(pending, source)
                    pending = None
                elif pending.size > MAX_DOCUMENT_BYTES:
                    yield Decoded(f"{source}:{pending.start}", error="document larger than 64 MiB")
                    pending = None
                continue
        stripped = line.strip()
        if not stripped:
            continue
        try:
            value, safe = loads(stripped)
        except (ValueError, RecursionError):
            concatenated = _split_concatenated(stripped)
            if concatenated:
                for index, part in enumerate(concatenated):
                    yield from _expand(part, f"{source}:{line_no} #{index + 1}")
            elif _starts_document(stripped):
                pending = _MultiLine(line, line_no)
            else:
                yield Decoded(f"{source}:{line_no}", error=_json_error(stripped))
            continue
        yield from _expand(value, f"{source}:{line_no}", safe)
    if pending is not None:
        yield from _finish(pending, source, at_end=True)


def _finish(pending: _MultiLine, source: str, *, at_end: bool = False) -> Iterator[Decoded]:
    text = pending.text()
    position = f"{source}:{pending.start}"
    try:
        value, safe = loads(text)
    except (ValueError, RecursionError):
        reason = "incomplete JSON document at end of input" if at_end else _json_error(text)
        yield Decoded(position, error=reason)
        return
    yield from _expand(value, position, safe)


def decode_bytes(body: bytes, source: str) -> Iterator[Decoded]:
    """Decode a request body held in memory (webhook): one document, or JSON Lines."""
    if not _may_hold_big_int(body):
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
        else:
            yield from _expand(value, f"{source}:1", _is_plain(body))
            return
    yield from decode_lines(byte_lines(io.BytesIO(body)), source)
