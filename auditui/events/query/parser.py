"""Parse query text into the AST (``nodes.py``) with a LALR grammar, once per query.

Syntax errors become ``QueryError`` with the position and what was expected there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .errors import QueryError
from .fields import COLUMNS, is_time_key
from .limits import MAX_DEPTH, MAX_IN_VALUES, MAX_QUERY_LENGTH, Budget
from .nodes import And, Compare, Empty, InSet, Node, Not, Or, Text
from .paths import is_wildcard_key, misuse
from .patterns import canonical, has_wildcard, unescape
from .values import time_range

# Characters that end an unquoted word; everything else (letters of any script, digits,
# `.` `/` `:` `-` `*` `?` …) may appear in one.
_SPECIAL = r"""\s"'(){},=!<>&|$\\"""
WORD_RE = re.compile(f"[^{_SPECIAL}]+")
KEYWORDS = frozenset({"and", "or", "not", "in", "notin", "empty"})
__all__ = ["MAX_DEPTH", "MAX_QUERY_LENGTH", "Substitutions", "parse"]


def _keyword(word: str) -> str:
    # The look-ahead keeps `android` or `order` from lexing as a keyword plus a word.
    return f"/{word}(?![^{_SPECIAL}])/i"


_GRAMMAR = rf"""
?start: or_expr
?or_expr: and_expr (_or and_expr)*
?and_expr: not_expr (_and not_expr)*
?not_expr: _not not_expr -> not_
         | atom
?atom: _LPAR or_expr _RPAR
     | operand cmp value -> compare
     | operand _IN set -> in_set
     | operand _NOTIN set -> notin_set
     | operand _EMPTY -> empty
     | operand -> text
operand: WORD | STRING
value: WORD | STRING | VAR
set: _LBRACE (item (_COMMA item)*)? _RBRACE
   | VAR
item: WORD | STRING | VAR
cmp: EQ | NE | LT | LE | GT | GE
_or: _OR_KW | _PIPES
_and: _AND_KW | _AMPS
_not: _NOT_KW | _BANG
_OR_KW.2: {_keyword("or")}
_AND_KW.2: {_keyword("and")}
_NOT_KW.2: {_keyword("not")}
_IN.2: {_keyword("in")}
_NOTIN.2: {_keyword("notin")}
_EMPTY.2: {_keyword("empty")}
_PIPES: "||"
_AMPS: "&&"
_BANG: "!"
EQ: "="
NE: "!="
LT: "<"
LE: "<="
GT: ">"
GE: ">="
_LPAR: "("
_RPAR: ")"
_LBRACE: "{{"
_RBRACE: "}}"
_COMMA: ","
VAR: /\$\{{[^}}]*\}}/
STRING: /"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'/
WORD: /[^{_SPECIAL}]+/
%ignore /\s+/
"""

# The basic lexer (not the contextual one) keeps keywords reserved everywhere: `verb = in`
# is an error rather than a value, so a query never means something other than it reads.
_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="basic", maybe_placeholders=False)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")

Substitutions = Mapping[str, Iterable[str] | str]
_COLUMN_KEYS = frozenset(COLUMNS)


def parse(text: str, substitutions: Substitutions | None = None) -> Node:
    """The AST of a query; ``substitutions`` maps ``${name}`` (case-insensitive) to values."""
    if not isinstance(text, str):
        raise TypeError(f"a query is a string, not {type(text).__name__}")
    budget = Budget(text)
    budget.check_length()
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except (LarkError, RecursionError) as exc:
        raise QueryError(f"cannot parse the query ({type(exc).__name__})", text, 0) from exc
    return _Builder(text, _variables(text, substitutions), budget).build(tree, 0)


def _variables(text: str, substitutions: Substitutions | None) -> dict[str, tuple[str, ...]]:
    variables: dict[str, tuple[str, ...]] = {}
    for name, values in (substitutions or {}).items():
        if isinstance(values, str):
            values = [values]
        try:
            variables[str(name).lower()] = tuple(str(v) for v in values)
        except TypeError:
            raise QueryError(f"substitution {name!r} must be a list of strings", text, 0) from None
    return variables


