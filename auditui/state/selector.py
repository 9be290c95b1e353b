"""Calico selectors, parsed and evaluated as Calico's ``libcalico-go/lib/selector`` does.

The grammar, the tokenizer's rules and the error messages follow Calico's parser (Apache-2.0,
restated, not copied): ``||`` binds loosest, then ``&&``, then any number of leading ``!``
(collapsed to one negation or none); operations are ``label == "v"``, ``!=``, ``contains``,
``starts with``, ``ends with``, ``in {…}``, ``not in {…}``, ``has(label)``, ``all()``,
``global()`` and parenthesised expressions. String literals are quoted with ``"`` or ``'``
without escapes; labels are 1 to 512 of ``a-zA-Z0-9_./-``; whitespace is spaces and tabs. An
empty selector is ``all()``. ``str(selector)`` is Calico's canonical form (``&&``/``||`` in
parentheses, sets sorted and de-duplicated, values in ``"`` unless they hold one).

Beyond Calico: every error carries the position (0-based offset into the text) it was found at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

_LABEL = re.compile(r"[a-zA-Z0-9_./-]{1,512}")
_WHITESPACE = " \t"


class SelectorError(ValueError):
    """A selector that does not parse: Calico's message, and where (0-based offset)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # label, string, {, }, ",", ==, !=, in, not in, !, contains, starts with, ends with,
    # all, global, has, (, ), &&, ||, eof
    value: str = ""
    position: int = 0

    def __str__(self) -> str:
        return f"{self.kind}({self.value})" if self.value else self.kind


_SIMPLE = {"(": "(", ")": ")", "{": "{", "}": "}", ",": ","}
_PAIRS = {"=": ("==", "expected =="), "&": ("&&", "expected &&"), "|": ("||", "expected ||")}


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with ``eof``; raises SelectorError."""
    tokens: list[Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= len(text):
            tokens.append(Token("eof", "", pos))
            return tokens
        token, pos = _next_token(text, pos, tokens[-1] if tokens else None)
        tokens.append(token)


def _next_token(text: str, pos: int, last: Token | None) -> tuple[Token, int]:
    char = text[pos]
    if char in _SIMPLE:
        return Token(_SIMPLE[char], "", pos), pos + 1
    if char in "\"'":
        end = text.find(char, pos + 1)
        if end == -1:
            raise SelectorError("unterminated string", pos)
        return Token("string", text[pos + 1:end], pos), end + 1
    if char in _PAIRS:
        kind, error = _PAIRS[char]
        if text.startswith(kind, pos):
            return Token(kind, "", pos), pos + 2
        raise SelectorError(error, pos)
    if char == "!":
        if text.startswith("!=", pos):
            return Token("!=", "", pos), pos + 2
        return Token("!", "", pos), pos + 1
    if last is not None and last.kind == "label":
        return _operator_after_label(text, pos, last.value)
    return _word(text, pos)


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _operator_after_label(text: str, pos: int, label: str) -> tuple[Token, int]:
    """After a label only an operator may follow ("starts  with" and "startswith" alike)."""
    error = SelectorError(f"unexpected characters after label '{label}', was expecting an operator", pos)
    if text.startswith("contains", pos):
        return Token("contains", "", pos), pos + len("contains")
    for first, kind in (("starts", "starts with"), ("ends", "ends with"), ("not", "not in")):
        if text.startswith(first, pos):
            rest = _skip_ws(text, pos + len(first))
            second = kind.split()[1]
            if text.startswith(second, rest):
                return Token(kind, "", pos), rest + len(second)
            raise error
    if text.startswith("in", pos):
        return Token("in", "", pos), pos + 2
    raise error


def _word(text: str, pos: int) -> tuple[Token, int]:
    if text.startswith("has(", pos):
        inner = _skip_ws(text, pos + 4)
        match = _LABEL.match(text, inner)
        if not match:
            raise SelectorError("no label name in has( expression", inner)
        close = _skip_ws(text, match.end())
        if not text.startswith(")", close):
            raise SelectorError("no closing ')' after has(", close)
        return Token("has", match.group(), pos), close + 1
    for name in ("all", "global"):
        if text.startswith(name + "(", pos):
            close = _skip_ws(text, pos + len(name) + 1)
            if not text.startswith(")", close):
                raise SelectorError(f"no closing ')' after {name}(", close)
            return Token(name, "", pos), close + 1
    match = _LABEL.match(text, pos)
    if match:
        return Token("label", match.group(), pos), match.end()
    raise SelectorError("unexpected characters", pos)


# --- the tree ----------------------------------------------------------------------------------

def _quoted(value: str) -> str:
    quote = "'" if '"' in value else '"'
    return f"{quote}{value}{quote}"


class Node:
    def evaluate(self, labels: Mapping[str, str]) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class All(Node):
    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return True

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True)
class Global(Node):
    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return True

    def __str__(self) -> str:
        return "global()"


@dataclass(frozen=True)
class Has(Node):
    label: str

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return self.label in labels

    def __str__(self) -> str:
        return f"has({self.label})"


# op -> (whether an absent label matches, test on a present value)
_COMPARISONS = {
    "==": (False, lambda value, wanted: value == wanted),
    "!=": (True, lambda value, wanted: value != wanted),
    "contains": (False, lambda value, wanted: wanted in value),
    "starts with": (False, lambda value, wanted: value.startswith(wanted)),
    "ends with": (False, lambda value, wanted: value.endswith(wanted)),
}


@dataclass(frozen=True)
class Compare(Node):
    label: str
    op: str
    value: str

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        absent, test = _COMPARISONS[self.op]
        return absent if self.label not in labels else test(labels[self.label], self.value)

    def __str__(self) -> str:
        return f"{self.label} {self.op} {_quoted(self.value)}"


@dataclass(frozen=True)
class InSet(Node):
    label: str
    values: tuple[str, ...]  # sorted, without duplicates (Calico's StringSet)
    negated: bool = False

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        if self.label not in labels:
            return self.negated
        return (labels[self.label] in self.values) != self.negated

    def __str__(self) -> str:
        op = "not in" if self.negated else "in"
        return f"{self.label} {op} {{{', '.join(_quoted(v) for v in self.values)}}}"


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return not self.operand.evaluate(labels)

    def __str__(self) -> str:
        return f"!{self.operand}"


@dataclass(frozen=True)
class And(Node):
    operands: tuple[Node, ...]

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return all(op.evaluate(labels) for op in self.operands)

    def __str__(self) -> str:
        return "(" + " && ".join(str(op) for op in self.operands) + ")"


@dataclass(frozen=True)
class Or(Node):
    operands: tuple[Node, ...]

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return any(op.evaluate(labels) for op in self.operands)

    def __str__(self) -> str:
        return "(" + " || ".join(str(op) for op in self.operands) + ")"


@dataclass(frozen=True)
class Selector:
    """A parsed selector: ``matches(labels)`` and, as ``str()``, Calico's canonical form."""

    root: Node

    def matches(self, labels: Mapping[str, str]) -> bool:
        return self.root.evaluate(labels)

    def __str__(self) -> str:
        return str(self.root)


