"""``GlobalAlert`` and ``GlobalAlertTemplate`` as kinds of ``manage.py apply/get/delete`` and of the
API (``auditui.resources.registry``): both check documents with ``alerts.spec.clean_spec``, so the
command line and the API give the same errors."""

from __future__ import annotations

from typing import Any

from alerts import services
from alerts.models import GlobalAlert, GlobalAlertTemplate
from alerts.spec import clean_spec
from auditui.resources.registry import API_VERSION, KindHandler, Outcome, ResourceInvalid


def _metadata(row: GlobalAlert | GlobalAlertTemplate) -> dict[str, Any]:
    return {"name": row.name, "creationTimestamp": row.created_at.isoformat().replace("+00:00", "Z")}


class GlobalAlertKind(KindHandler):
    kind = "GlobalAlert"
    plural = "globalalerts"
    aliases = ("ga",)

    def validate(self, document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return document["metadata"]["name"], clean_spec(document.get("spec")).spec

    def apply(self, cleaned: tuple[str, dict[str, Any]], *, user: Any = None) -> Outcome:
        name, spec = cleaned
        return services.alert_apply(name=name, spec=spec, user=user)

    def documents(self, name: str | None = None) -> list[dict[str, Any]]:
        rows = GlobalAlert.objects.filter(name=name) if name else GlobalAlert.objects.all()
        return [{"apiVersion": API_VERSION, "kind": self.kind, "metadata": _metadata(row), "spec": row.spec,
                 "status": row.status()} for row in rows.order_by("name")]

    def delete(self, name: str, *, user: Any = None) -> bool:
        return services.alert_delete(name=name, user=user)


class GlobalAlertTemplateKind(KindHandler):
    kind = "GlobalAlertTemplate"
    plural = "globalalerttemplates"
    aliases = ("gat",)

    def validate(self, document: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
        metadata = document["metadata"]
        return metadata["name"], clean_spec(document.get("spec")).spec, _annotations(metadata)

    def apply(self, cleaned: tuple[str, dict[str, Any], dict[str, str]], *, user: Any = None) -> Outcome:
        name, spec, annotations = cleaned
        return services.template_apply(name=name, spec=spec, annotations=annotations)

    def documents(self, name: str | None = None) -> list[dict[str, Any]]:
        rows = GlobalAlertTemplate.objects.filter(name=name) if name else GlobalAlertTemplate.objects.all()
        # Calico's templates have no status.
        return [{"apiVersion": API_VERSION, "kind": self.kind, "metadata": _template_metadata(row), "spec": row.spec}
                for row in rows.order_by("name")]

    def delete(self, name: str, *, user: Any = None) -> bool:
        return GlobalAlertTemplate.objects.filter(name=name).delete()[0] > 0


def _annotations(metadata: dict[str, Any]) -> dict[str, str]:
    """``metadata.annotations`` as Kubernetes takes them: texts by name (the pack's MITRE ids and
    rationale); missing means none."""
    value = metadata.get("annotations") or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ResourceInvalid("metadata.annotations", "must map names to texts, e.g. auditui.io/rationale: why")
    return dict(value)


def _template_metadata(row: GlobalAlertTemplate) -> dict[str, Any]:
    metadata = _metadata(row)
    if row.annotations:
        metadata["annotations"] = dict(row.annotations)
    return metadata
