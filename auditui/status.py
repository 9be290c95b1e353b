"""The registry of system-status sections: what ``/status/`` and ``GET /api/v1/status`` show.

It imports no app, so any app (alerts, reports) can register what it knows about being behind
schedule without the status page importing it::

    from auditui import status

    @status.section("alert rounds")
    def alert_rounds() -> status.Section:
        late = ...
        return status.Section(ok=not late, summary=f"{len(late)} behind schedule", details={"late": late})

A section's function runs on every status request; it should answer in milliseconds. An
exception in one is shown as that section failing, never as the whole page failing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Section:
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


_SECTIONS: dict[str, Callable[[], Section]] = {}


def section(name: str) -> Callable[[Callable[[], Section]], Callable[[], Section]]:
    """Decorator: register ``fn`` as the status section ``name`` (a second registration replaces it)."""

    def register(fn: Callable[[], Section]) -> Callable[[], Section]:
        _SECTIONS[name] = fn
        return fn

    return register


def unregister(name: str) -> None:
    _SECTIONS.pop(name, None)


def registered() -> list[str]:
    return list(_SECTIONS)


def collect() -> dict[str, Section]:
    """Every registered section, in registration order; a failing one says so instead of raising."""
    result: dict[str, Section] = {}
    for name, fn in list(_SECTIONS.items()):
        try:
            result[name] = fn()
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            log.exception("status section %s failed", name)
            result[name] = Section(ok=False, summary=f"could not be read: {type(exc).__name__}")
    return result