# --- the parser --------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def parse(text: str) -> Selector:
    """Parse a Calico selector (cached: policies repeat theirs); raises SelectorError."""
    tokens = tokenize(text or "")
    if tokens[0].kind == "eof":
        return Selector(All())
    node, rest = _or(tokens, 0)
    if tokens[rest].kind != "eof":
        remaining = " ".join(str(t) for t in tokens[rest:])
        raise SelectorError(f"unexpected content at end of selector [{remaining}]", tokens[rest].position)
    return Selector(node)


def _or(tokens: list[Token], i: int) -> tuple[Node, int]:
    node, i = _and(tokens, i)
    nodes = [node]
    while tokens[i].kind == "||":
        node, i = _and(tokens, i + 1)
        nodes.append(node)
    return (nodes[0] if len(nodes) == 1 else Or(tuple(nodes))), i


def _and(tokens: list[Token], i: int) -> tuple[Node, int]:
    node, i = _operation(tokens, i)
    nodes = [node]
    while tokens[i].kind == "&&":
        node, i = _operation(tokens, i + 1)
        nodes.append(node)
    return (nodes[0] if len(nodes) == 1 else And(tuple(nodes))), i


def _operation(tokens: list[Token], i: int) -> tuple[Node, int]:
    negated = False
    while tokens[i].kind == "!":
        negated, i = not negated, i + 1
    token = tokens[i]
    node: Node
    if token.kind == "has":
        node, i = Has(token.value), i + 1
    elif token.kind == "all":
        node, i = All(), i + 1
    elif token.kind == "global":
        node, i = Global(), i + 1
    elif token.kind == "label":
        node, i = _label_operation(tokens, i)
    elif token.kind == "(":
        node, i = _or(tokens, i + 1)
        if tokens[i].kind != ")":
            raise SelectorError("expected )", tokens[i].position)
        i += 1
    else:
        raise SelectorError(f"unexpected token: {token}", token.position)
    return (Not(node) if negated else node), i


def _label_operation(tokens: list[Token], i: int) -> tuple[Node, int]:
    label = tokens[i].value
    if i + 2 >= len(tokens):  # a label needs an operator and an operand (eof counts as a token)
        raise SelectorError("unexpected end of string looking for op", tokens[-1].position)
    op, operand = tokens[i + 1], tokens[i + 2]
    if op.kind in _COMPARISONS:
        if operand.kind != "string":
            raise SelectorError("expected string", operand.position)
        return Compare(label, op.kind, operand.value), i + 3
    if op.kind in ("in", "not in"):
        if operand.kind != "{":
            raise SelectorError("expected set literal", operand.position)
        values, i = _set_literal(tokens, i + 3)
        return InSet(label, values, negated=op.kind == "not in"), i
    raise SelectorError(f"expected == or != not: {op}", op.position)


def _set_literal(tokens: list[Token], i: int) -> tuple[tuple[str, ...], int]:
    values: list[str] = []
    while tokens[i].kind == "string":
        values.append(tokens[i].value)
        i += 1
        if tokens[i].kind != ",":
            break
        i += 1
    if tokens[i].kind != "}":
        raise SelectorError("expected }", tokens[i].position)
    return tuple(sorted(set(values))), i + 1


def validate(text: str) -> None:
    """Raise SelectorError when ``text`` does not parse."""
    parse(text)
