"""``auditui.events.query.paths``: keys with a ``*`` segment in the parser (errors with their
position, the printer's round trip, the caps) and in the Python walk; the backends' answers are
held to each other in tests/events/test_query_wildcard.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditui.events.query import Compare, Empty, InSet, QueryError, parse, to_text
from auditui.events.query.fields import raw_values
from auditui.events.query.limits import MAX_WILDCARD_KEY_TEXT
from auditui.events.query.paths import glob_path, like_path, path_matches, regexp_path
from auditui.events.store.dsl import compile_query


def test_it_parses_a_star_segment_quoted_or_not():
    assert parse('requestObject.data.* = "*aws*"') == Compare("requestObject.data.*", "=", "*aws*")
    assert parse('"requestObject.data.*" EMPTY') == Empty("requestObject.data.*")


@pytest.mark.parametrize(("text", "position", "message"), [
    ("*.data = x", 0, "a key cannot start with *"),
    ("verb = get AND requestObject.**.x = 1", 15, '"**" is not a key segment'),
    ("user.username.* = x", 0, "user.username is an indexed field, not an object"),
    ("time.* = x", 0, "time is an indexed field"),
    ("objectRef.* = pods", 0, "would reach the indexed field objectRef.apiGroup"),
    ("annotations.* = allow", 0, "would reach the indexed field annotations.authorization.k8s.io/decision"),
    ("requestObject.spec.* >= 3", 21, "a key with * takes =, !=, IN, NOTIN or EMPTY, not >="),
    ('"requestObject.a=b.*" = x', 0, "a key with * cannot hold ="),
])
def test_it_refuses_misuse_naming_the_position(text, position, message):
    with pytest.raises(QueryError) as error:
        parse(text)
    assert error.value.position == position
    assert message in error.value.message


def test_it_caps_a_star_key_and_its_value_together():
    value = "x" * (MAX_WILDCARD_KEY_TEXT - len("requestObject.data.*"))
    assert parse(f'requestObject.data.* = "{value}"')
    with pytest.raises(QueryError, match="wildcard key cap"):
        parse(f'requestObject.data.* IN {{a, "{value}x"}}')
    with pytest.raises(QueryError, match="wildcard key cap"):
        parse("requestObject.data.* = ${v}", {"v": [value + "x"]})


def test_it_keeps_a_star_inside_a_segment_literal():
    event = {"data": {"a*": 1, "ab": 2}}
    assert list(raw_values(event, "data.a*")) == [1]


def test_it_walks_lists_and_any_depth_under_a_star():
    event = {"spec": {"containers": [{"name": "web", "ports": [{"containerPort": 80}]}, {"name": "side"}]}}
    found = sorted(map(repr, raw_values(event, "spec.containers.*")))
    # Lists are looked through; a * also reaches the port inside the list of ports.
    assert found == ["'side'", "'web'", "80", "{'containerPort': 80}"]
    assert list(raw_values(event, "spec.*.containerPort")) == [80]


def test_it_never_matches_a_path_holding_an_equals_sign():
    assert path_matches("data.*", ".data.key")
    assert not path_matches("data.*", ".data.x=y")
    assert not path_matches("data.*", ".data.")  # a * stands for some text, never none


def test_it_spells_the_path_for_each_backend_with_literals_escaped():
    key = "requestObject.metadata.labels.app_[x]%.*"
    assert glob_path(key) == ".requestObject.metadata.labels.app_[[]x]%.?*"
    assert like_path(key) == ".requestObject.metadata.labels.app\\_[x]\\%._%"
    assert regexp_path(key) == "requestObject\\.metadata\\.labels\\.app\\_\\[x\\]\\%\\.[^=]+"


def test_it_compiles_to_regexp_queries_for_the_search_engines():
    query = compile_query(parse('requestObject.data.* = "*AKIA*"'))
    assert query == {"regexp": {"raw_s": {
        "value": "[0-9]+:requestObject\\.data\\.[^=]+=.*AKIA.*", "flags": "NONE"}}}
    assert compile_query(parse("requestObject.data.* EMPTY")) == {"bool": {"must_not": [
        {"regexp": {"raw_ne": {"value": "requestObject\\.data\\.[^=]+", "flags": "NONE"}}}]}}


_segments = st.lists(st.one_of(st.just("*"), st.text("abc.-_/=%", min_size=1, max_size=4)), min_size=1, max_size=4)


@settings(max_examples=200)
@given(_segments, st.sampled_from(["=", "!="]), st.text(max_size=8))
def test_it_round_trips_printed_star_keys(rest, op, value):
    key = ".".join(["requestObject", *rest])
    if "*" not in rest or "=" in key or "**" in key.split("."):
        return
    value = value.replace("\\", "").replace("*", "").replace("?", "")
    for node in (Compare(key, op, value), InSet(key, (value,), negate=op == "!="), Empty(key)):
        assert parse(to_text(node)) == node
