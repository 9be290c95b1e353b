"""Reading ``apply -f`` input: multi-document YAML or JSON, ``List`` kinds expanded, each document
with the place it came from so that errors can name it (``FILE: document 2 (line 14)``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

# Definitions are small: a bigger input is a mistake (or an attack on the parser).
MAX_INPUT_BYTES = 1024 * 1024
# YAML aliases let a few lines stand for an enormous document once written out again.
MAX_ALIASES = 100


class DocumentError(Exception):
    """Input that is not a set of documents at all; says where."""


@dataclass(frozen=True)
class Document:
    position: str  # "document 2 (line 14)", "document 1, item 3"
    body: Any


def _yaml_documents(text: str, source: str) -> list[tuple[int, Any]]:
    loader = yaml.SafeLoader(text)
    found: list[tuple[int, Any]] = []
    try:
        aliases = sum(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader))
        if aliases > MAX_ALIASES:
            raise DocumentError(f"{source}: {aliases} YAML aliases; at most {MAX_ALIASES} are accepted")
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            found.append((node.start_mark.line + 1, loader.construct_document(node)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DocumentError(f"{source}: not valid YAML{where}: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise DocumentError(f"{source}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return [(line, body) for line, body in found if body is not None]


def _json_documents(text: str, source: str) -> list[tuple[int, Any]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise DocumentError(f"{source}: not valid JSON: {exc}") from exc
    return [(1, item) for item in value] if isinstance(value, list) else [(1, value)]


def _expand(index: int, line: int, body: Any) -> list[Document]:
    position = f"document {index}" + (f" (line {line})" if line > 1 else "")
    if isinstance(body, dict) and (body.get("kind") == "List" or str(body.get("kind", "")).endswith("List")):
        items = body.get("items")
        if not isinstance(items, list):
            return [Document(position, body)]  # the kind check names the problem
        return [Document(f"{position}, item {n}", item) for n, item in enumerate(items, 1)]
    return [Document(position, body)]


def read_documents(text: str, source: str = "input") -> list[Document]:
    """Every document of ``text`` (YAML, or JSON: an object or an array of objects)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise DocumentError(f"{source}: larger than {MAX_INPUT_BYTES} bytes")
    stripped = text.lstrip()
    parse = _json_documents if stripped[:1] in ("{", "[") else _yaml_documents
    documents: list[Document] = []
    for index, (line, body) in enumerate(parse(text, source), 1):
        documents.extend(_expand(index, line, body))
    if not documents:
        raise DocumentError(f"{source}: no documents")
    return documents
