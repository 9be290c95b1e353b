"""sanitize.make_safe: values no store (or reader of the stored copy) takes, made storable."""

from __future__ import annotations

import json

from auditui.events.sanitize import DEPTH_MARKER, MAX_DEPTH, NumberText, make_safe


def _nested(depth: int):
    value = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_it_keeps_nesting_that_stores_hold():
    value = {"deep": _nested(300)}
    assert make_safe(value) == (value, [])


def test_it_returns_a_clean_value_itself_without_notes():
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": "é"}}
    assert make_safe(value) == (value, [])
    assert make_safe(value)[0] is value


def test_it_cuts_nesting_deeper_than_every_reader_takes_and_keeps_the_rest():
    cleaned, notes = make_safe({"keep": 1, "deep": _nested(MAX_DEPTH + 100)})
    json.loads(json.dumps(cleaned))  # what reads it back from a database
    node, depth = cleaned["deep"], 1
    while isinstance(node, dict):
        node, depth = node["a"], depth + 1
    assert node == DEPTH_MARKER and depth == MAX_DEPTH
    assert cleaned["keep"] == 1
    assert len(notes) == 1 and notes[0].startswith(f"nesting deeper than {MAX_DEPTH} levels cut at deep.a.a")


def test_it_keeps_key_order_and_one_note_per_kind():
    value = {"z": "\x00", "a": "\x00", "m": float("nan"), "n": 10**1000, "t": NumberText("1e400"), "k": 2**70}
    cleaned, notes = make_safe(value)
    assert list(cleaned) == ["z", "a", "m", "n", "t", "k"]
    assert cleaned == {"z": "\\u0000", "a": "\\u0000", "m": "nan", "n": str(10**1000), "t": "1e400", "k": 2**70}
    assert len(notes) == 4


def test_it_writes_floats_beyond_64_bit_integers_as_text():
    cleaned, notes = make_safe({"f": 1e30, "ok": 1e18})
    assert cleaned == {"f": "1e+30", "ok": 1e18} and "beyond 64-bit integers" in notes[0]


def test_it_replaces_lone_surrogates_in_keys_and_values():
    cleaned, notes = make_safe({"\udc00k": ["ok", "x\ud800y"]})
    assert cleaned == {"\ufffdk": ["ok", "x\ufffdy"]}
    assert notes == ["lone surrogate stored as U+FFFD at (top)"]  # the first place found: the key
