"""The definition editor: a GlobalReport as YAML in a text area, applied as ``apply -f`` applies it."""

from __future__ import annotations

from typing import Any

import yaml

from auditui.resources.documents import DocumentError, read_documents
from auditui.resources.registry import ResourceInvalid
from reports import services
from reports.models import GlobalReport
from reports.presenters import report_document
from reports.validation import clean_report

TEMPLATE = """\
apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata:
  name: daily-policy-audit
spec:
  reportType: policy-audit
  schedule: 0 0 * * *
"""


class EditorError(ValueError):
    pass


def definition_text(report: GlobalReport | None) -> str:
    """The YAML the editor starts from: the stored definition without its status, or an example."""
    if report is None:
        return TEMPLATE
    document = report_document(report)
    document.pop("status", None)
    document["metadata"] = {"name": report.name}
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def definition_save(*, text: str, name: str | None, user: Any) -> tuple[str, str]:
    """Apply the edited YAML: (the report's name, created|configured|unchanged). ``name``: the
    report being edited, which the document may not rename."""
    try:
        documents = read_documents(text, "the definition")
    except DocumentError as exc:
        raise EditorError(str(exc)) from exc
    if len(documents) != 1 or not isinstance(documents[0].body, dict):
        raise EditorError("write one GlobalReport document")
    body = documents[0].body
    if body.get("kind") != "GlobalReport" or body.get("apiVersion") != "projectcalico.org/v3":
        raise EditorError("kind must be GlobalReport and apiVersion projectcalico.org/v3")
    try:
        cleaned = clean_report(body)
        if name is not None and cleaned.name != name:
            raise ResourceInvalid("metadata.name", f"must stay {name!r} (create a new report to use another name)")
        services.check_report_type(cleaned.spec["reportType"])
        outcome = services.globalreport_apply(cleaned=cleaned, user=user)
    except ResourceInvalid as exc:
        raise EditorError(str(exc)) from exc
    return cleaned.name, outcome
