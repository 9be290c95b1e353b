"""Bytes lines (``byte_lines``, what files are read as since issue 18) decode exactly as text
lines did, hostile input included: only the lines orjson takes whole skip the text path."""

from __future__ import annotations

import io
import json

import pytest

from auditui.events.reader import byte_lines, decode_lines, text_lines
from tests.factories import audit_event

EVENT = json.dumps(audit_event())
HOSTILE = {
    "json lines with blank and whitespace lines": f"{EVENT}\n\n   \n{EVENT}\n".encode(),
    "crlf line ends": f"{EVENT}\r\n{EVENT}\r\n".encode(),
    "lone cr line ends": f"{EVENT}\r{EVENT}\r".encode(),
    "invalid utf-8": b'{"kind": "Event", "x": "\xff\xfe"}\n' + EVENT.encode() + b"\n",
    "nan and infinity": b'{"a": NaN, "b": -Infinity}\n{"c": 1e400}\n',
    "integers beyond 64 bits": b'{"a": 123456789012345678901234567890}\n{"b": -' + b"9" * 5000 + b"}\n",
    "deep nesting": b'{"a": ' + b"[" * 600 + b"]" * 600 + b"}\n",
    "nul and lone surrogate": b'{"a": "x\\u0000y", "b": "\\ud800"}\n',
    "multi-line document, crlf": json.dumps(audit_event(), indent=2).replace("\n", "\r\n").encode() + b"\r\n",
    "multi-line then a bad one": b'{\n  "kind": "Event",,\n}\n' + EVENT.encode() + b"\n",
    "unterminated at the end": b'{\n  "kind": "Event",\n  "auditID": "x"\n',
    "concatenated documents": (EVENT + EVENT + " " + EVENT + "\n").encode(),
    "not json, no newline at the end": b"not json at all",
    "no-break space only": "\u00a0\n".encode() + EVENT.encode(),
    "a byte order mark": b"\xef\xbb\xbf" + EVENT.encode() + b"\n",
}


def _outcomes(lines) -> list[tuple]:
    return [(d.position, repr(d.value), d.error, d.safe) for d in decode_lines(lines, "f.log")]


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_it_decodes_bytes_lines_as_it_decodes_text_lines(data: bytes):
    expected = _outcomes(text_lines(io.BytesIO(data)))
    assert _outcomes(byte_lines(io.BytesIO(data))) == expected
    assert expected  # every case yields something to compare


def test_it_splits_bytes_lines_where_text_lines_split():
    data = b"a\r\nb\rc\nd"
    assert [line.rstrip(b"\r\n").decode() for line in byte_lines(io.BytesIO(data))] == \
        [line.rstrip("\n") for line in text_lines(io.BytesIO(data))]
