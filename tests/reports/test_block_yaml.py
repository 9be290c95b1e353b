"""The fast block-YAML writer reads back as the value written, whatever the strings hold."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.block_yaml import dumps

TRICKY = ["yes", "No", "on", "null", "~", "", "1.0", "012", "a: b", "- x", "#x", "x #y", "@x", "*a", "&a", "!t",
          "line\nbreak", "tab\there", "ünï", "'q'", '"dq"', "[x]", "{x}", "? x", "%x", "`x`", " lead", "trail "]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.sampled_from(TRICKY),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.sampled_from(TRICKY), inner,
                                                                max_size=4),
    max_leaves=20)


def test_it_writes_tricky_strings_so_that_they_read_back_as_strings():
    value = [{key: key for key in TRICKY}, {"nested": [[], {}, [[1, [2]]], {"a": {"b": [{"c": {}}]}}]}]
    assert yaml.safe_load(dumps(value)) == value


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_it_reads_back_any_json_value(value):
    assert yaml.safe_load(dumps(value)) == value
