"""JSON text of events that orjson refuses: deep nesting, huge integers, lone surrogates, NaN."""

from __future__ import annotations

import json

import orjson
import pytest

from auditui.events import safe_json


def nested(levels: int, leaf: object = "bottom") -> object:
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def depth_of(value: object) -> int:
    depth = 0
    while isinstance(value, dict):
        value, depth = value["a"], depth + 1
    return depth


def test_it_writes_what_orjson_writes_unchanged():
    event = {"b": [1, 2.5, None, True], "a": {"x": "é"}}
    assert safe_json.dumps(event) == orjson.dumps(event)
    assert safe_json.pretty(event) == orjson.dumps(event, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    assert safe_json.writable(event) is event


def test_it_cuts_nesting_deeper_than_the_bound_with_a_marker():
    with pytest.raises(TypeError):
        orjson.dumps(nested(300))
    written = json.loads(safe_json.pretty({"requestObject": nested(300)}))
    inner = written["requestObject"]
    assert depth_of(inner) == safe_json.MAX_DEPTH - 1
    for _ in range(safe_json.MAX_DEPTH - 1):
        inner = inner["a"]
    assert inner == safe_json.TOO_DEEP and "nested deeper than 100 levels, not shown" in inner


def test_it_counts_what_it_replaced():
    cut = safe_json.bounded({"x": nested(150), "y": nested(150), "n": 10**5000})
    assert cut.replaced == 3
    assert cut.value["n"].startswith("… an integer of about 5000 digits")


def test_it_tells_deep_values_without_recursing():
    assert safe_json.too_deep(nested(101)) and not safe_json.too_deep(nested(100))
    assert safe_json.too_deep(nested(5000))  # far past Python's recursion limit
    assert not safe_json.too_deep("text") and not safe_json.too_deep([[], {}])


def test_it_writes_huge_integers_surrogates_and_nan_as_valid_json():
    event = {"big": 2**80, "huge": 10**5000, "lone": "a\ud800b", "nan": float("nan"), "inf": float("-inf")}
    data = safe_json.dumps(event)
    data.decode("utf-8")  # valid UTF-8: no lone surrogate reaches the bytes
    back = json.loads(data)
    assert back["big"] == 2**80 and back["nan"] is None and back["inf"] is None
    assert back["lone"] == "a\\ud800b" and "digits, not shown" in back["huge"]


def test_it_gives_text_of_any_scalar():
    assert safe_json.text(42) == "42" and safe_json.text("x\udc00") == "x\\udc00"
    assert "digits, not shown" in safe_json.text(10**5000)


def test_it_answers_a_bounded_copy_to_other_writers():
    event = {"requestObject": nested(300)}
    copy = safe_json.writable(event)
    assert copy is not event and orjson.dumps(copy)