class _Builder:
    """Turns the parse tree into nodes, checking what the grammar cannot (variables, times)."""

    def __init__(self, text: str, variables: dict[str, tuple[str, ...]], budget: Budget) -> None:
        self.text = text
        self.variables = variables
        self.budget = budget  # the caps of limits.py, charged per condition

    def error(self, message: str, token: Token) -> QueryError:
        return QueryError(message, self.text, token.start_pos or 0)

    def build(self, tree: Tree | Token, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.error(f"the query is nested more than {MAX_DEPTH} levels deep", _token(tree))
        assert isinstance(tree, Tree)
        kind = str(tree.data)
        if kind in ("or_expr", "and_expr"):
            children = tuple(self.build(child, depth + 1) for child in tree.children)
            return Or(children) if kind == "or_expr" else And(children)
        if kind == "not_":
            return Not(self.build(tree.children[0], depth + 1))
        operand = _token(tree.children[0])
        if kind == "text":
            self.budget.condition(None, operand.start_pos or 0)
            return Text(self.pattern(operand))
        key = self.key(operand)
        self.budget.condition(key, operand.start_pos or 0)
        if kind == "empty":
            return Empty(key)
        if kind == "compare":
            return self.compare(key, _token(tree.children[1]), _token(tree.children[2]))
        return self.in_set(key, tree.children[1], negate=kind == "notin_set")

    def key(self, token: Token) -> str:
        key = self.literal(token)
        if not key:
            raise self.error("a key cannot be empty", token)
        problem = misuse(key, _COLUMN_KEYS)
        if problem:
            raise self.error(problem, token)
        return key

    def compare(self, key: str, op_token: Token, token: Token) -> Node:
        op = str(op_token)
        if token.type == "VAR":
            if op not in ("=", "!="):
                raise self.error(f"{token} can only follow =, !=, IN or NOTIN, not {op}", token)
            values = self.expand(key, token)
            self.budget.set_size(len(values), token.start_pos or 0)
            return InSet(key, values, negate=op == "!=")
        if op not in ("=", "!=") and is_wildcard_key(key):
            # The search engines find such a value by a regular expression on the path, which
            # cannot be combined with the range of an ordering.
            raise self.error(f"a key with * takes =, !=, IN, NOTIN or EMPTY, not {op}", op_token)
        value = self.pattern(token)
        self.check_value(key, value, token)
        return Compare(key, op, value)

    def in_set(self, key: str, tree: Tree | Token, *, negate: bool) -> Node:
        assert isinstance(tree, Tree)
        values: list[str] = []
        position = 0
        for child in tree.children:
            token = _token(child)
            position = token.start_pos or 0
            if token.type == "VAR":
                values.extend(self.expand(key, token))
            else:
                value = self.pattern(token)
                self.check_value(key, value, token)
                values.append(value)
            if len(values) > MAX_IN_VALUES:
                break  # the cap's error names the value that went over
        self.budget.set_size(len(values), position)
        return InSet(key, tuple(values), negate=negate)

    def expand(self, key: str, token: Token) -> tuple[str, ...]:
        name = str(token)[2:-1].strip()
        if not _VARIABLE_NAME.fullmatch(name):
            raise self.error(f"{token} is not a valid variable name", token)
        if name.lower() not in self.variables:
            known = ", ".join(sorted(self.variables)) or "none"
            raise self.error(f"unknown variable ${{{name}}} (substitutions: {known})", token)
        # Substituted values are patterns, as if written in quotes.
        values = self.variables[name.lower()]
        if len(values) > MAX_IN_VALUES:
            self.budget.set_size(len(values), token.start_pos or 0)
        values = tuple(canonical(value) for value in values)
        for value in values:
            self.check_value(key, value, token)
        return values

    def check_value(self, key: str, value: str, token: Token) -> None:
        self.budget.value(unescape(value), token.start_pos or 0)
        if is_wildcard_key(key):
            self.budget.wildcard_value(key, value, token.start_pos or 0)
        if is_time_key(key) and (has_wildcard(value) or time_range(unescape(value)) is None):
            formats = 'RFC3339, "2006-01-02 15:04:05" or "2006-01-02"'
            raise self.error(f'"{value}" is not a time for {key}: use {formats}', token)

    @staticmethod
    def literal(token: Token) -> str:
        """A key: a backslash keeps the next character as it is (quotes, backslashes)."""
        if token.type == "STRING":
            return re.sub(r"\\([\s\S])", r"\1", str(token)[1:-1])
        return str(token)

    @staticmethod
    def pattern(token: Token) -> str:
        """A value or free-text term, in canonical pattern form (see patterns.py)."""
        return canonical(str(token)[1:-1]) if token.type == "STRING" else str(token)


def _token(node: Tree | Token) -> Token:
    """The first token under a rule (the only one for operand, value, item and cmp)."""
    while isinstance(node, Tree):
        node = node.children[0]
    return node


# --- syntax error messages ---------------------------------------------------------------

_SCAN = re.compile(
    r"\s+|\"(?:[^\"\\]|\\[\s\S])*\"|'(?:[^'\\]|\\[\s\S])*'|\$\{[^}]*\}"
    rf"|[^{_SPECIAL}]+|&&|\|\||!=|<=|>=|[\s\S]"
)


def _syntax_error(text: str, exc: UnexpectedInput) -> QueryError:
    if isinstance(exc, UnexpectedCharacters):
        return _character_error(text, exc)
    if isinstance(exc, UnexpectedToken):
        return _token_error(text, exc)
    return QueryError("invalid query", text, getattr(exc, "pos_in_stream", 0) or 0)


def _character_error(text: str, exc: UnexpectedCharacters) -> QueryError:
    position = exc.pos_in_stream
    char = text[position]
    if char in "\"'":
        return QueryError(f"unterminated quoted string: missing the closing {char}", text, position)
    if text.startswith("${", position):
        return QueryError("unterminated variable: missing the closing }", text, position)
    hint = {"&": " (use AND or &&)", "|": " (use OR or ||)", "$": " (variables are written ${name})"}
    expected = _describe(set(exc.allowed or ()), text, position)
    message = f'unexpected character "{char}"{hint.get(char, "")}'
    return QueryError(f"{message}, expected {expected}" if expected else message, text, position)


def _token_error(text: str, exc: UnexpectedToken) -> QueryError:
    token = exc.token
    at_end = token.type == "$END"
    position = len(text.rstrip()) if at_end else (token.start_pos or 0)
    got = "end of query" if at_end else f'"{_shorten(str(token))}"'
    previous = _previous_token(text, position)
    after = f' after "{_shorten(previous)}"' if previous else ""
    expected = _describe(set(exc.expected or ()), text, position) or "something else"
    return QueryError(f"expected {expected}{after}, got {got}", text, position)


def _describe(expected: set[str], text: str, position: int) -> str:
    items: list[str] = []
    if expected & {"_LPAR", "_NOT_KW", "_BANG"}:
        items.append("a condition")
    elif expected & {"WORD", "STRING"}:
        items.append("a value")
    if "_LBRACE" in expected:
        items += ['"{"', "a ${variable}"]
    if "EQ" in expected:
        items.append("a comparison operator (=, !=, <, <=, >, >=)")
    if "_IN" in expected:
        items += ["IN", "NOTIN", "EMPTY"]
    if "_COMMA" in expected:
        items.append('","')
    if "_RBRACE" in expected:
        items.append('"}"')
    if expected & {"_AND_KW", "_OR_KW", "_RPAR", "$END"}:
        # Whatever may close a condition may also extend it; and as the LALR tables merge
        # contexts, the parentheses actually open decide between ")" and the end.
        items += ["AND", "OR"]
        expected = (expected - {"_RPAR", "$END"}) | {"_RPAR" if _open_parens(text, position) else "$END"}
    if "_RPAR" in expected:
        items.append('")"')
    if "$END" in expected:
        items.append("end of query")
    return items[0] if len(items) < 2 else ", ".join(items[:-1]) + " or " + items[-1]


def _tokens_before(text: str, position: int) -> list[str]:
    tokens = []
    for match in _SCAN.finditer(text, 0, position):
        if not match.group().isspace():
            tokens.append(match.group())
    return tokens


def _previous_token(text: str, position: int) -> str:
    tokens = _tokens_before(text, position)
    return tokens[-1] if tokens else ""


def _open_parens(text: str, position: int) -> int:
    tokens = _tokens_before(text, position)
    return tokens.count("(") - tokens.count(")")


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
