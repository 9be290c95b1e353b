from __future__ import annotations

import gzip
import io
import json

from auditui.events.reader import decode_bytes, decode_lines, loads, open_binary, text_lines
from tests.factories import audit_event, event_list


def _decode(text: str):
    return list(decode_lines(io.StringIO(text), "f.log"))


def test_it_reads_json_lines_with_positions_and_blank_lines():
    a, b = audit_event(), audit_event()
    docs = _decode(f"{json.dumps(a)}\n\n{json.dumps(b)}\n")
    assert [(d.position, d.value["auditID"]) for d in docs] == [("f.log:1", a["auditID"]), ("f.log:3", b["auditID"])]


def test_it_reads_a_pretty_printed_event_and_several_in_a_row():
    a, b = audit_event(), audit_event()
    docs = _decode(json.dumps(a, indent=2) + "\n" + json.dumps(b, indent=4) + "\n")
    assert [d.value["auditID"] for d in docs] == [a["auditID"], b["auditID"]]
    assert docs[1].position == f"f.log:{len(json.dumps(a, indent=2).splitlines()) + 1}"


def test_it_expands_an_event_list_into_its_items():
    events = [audit_event(), audit_event()]
    docs = _decode(json.dumps(event_list(events), indent=2))
    assert [d.position for d in docs] == ["f.log:1 items[0]", "f.log:1 items[1]"]
    assert [d.value["auditID"] for d in docs] == [e["auditID"] for e in events]


def test_it_reports_a_malformed_line_and_keeps_reading():
    good = audit_event()
    docs = _decode('{"kind": "Event", "auditID": \n' + json.dumps(good) + "\nnot json at all\n")
    assert docs[0].error == "incomplete JSON document"
    assert docs[0].position == "f.log:1"
    assert docs[1].value["auditID"] == good["auditID"]
    assert docs[2].position == "f.log:3"
    assert "invalid JSON" in docs[2].error and "column 1" in docs[2].error


def test_it_reports_an_unterminated_document_at_the_end():
    docs = _decode('{\n  "kind": "Event",\n  "auditID": "x"\n')
    assert docs[0].error == "incomplete JSON document at end of input"


def test_it_reports_a_bad_multi_line_document_and_continues():
    good = audit_event()
    docs = _decode('{\n  "kind": "Event",,\n}\n' + json.dumps(good) + "\n")
    assert docs[0].position == "f.log:1" and "invalid JSON" in docs[0].error
    assert docs[1].value["auditID"] == good["auditID"]


def test_it_unzips_by_content_not_by_name(tmp_path):
    event = audit_event()
    path = tmp_path / "audit.log"  # no .gz suffix on purpose
    path.write_bytes(gzip.compress((json.dumps(event) + "\n").encode()))
    with open_binary(path) as binary:
        docs = list(decode_lines(text_lines(binary), str(path)))
    assert docs[0].value == event


def test_it_decodes_request_bodies_as_one_document_or_json_lines():
    events = [audit_event(), audit_event()]
    assert len(list(decode_bytes(json.dumps(event_list(events)).encode(), "body"))) == 2
    lines = "\n".join(json.dumps(e) for e in events).encode()
    assert [d.position for d in decode_bytes(lines, "body")] == ["body:1", "body:2"]


def test_it_survives_invalid_utf8():
    docs = _decode(b'{"kind": "Event", "x": "\xff"}\n'.decode("utf-8", errors="surrogateescape").encode(
        "utf-8", errors="surrogateescape").decode("utf-8", errors="replace"))
    assert docs[0].value["x"] == "\ufffd"


def test_it_splits_json_values_written_back_to_back_on_one_line():
    a, b = audit_event(), audit_event()
    docs = _decode(json.dumps(a) + json.dumps(b) + "\n" + json.dumps(a) + "{broken\n")
    assert [d.position for d in docs] == ["f.log:1 #1", "f.log:1 #2", "f.log:2"]
    assert [d.value["auditID"] for d in docs[:2]] == [a["auditID"], b["auditID"]]
    assert "invalid JSON" in docs[2].error


# --- hostile input (issue 12): never an exception, each record decoded or rejected with its place

def test_it_decodes_an_integer_of_5000_digits_as_its_text():
    # Python's int() stops at 4,300 digits: this used to end `manage.py ingest` with a traceback.
    line = '{"auditID": "a", "n": ' + "9" * 5000 + "}\n"
    (doc,) = _decode(line)
    assert doc.error is None and doc.value["n"] == "9" * 5000 and not doc.safe
    (body_doc,) = decode_bytes(line.encode(), "body")
    assert body_doc.value["n"] == "9" * 5000


def test_it_keeps_numbers_that_are_not_json_numbers_as_their_text():
    (doc,) = _decode('{"a": 1e400, "b": NaN, "c": [Infinity, -Infinity], "d": 1.5}\n')
    assert doc.value == {"a": "1e400", "b": "NaN", "c": ["Infinity", "-Infinity"], "d": 1.5}


def test_it_decodes_lone_surrogates_and_duplicate_keys():
    (doc,) = _decode('{"a": "x\\ud800", "k": 1, "k": 2}\n')
    assert doc.value == {"a": "x\ud800", "k": 2} and not doc.safe


def test_it_rejects_nesting_no_parser_takes_with_its_position():
    deep = '{"a":' * 3000 + "1" + "}" * 3000
    docs = _decode(json.dumps(audit_event()) + "\n" + deep + "\n")
    assert docs[0].error is None
    assert (docs[1].position, docs[1].error) == ("f.log:2", "invalid JSON: nested too deeply")


def test_it_vouches_only_for_documents_without_nul_or_deep_nesting():
    plain, nul = _decode(json.dumps(audit_event()) + "\n" + '{"a": "\\u0000"}\n')
    assert plain.safe and not nul.safe
    (deep,) = _decode(json.dumps({"a": [[[[1]]]] * 200}) + "\n")
    assert not deep.safe  # more brackets than MAX_DEPTH: perhaps deeper, looked through at ingest


def test_it_keeps_an_integer_of_20_digits_and_more_exact_on_every_path():
    big = 123456789012345678901234567890
    text = f'{{"a": {big}, "b": [-{big}], "c": "not a number: 123456789012345678901"}}'
    assert loads(text)[0] == {"a": big, "b": [-big], "c": "not a number: 123456789012345678901"}
    assert loads(text.encode())[0]["a"] == big
    [decoded] = list(decode_lines([text.encode() + b"\n"], "f"))
    assert decoded.value["b"] == [-big] and isinstance(decoded.value["a"], int)
    assert loads('{"a": 12345678901234567890}')[0]["a"] == 12345678901234567890  # 2**64 is 20 digits too
