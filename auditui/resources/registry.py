"""The kinds ``manage.py apply/get/delete`` (and the apps' APIs) know, registered by the apps
that own them. This module imports no app: alerts and reports import it, never each other.

A kind's handler validates a ``projectcalico.org/v3`` document into whatever the app stores,
applies it, prints it back with its ``status`` and deletes it. Validation is separate from
applying so that ``apply`` can check every document of a file before it changes anything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Literal

API_VERSION = "projectcalico.org/v3"
Outcome = Literal["created", "configured", "unchanged"]


class ResourceInvalid(Exception):
    """A document a kind refuses: ``field`` is its dotted path (``spec.query``), ``message`` says
    what is wrong and what to write instead."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class KindHandler(ABC):
    """One kind (``GlobalAlert``): its names and what ``apply``/``get``/``delete`` do with it."""

    kind: str  # as in documents: "GlobalAlert"
    plural: str  # as in commands and URLs: "globalalerts"
    aliases: tuple[str, ...] = ()  # e.g. ("globalalert", "ga"); lower-case

    @abstractmethod
    def validate(self, document: dict[str, Any]) -> Any:
        """The document checked and cleaned (what ``apply`` takes); raises ``ResourceInvalid``."""

    @abstractmethod
    def apply(self, cleaned: Any, *, user: Any = None) -> Outcome:
        """Create or update it; ``unchanged`` when the stored one is the same."""

    @abstractmethod
    def documents(self, name: str | None = None) -> list[dict[str, Any]]:
        """The stored ones (or the one named; ``[]`` if none) as ``projectcalico.org/v3``
        documents with their ``status``, sorted by name."""

    @abstractmethod
    def delete(self, name: str, *, user: Any = None) -> bool:
        """Whether one by that name existed (and is now gone)."""

    @property
    def singular(self) -> str:
        return self.kind.lower()


_KINDS: dict[str, KindHandler] = {}


def register(handler: KindHandler) -> None:
    """Called from an app's ``ready()``; registering a kind again replaces it (tests, reloads)."""
    _KINDS[handler.kind] = handler


def unregister(kind: str) -> None:
    _KINDS.pop(kind, None)


def kinds() -> list[KindHandler]:
    return sorted(_KINDS.values(), key=lambda h: h.kind)


def handler_for_kind(kind: str) -> KindHandler | None:
    """By the ``kind`` of a document (exact, as Kubernetes matches it)."""
    return _KINDS.get(kind)


def handler_for_name(name: str) -> KindHandler | None:
    """By what a user types after ``get``/``delete``: plural, singular, kind or an alias, any case."""
    wanted = name.lower()
    for handler in _KINDS.values():
        if wanted in (handler.plural, handler.singular, handler.kind.lower(), *handler.aliases):
            return handler
    return None


def known_names() -> str:
    return ", ".join(h.plural for h in kinds()) or "none (no app has registered a kind)"
