"""YAML text of versions, whatever they hold, and its line diff."""

from __future__ import annotations

from auditui.events.safe_json import TOO_DEEP
from auditui.policies.yamldiff import line_diff, to_yaml


def _nested(levels: int) -> object:
    value: object = "bottom"
    for _ in range(levels):
        value = {"a": value}
    return value


def test_it_writes_yaml_sorted_and_in_block_style():
    assert to_yaml({"spec": {"b": 1, "a": [80]}}) == "spec:\n  a:\n  - 80\n  b: 1\n"


def test_it_writes_a_version_nested_300_levels_with_a_marker():
    text = to_yaml({"spec": _nested(300)})
    assert TOO_DEEP in text and text.count("a:") < 110


def test_it_writes_lone_surrogates_and_huge_integers_as_text():
    text = to_yaml({"metadata": {"name": "web\ud800"}, "spec": {"order": 10**5000}})
    text.encode("utf-8")
    assert "web\\ud800" in text and "digits, not shown" in text


def test_it_diffs_lines_of_deep_versions():
    old, new = {"spec": {"x": 1, "deep": _nested(300)}}, {"spec": {"x": 2, "deep": _nested(300)}}
    hunks = line_diff(to_yaml(old), to_yaml(new))
    assert [(line.kind, line.text.strip()) for h in hunks for line in h.lines if line.kind != "ctx"] == [
        ("del", "x: 1"), ("add", "x: 2")]
