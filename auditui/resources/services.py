"""``apply``, ``get`` and ``delete`` over every registered kind, as kubectl does them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from django.db import transaction

from auditui.resources.documents import Document, read_documents
from auditui.resources.registry import (
    API_VERSION,
    KindHandler,
    ResourceInvalid,
    handler_for_kind,
    handler_for_name,
    kinds,
    known_names,
)


class ApplyRefused(Exception):
    """At least one document is invalid: nothing was applied. ``problems`` names each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class UnknownKind(Exception):
    pass


@dataclass(frozen=True)
class _Checked:
    handler: KindHandler
    name: str
    cleaned: Any


def _header(document: Document) -> tuple[KindHandler, str]:
    body = document.body
    if not isinstance(body, dict):
        raise ResourceInvalid("", f"expected an object with apiVersion, kind and metadata, got {type(body).__name__}")
    if body.get("apiVersion") != API_VERSION:
        raise ResourceInvalid("apiVersion", f"must be {API_VERSION} (got {body.get('apiVersion')!r})")
    kind = body.get("kind")
    handler = handler_for_kind(kind) if isinstance(kind, str) else None
    if handler is None:
        raise ResourceInvalid("kind", f"unknown kind {kind!r}; auditui knows {', '.join(h.kind for h in kinds())}")
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        raise ResourceInvalid("metadata.name", "required: the name this resource is known by")
    return handler, name


def _check(document: Document) -> _Checked:
    handler, name = _header(document)
    return _Checked(handler, name, handler.validate(document.body))


def resources_apply(text: str, *, source: str = "input", user: Any = None) -> list[str]:
    """Apply every document of ``text``, or none of them: each is validated first, and all are
    applied in one transaction. Lines as kubectl prints them: ``globalalert/NAME created``."""
    checked: list[_Checked] = []
    problems: list[str] = []
    for document in read_documents(text, source):
        try:
            checked.append(_check(document))
        except ResourceInvalid as exc:
            problems.append(f"{source}: {document.position}: {_describe(document)}{exc}")
    if problems:
        raise ApplyRefused(problems)
    lines = []
    with transaction.atomic():
        for item in checked:
            outcome = item.handler.apply(item.cleaned, user=user)
            lines.append(f"{item.handler.singular}/{item.name} {outcome}")
    return lines


def _describe(document: Document) -> str:
    body = document.body if isinstance(document.body, dict) else {}
    kind = body.get("kind")
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    name = metadata.get("name") if metadata else None
    return f"{kind} {name!r}: " if isinstance(kind, str) and isinstance(name, str) else ""


def handler_named(name: str) -> KindHandler:
    handler = handler_for_name(name)
    if handler is None:
        raise UnknownKind(f'the server doesn\'t have a resource type "{name}"; known: {known_names()}')
    return handler


def resources_get(kind: str, name: str | None = None) -> tuple[KindHandler, list[dict[str, Any]]]:
    handler = handler_named(kind)
    return handler, handler.documents(name)


def resources_delete(kind: str, name: str, *, user: Any = None) -> str:
    """``globalalert/NAME deleted``; raises ``LookupError`` (kubectl's NotFound) when there is none."""
    handler = handler_named(kind)
    with transaction.atomic():
        if not handler.delete(name, user=user):
            raise LookupError(f'{handler.plural} "{name}" not found')
    return f"{handler.singular}/{name} deleted"


def render(documents: list[dict[str, Any]], output: str, *, single: bool) -> str:
    """``-o yaml|json`` as kubectl prints them: one object for a named get, else a ``List``."""
    value: dict[str, Any] = (
        documents[0] if single and documents else {"apiVersion": "v1", "kind": "List", "items": documents}
    )
    if output == "json":
        return json.dumps(value, indent=4, ensure_ascii=False, default=str) + "\n"
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)
