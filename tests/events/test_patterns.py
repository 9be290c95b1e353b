"""auditui/wildcards.py and auditui/events/query/patterns.py: wildcard matching in linear time,
with fnmatch's meaning of ``*`` and ``?`` (and backslash escapes). A backtracking regular expression took 42 s for
``*a*/api/*/watch*`` against a 10 KB request URI; any user of a cluster controls the URI."""

from __future__ import annotations

import re
import time
from fnmatch import fnmatchcase

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditui.access.scope import Grant
from auditui.events.query import Compare, matches
from auditui.events.query.patterns import units, wildcard
from auditui.wildcards import shell_wildcard
from tests.factories import audit_event

HOSTILE_URI = "/api/v1/namespaces/" + "a" * 10_000 + "/pods"


# The bounds below tell linear matching (about a millisecond) from backtracking (seconds to hours
# on these inputs) with room for a loaded CI machine: they are not speed goals (bench/ has those).
def test_it_matches_the_hostile_uri_without_backtracking():
    pattern = wildcard("*a*/api/*/watch*")
    started = time.perf_counter()
    assert not pattern.fullmatch(HOSTILE_URI)
    assert time.perf_counter() - started < 0.5


def test_a_drop_rule_style_query_on_the_hostile_uri_stays_fast():
    event = audit_event(requestURI=HOSTILE_URI)
    started = time.perf_counter()
    assert not matches(Compare("requestURI", "=", "*a*/api/*/watch*"), event)
    assert time.perf_counter() - started < 0.5


def test_it_handles_many_stars_against_a_long_text_in_linear_time():
    pattern = wildcard("*a" * 50 + "*b")
    started = time.perf_counter()
    assert not pattern.fullmatch("a" * 100_000)
    assert time.perf_counter() - started < 0.5


def test_it_matches_the_usual_shapes():
    assert wildcard("system:*").fullmatch("system:kube-proxy")
    assert wildcard("*-proxy").fullmatch("system:kube-proxy")
    assert wildcard("a?c").fullmatch("abc") and not wildcard("a?c").fullmatch("ac")
    assert wildcard("*").fullmatch("") and wildcard("**").fullmatch("x")
    assert wildcard("a*b*a").fullmatch("aba") and not wildcard("a*b*a").fullmatch("ab")
    assert wildcard(r"\*").fullmatch("*") and not wildcard(r"\*").fullmatch("x")
    assert wildcard("*/api/*/watch*").fullmatch("/api/v1/pods/watch?x=1")


def test_scope_patterns_read_brackets_literally_as_sql_does():
    grant = Grant(clusters=("prod-[eu]",), namespaces=("*",))
    assert grant.allows("prod-[eu]", "ns") and not grant.allows("prod-e", "ns")
    assert shell_wildcard(r"a\b").fullmatch(r"a\b")


def _reference(pattern: str) -> re.Pattern[str]:
    """The meaning, as a regular expression: fine on the small inputs of these tests."""
    parts = ((".*" if c == "*" else ".") if wild else re.escape(c) for c, wild in units(pattern))
    return re.compile("".join(parts), re.DOTALL)


@settings(max_examples=500, deadline=None)
@given(pattern=st.text(alphabet="ab*?", max_size=8), text=st.text(alphabet="ab", max_size=10))
def test_it_agrees_with_fnmatch(pattern, text):
    assert wildcard(pattern).fullmatch(text) == fnmatchcase(text, pattern)
    assert shell_wildcard(pattern).fullmatch(text) == fnmatchcase(text, pattern)


@settings(max_examples=500, deadline=None)
@given(pattern=st.text(alphabet="ab*?\\", max_size=8), text=st.text(alphabet="ab*?\\", max_size=8))
def test_it_agrees_with_the_escaped_meaning(pattern, text):
    assert wildcard(pattern).fullmatch(text) == (_reference(pattern).fullmatch(text) is not None)


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["sql"])
def test_scope_patterns_select_in_sql_as_in_python(backend_store):
    from auditui.access.scope import ViewerScope
    from auditui.events.ingest import ingest_events
    from auditui.events.store import EventQuery

    long_namespace = "a" * 250  # SQLite's REGEXP was Python's backtracking re, on every row
    namespaces = ["pay-1", "pay-12", "pay[1]", "payments", long_namespace]
    ingest_events([audit_event(namespace=ns) for ns in namespaces], cluster="prod-[eu]")
    grant = Grant(clusters=("prod-[eu]",), namespaces=("pay-?", "pay[1]", "*a*a*a*a*b"))
    q = EventQuery(scope=ViewerScope(grants=(grant,)))
    started = time.perf_counter()
    found = {record.namespace for record in backend_store.search(q, page_size=10, columns_only=True).records}
    assert time.perf_counter() - started < 1
    assert found == {ns for ns in namespaces if grant.allows("prod-[eu]", ns)} == {"pay-1", "pay[1]"}
