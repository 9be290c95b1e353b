"""A corpus of hostile audit records, each attacking one layer of ingest (the reader, the
normaliser, a database column, a search engine's parser, a page), mixed with good events.

Every case is one line of JSON Lines as bytes (several attacks exist only as text: invalid
UTF-8, duplicate keys, ``NaN``, integers of 5,000 digits), with what must become of it:
``stored`` (made safe where needed, findable under its auditID) or ``rejected`` (with a reason).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import audit_event, rfc3339

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
GOOD_USER = "good-user@example.com"
# Placeholders replaced in the serialised text by what json.dumps cannot write.
_RAW = "@@RAW@@"


@dataclass(frozen=True)
class Case:
    name: str
    line: bytes
    outcome: str  # "stored" or "rejected"
    audit_id: str = ""  # what it is stored under, when stored

    @property
    def stored(self) -> bool:
        return self.outcome == "stored"


def _event(case: str, index: int, **extra: Any) -> dict[str, Any]:
    return audit_event(audit_id=f"hostile-{case}", time=T0 + timedelta(seconds=index), username="mallory",
                       **extra)


def _line(event: dict, raw: str | None = None) -> bytes:
    """One line; ``raw`` replaces the placeholder string ``_RAW`` with text json cannot produce."""
    text = json.dumps(event, ensure_ascii=False)
    if raw is not None:
        text = text.replace(json.dumps(_RAW), raw)
    return text.encode("utf-8", "surrogatepass")


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = {"l": value} if level % 2 else [value]
    return value


def _stored(case: str, index: int, raw: str | None = None, **extra: Any) -> Case:
    return Case(case, _line(_event(case, index, **extra), raw), "stored", f"hostile-{case}")


def _rejected(case: str, index: int, raw: str | None = None, **extra: Any) -> Case:
    return Case(case, _line(_event(case, index, **extra), raw), "rejected")


def _numbers(index: int) -> list[Case]:
    return [
        _stored("huge-int", index, requestObject={"spec": {"replicas": _RAW}}, raw="9" * 5000),
        _stored("huge-int-code", index + 1, responseStatus={"code": _RAW}, raw="4" * 4400),
        _stored("float-1e400", index + 2, requestObject={"spec": {"ratio": _RAW}}, raw="1e400"),
        _stored("nan-infinity", index + 3, requestObject={"a": _RAW}, raw='[NaN, Infinity, -Infinity, -1e400]'),
        _stored("int-beyond-64-bits", index + 4, requestObject={"big": _RAW}, raw="1" * 40),
    ]


def _text(index: int) -> list[Case]:
    nul = "ns\u0000x"
    return [
        _stored("lone-surrogate", index, requestObject={"bad": _RAW, "\ud800key": 1}, raw='"a\\ud800b"'),
        _stored("nul", index + 1, namespace=nul, name="n\u0000", requestObject={"k\u0000": "v\u0000"}),
        Case("invalid-utf8", _line(_event("invalid-utf8", index + 2, userAgent=_RAW), raw='"kubectl'
                                   '@@BYTES@@"').replace(b"@@BYTES@@", b"\xff\xfe\xc3"), "stored",
             "hostile-invalid-utf8"),
        _stored("html-js", index + 3, verb=SCRIPT, resource=SCRIPT, namespace=SCRIPT, name=SCRIPT,
                userAgent=SCRIPT, requestURI=f"/api/{SCRIPT}", sourceIPs=[SCRIPT], level=SCRIPT,
                user={"username": SCRIPT, "groups": [SCRIPT]}, annotations={SCRIPT: SCRIPT},
                requestObject={SCRIPT: SCRIPT}),
    ]


def _sizes(index: int, *, big: bool) -> list[Case]:
    long300, long100k = "n" * 300, "u" * 100_000
    object_ref = {"resource": long300, "subresource": long300, "apiGroup": long300, "apiVersion": "v1",
                  "namespace": long300, "name": long300}
    cases = [
        _stored("names-300", index, objectRef=object_ref, requestURI=f"/api/v1/namespaces/{long300}/pods"),
        _stored("names-100k", index + 1, objectRef={**object_ref, "name": long100k, "namespace": long100k},
                requestURI=f"/api/v1/namespaces/{long100k}/pods", userAgent=long100k,
                user={"username": long100k, "groups": [long100k]}),
        _stored("deep-300", index + 2, requestObject=_nested(300)),
        Case("deep-2000", _line(_event("deep-2000", index + 3, requestObject=_RAW),
                                raw='{"l":' * 2000 + "1" + "}" * 2000), "rejected"),
        _rejected("audit-id-too-long", index + 4, auditID="x" * 100),
    ]
    if big:
        cases.append(_stored("body-10mb", index + 5, requestObject={"data": "x" * (10 * 1024 * 1024)}))
    return cases


def _keys(index: int) -> list[Case]:
    dup = _line(_event("dup-keys", index, verb=_RAW), raw='"create", "verb": "delete"')
    return [
        _stored("odd-keys", index + 1, requestObject={"a.b": 1, "$where": "x", "": "empty", "a": {"b": 2},
                                                      "$": {"": {".": "."}}}, **{"": 1, "a.b": 2, "$x": 3}),
        Case("dup-keys", dup, "stored", "hostile-dup-keys"),
        Case("dup-audit-id", _line(_event("dup-audit-id-first", index + 2, verb=_RAW),
                                   raw='"get", "auditID": "hostile-dup-audit-id"'), "stored", "hostile-dup-audit-id"),
    ]


def _types(index: int) -> list[Case]:
    wrong = {"verb": 7, "user": ["alice"], "impersonatedUser": "root", "sourceIPs": "10.0.0.1",
             "userAgent": {"a": 1}, "level": [], "requestURI": 5, "annotations": ["x"],
             "objectRef": {"namespace": {"a": 1}, "name": [1], "resource": 5, "subresource": True,
                           "apiGroup": None, "apiVersion": 3.5, "uid": {}},
             "responseStatus": {"code": "500"}}
    return [
        _stored("wrong-types", index, **wrong),
        _stored("wrong-types-2", index + 1, user={"username": 5, "groups": "g"}, objectRef=[1, 2],
                responseStatus=[], stageTimestamp=None),
        _stored("code-huge", index + 2, responseStatus={"code": 10**30}),
        _rejected("stage-list", index + 3, stage=["ResponseComplete"]),
        _rejected("api-version-list", index + 4, apiVersion=["audit.k8s.io/v1"]),
        _rejected("kind-dict", index + 5, kind={"a": 1}),
        _rejected("audit-id-number", index + 6, auditID=12),
        _rejected("time-number", index + 7, requestReceivedTimestamp=12, stageTimestamp=None),
    ]


def _times(index: int) -> list[Case]:
    return [
        _rejected("time-year-1", index, requestReceivedTimestamp="0001-01-01T00:00:00+01:00"),
        _rejected("time-year-9999", index + 1, requestReceivedTimestamp="9999-12-31T23:59:59-05:00"),
        _rejected("time-before-1970", index + 2, requestReceivedTimestamp="1969-12-31T23:59:59Z"),
        _rejected("time-not-a-date", index + 3, requestReceivedTimestamp="2026-13-45T99:00:00Z"),
        _rejected("stage-time-year-1", index + 4, stageTimestamp="0001-01-01T00:00:00+01:00"),
        Case("truncated", b'{"kind": "Event", "auditID": "hostile-truncated", "stage": ', "rejected"),
    ]


def hostile_cases(*, big: bool = True) -> list[Case]:
    """Every hostile case; ``big``: with the one 10 MB event."""
    return [*_numbers(0), *_text(10), *_sizes(20, big=big), *_keys(30), *_types(40), *_times(50)]


def good_events(count: int = 6) -> list[dict]:
    return [audit_event(audit_id=f"good-{n}", time=T0 + timedelta(minutes=5, seconds=n), username=GOOD_USER,
                        namespace="payments", name=f"web-{n}") for n in range(count)]


def mixed_lines(cases: list[Case], goods: list[dict]) -> list[bytes]:
    """Good events between the hostile ones (a good one before and after each)."""
    good_lines = [json.dumps(event).encode() for event in goods]
    lines: list[bytes] = []
    for index, case in enumerate(cases):
        lines += [good_lines[index % len(good_lines)], case.line]
    return [*lines, *good_lines]


def time_range() -> tuple[str, str]:
    return rfc3339(T0 - timedelta(hours=1)), rfc3339(T0 + timedelta(hours=1))
