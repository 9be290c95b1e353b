"""The rule editor's check: a YAML or JSON ``GlobalAlert`` validated as ``apply`` would, and a
preview of what its query matches in the last lookback, of the events the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime
from typing import Any

import yaml
from django.utils import timezone

from alerts.resources import GlobalAlertKind
from alerts.spec import Rule, clean_spec
from auditui.access.scope import ViewerScope
from auditui.events.normalize import AuditRecord
from auditui.events.store import EventQuery, StoreError, StoreUnavailable, get_store
from auditui.resources.documents import DocumentError, read_documents
from auditui.resources.registry import API_VERSION, ResourceInvalid

PREVIEW_ROWS = 10


@dataclass
class RuleCheck:
    name: str = ""
    document: dict[str, Any] = default(default_factory=dict)
    rule: Rule | None = None
    field: str = ""
    error: str = ""
    matches: int | None = None
    sample: list[AuditRecord] = default(default_factory=list)
    start: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.rule is not None and not self.error


def _document(text: str) -> dict[str, Any]:
    try:
        documents = read_documents(text, "the rule")
    except DocumentError as exc:
        raise ResourceInvalid("", str(exc)) from exc
    if len(documents) != 1 or not isinstance(documents[0].body, dict):
        raise ResourceInvalid("", "write one GlobalAlert")
    body = documents[0].body
    if body.get("apiVersion") != API_VERSION or body.get("kind") != "GlobalAlert":
        raise ResourceInvalid("kind", f"write apiVersion: {API_VERSION} and kind: GlobalAlert")
    name = (body.get("metadata") or {}).get("name") if isinstance(body.get("metadata"), dict) else None
    if not isinstance(name, str) or not name:
        raise ResourceInvalid("metadata.name", "required: the name this alert is known by")
    return body


def rule_check(text: str, *, scope: ViewerScope, preview: bool = True) -> RuleCheck:
    check = RuleCheck()
    try:
        check.document = _document(text)
        check.name = check.document["metadata"]["name"]
        check.rule = clean_spec(check.document.get("spec"))
    except ResourceInvalid as exc:
        check.field, check.error = exc.field, exc.message
        return check
    if preview:
        now = timezone.now()
        check.start = now - check.rule.lookback
        q = EventQuery(scope=scope, start=check.start, end=now, query=check.rule.query)
        try:
            store = get_store()
            check.matches = store.count(q)
            check.sample = store.search(q, page_size=PREVIEW_ROWS, columns_only=True).records
        except (StoreError, StoreUnavailable) as exc:
            check.error = f"the preview could not be read: {exc}"
    return check


def starting_text(*, template_spec: dict[str, Any] | None = None, name: str = "") -> str:
    """The editor's text: a stored rule (without status), a template's spec, or a blank rule."""
    if name:
        documents = GlobalAlertKind().documents(name)
        if documents:
            document = {key: value for key, value in documents[0].items() if key != "status"}
            document["metadata"] = {"name": name}
            return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    spec = template_spec or {"description": "Pod created in payments", "severity": 50, "dataSet": "audit",
                             "query": 'verb=create AND "objectRef.resource"=pods AND "objectRef.namespace"=payments'}
    document = {"apiVersion": API_VERSION, "kind": "GlobalAlert", "metadata": {"name": "my-alert"}, "spec": spec}
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
