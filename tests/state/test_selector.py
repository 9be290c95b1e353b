"""Calico selectors: a table restated from Calico's own selector tests.

The cases in SELECTOR_CASES, BAD_SELECTORS, CANONICAL and TOKENS restate the test tables of
projectcalico/calico, libcalico-go/lib/selector/parser/parser_test.go and
libcalico-go/lib/selector/tokenizer/tokenizer_test.go:

    Copyright (c) 2016, 2019 Tigera, Inc. All rights reserved.

    Licensed under the Apache License, Version 2.0 (the "License");
    you may not use this file except in compliance with the License.
    You may obtain a copy of the License at

        http://www.apache.org/licenses/LICENSE-2.0

    Unless required by applicable law or agreed to in writing, software
    distributed under the License is distributed on an "AS IS" BASIS,
    WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
    See the License for the specific language governing permissions and
    limitations under the License.
"""

from __future__ import annotations

import pytest

from auditui.state.selector import SelectorError, parse, tokenize

# (selector, label sets it matches, label sets it does not match)
SELECTOR_CASES = [
    ('a == "b"', [{"a": "b"}, {"a": "b", "c": "d"}], [{}, {"a": "c"}, {"c": "d"}]),
    ('a == "b" && c == "d"', [{"a": "b", "c": "d"}],
     [{}, {"a": "b", "c": "e"}, {"a": "c", "c": "d"}, {"c": "d"}, {"a": "b"}]),
    ('a == "b" || c == "d"', [{"a": "b", "c": "d"}, {"a": "b"}, {"c": "d"}],
     [{}, {"a": "e", "c": "e"}, {"c": "e"}, {"a": "e"}]),
    ("a in {\"'\", '\"', \"c\"}", [{"a": "c"}, {"a": '"'}, {"a": "'"}], [{}, {"a": "e"}]),
    ("a not in {\"'\", '\"', \"c\"}", [{}, {"a": "e"}], [{"a": "c"}, {"a": '"'}, {"a": "'"}]),
    ("a == 'a'", [{"a": "a"}], [{"a": "b"}, {}]),
    ('a == "a"', [{"a": "a"}], []),
    ('a != "b"', [{"a": "a"}], []),
    ('a != "a"', [{}], [{"a": "a"}]),
    ("a != 'a'", [], [{"a": "a"}]),
    ('a contains "a"', [{"a": "a"}, {"a": "bab"}, {"a": "aaa", "b": "c"}], [{}, {"a": "b"}, {"b": "aaa"}]),
    ('a starts with "a"', [{"a": "a"}, {"a": "abb"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"a": "baa"}, {"b": "aaa"}]),
    ('a ends with "a"', [{"a": "a"}, {"a": "bba"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"a": "aab"}, {"b": "aaa"}]),
    ('a in {"a"}', [{"a": "a"}], [{"a": "b"}]),
    ('!a in {"a"}', [{"a": "b"}], []),
    ('a in {"a", "b"}', [{"a": "a"}, {"a": "b"}], [{"a": "c"}]),
    ('a not in {"d", "e"}', [{"a": "a"}], []),
    ('a not in {"a"}', [], [{"a": "a"}]),
    ("has(a)", [{"a": "b"}], []),
    ("has(b)", [], [{"a": "b"}]),
    ("!has(a)", [{"b": "b"}], [{"a": "b"}]),
    ("!!has(b)", [], [{"a": "b"}]),
    ("! has(a)", [], [{"a": "b"}]),
    ("!!! has(a)", [], [{"a": "b"}]),
    ("!!!has(a)", [], [{"a": "b"}]),
    ("!! ! has(a)", [], [{"a": "b"}]),
    ("! !!has(a)", [], [{"a": "b"}]),
    ("", [{}, {"a": "b"}], []),
    (" ", [{}], []),
    ("all()", [{}], []),
    (" all()", [{}, {"a": "b"}], []),
    ("global()", [{}], []),
    (" global()", [{}, {"a": "b"}], []),
    ("a == 'a1' && b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && !b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("!a == 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("has(a) && !has(b)", [{"a": "a"}], []),
    ("!has(b) && has(a)", [{"a": "a"}], []),
    ("!(!has(a) || has(b))", [{"a": "a"}], []),
    ("!(has(b) || !has(a))", [{"a": "a"}], []),
    ("a == 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' || b != 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("! a == 'a1' || ! b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
]

BAD_SELECTORS = [
    "b == b", "b contains b", "b starts with b", "b ends with b", "'b1' == b", "b", "a b", "!",
    'foo == "bar" &', 'foo == "bar" |', "foo != ||", 'foo in {"", ||', 'foo in ""', '"FOO', "\"FOO'",
    "'FOO", "(", '(a == "foo"', ")", "()", "%", 'a == "b" && %', 'a == "b" || %', "a ", "has(foo) &&",
]

CANONICAL = [
    ("", "all()"),
    (" all() ", "all()"),
    (" (all() )", "all()"),
    ("! (has( b)||! has(a ))", "!(has(b) || !has(a))"),
    ('! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")'),
    ("a == \"'\"", "a == \"'\""),
    ("a == '\"'", "a == '\"'"),
    ("a contains '\"'", "a contains '\"'"),
    ("a contains \"'\"", "a contains \"'\""),
    ("a startswith '\"'", "a starts with '\"'"),
    ("a endswith \"'\"", "a ends with \"'\""),
    ("a!='\"'", "a != '\"'"),
    ('a in {"d"}', 'a in {"d"}'),
    ('a in {"a", "b"}', 'a in {"a", "b"}'),
    ('a in {"d", "a", "b"}', 'a in {"a", "b", "d"}'),
    ('a in {"z", "x", "y", "a"}', 'a in {"a", "x", "y", "z"}'),
    ('a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}'),
    ("!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
     '!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})'),
]

# (input, [(kind, value)] without the final eof), or None when the tokenizer refuses it
TOKENS = [
    ('a=="b"', [("label", "a"), ("==", ""), ("string", "b")]),
    ('label contains "value"', [("label", "label"), ("contains", ""), ("string", "value")]),
    ('contains contains "contains"', [("label", "contains"), ("contains", ""), ("string", "contains")]),
    ("contains contains 'contains'", [("label", "contains"), ("contains", ""), ("string", "contains")]),
    ('label contains"value"', [("label", "label"), ("contains", ""), ("string", "value")]),
    ('label startswith "value"', [("label", "label"), ("starts with", ""), ("string", "value")]),
    ('label endswith "value"', [("label", "label"), ("ends with", ""), ("string", "value")]),
    ('label starts with "value"', [("label", "label"), ("starts with", ""), ("string", "value")]),
    ('startswith starts with "value"', [("label", "startswith"), ("starts with", ""), ("string", "value")]),
    ('endswith ends with "value"', [("label", "endswith"), ("ends with", ""), ("string", "value")]),
    ('label starts  with "value"', [("label", "label"), ("starts with", ""), ("string", "value")]),
    ('label ends  with "value"', [("label", "label"), ("ends with", ""), ("string", "value")]),
    ('label starts foo "value"', None),
    ('label ends foo "value"', None),
    ('label squiggles "value"', None),
    ('a not in "bar" && !has(foo) || b in c',
     [("label", "a"), ("not in", ""), ("string", "bar"), ("&&", ""), ("!", ""), ("has", "foo"), ("||", ""),
      ("label", "b"), ("in", ""), ("label", "c")]),
    ("has(calico/k8s_ns)", [("has", "calico/k8s_ns")]),
    ("has(calico/k8s_NS-.1/role)", [("has", "calico/k8s_NS-.1/role")]),
    ('calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"',
     [("label", "calico/k8s_ns"), ("==", ""), ("string", "kube-system"), ("&&", ""), ("label", "k8s-app"),
      ("==", ""), ("string", "kube-dns")]),
    ('a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c ',
     [("label", "a"), ("not in", ""), ("string", "bar"), ("&&", ""), ("!", ""), ("has", "foo"), ("||", ""),
      ("label", "b"), ("in", ""), ("label", "c")]),
    ('a notin"bar"&&!has(foo)||b in"c"',
     [("label", "a"), ("not in", ""), ("string", "bar"), ("&&", ""), ("!", ""), ("has", "foo"), ("||", ""),
      ("label", "b"), ("in", ""), ("string", "c")]),
    ("a not in {}", [("label", "a"), ("not in", ""), ("{", ""), ("}", "")]),
    ('a not in {"a","B"}', [("label", "a"), ("not in", ""), ("{", ""), ("string", "a"), (",", ""),
                            ("string", "B"), ("}", "")]),
    ("global()", [("global", "")]),
    ("all()", [("all", "")]),
]


@pytest.mark.parametrize(("text", "matching", "not_matching"), SELECTOR_CASES)
def test_it_evaluates_calicos_selector_table(text, matching, not_matching):
    selector = parse(text)
    again = parse(str(selector))  # the canonical form means the same
    for labels in matching:
        assert selector.matches(labels) and again.matches(labels), (text, labels)
    for labels in not_matching:
        assert not selector.matches(labels) and not again.matches(labels), (text, labels)


@pytest.mark.parametrize("text", BAD_SELECTORS)
def test_it_rejects_calicos_bad_selectors(text):
    with pytest.raises(SelectorError) as caught:
        parse(text)
    assert 0 <= caught.value.position <= len(text)


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_it_prints_calicos_canonical_form_and_round_trips(text, canonical):
    assert str(parse(text)) == canonical
    assert str(parse(canonical)) == canonical


@pytest.mark.parametrize(("text", "expected"), TOKENS)
def test_it_tokenizes_as_calico_does(text, expected):
    if expected is None:
        with pytest.raises(SelectorError):
            tokenize(text)
        return
    assert [(t.kind, t.value) for t in tokenize(text)] == [*expected, ("eof", "")]


def test_it_reports_where_the_error_is():
    with pytest.raises(SelectorError) as caught:
        parse('app == "web" && %')
    assert caught.value.position == 16
    assert caught.value.message == "unexpected characters"


def test_it_names_an_unterminated_string_at_its_quote():
    with pytest.raises(SelectorError) as caught:
        parse("app == 'web")
    assert (caught.value.message, caught.value.position) == ("unterminated string", 7)


def test_it_takes_labels_up_to_512_characters():
    long = "k" * 512
    assert parse(f'{long} == "v"').matches({long: "v"})
    with pytest.raises(SelectorError):
        parse(f'{"k" * 513} == "v"')  # the 513th character starts where an operator must be


def test_it_names_the_label_an_operator_should_follow():
    with pytest.raises(SelectorError) as caught:
        parse("app squiggles 'web'")
    assert caught.value.message == "unexpected characters after label 'app', was expecting an operator"
    assert caught.value.position == 4
