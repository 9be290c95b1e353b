"""A kind of the tests' own, registered for the duration of a test.

It stands in for the apps that own real kinds (alerts, reports), which register theirs the same
way; it keeps what it is given in a dict so that these tests exercise the registry, the document
reader and the commands alone."""

from __future__ import annotations

from typing import Any

import pytest

from auditui.resources.registry import KindHandler, ResourceInvalid, register, unregister


class Widget(KindHandler):
    kind = "GlobalWidget"
    plural = "globalwidgets"
    aliases = ("gw",)

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def validate(self, document: dict[str, Any]) -> dict[str, Any]:
        spec = document.get("spec")
        if not isinstance(spec, dict):
            raise ResourceInvalid("spec", "required: an object")
        size = spec.get("size", 1)
        if not isinstance(size, int) or size < 1:
            raise ResourceInvalid("spec.size", "must be a whole number of at least 1")
        return {"name": document["metadata"]["name"], "spec": {"size": size}}

    def apply(self, cleaned: dict[str, Any], *, user: Any = None) -> str:
        before = self.stored.get(cleaned["name"])
        self.stored[cleaned["name"]] = cleaned["spec"]
        return "created" if before is None else "unchanged" if before == cleaned["spec"] else "configured"

    def documents(self, name: str | None = None) -> list[dict[str, Any]]:
        names = [name] if name else sorted(self.stored)
        return [{"apiVersion": "projectcalico.org/v3", "kind": self.kind,
                 "metadata": {"name": n, "creationTimestamp": "2026-12-01T00:00:00Z"},
                 "spec": self.stored[n], "status": {"active": True}} for n in names if n in self.stored]

    def delete(self, name: str, *, user: Any = None) -> bool:
        return self.stored.pop(name, None) is not None


@pytest.fixture
def widgets():
    handler = Widget()
    register(handler)
    yield handler
    unregister(handler.kind)
