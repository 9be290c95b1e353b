"""One run's report: read (``collect``), render (``renderers``), store (``files``).

The interval's data is read once in the whole view; beside the download files it is kept as
``_data.json`` (not a download format) so that what a scoped viewer or subscriber receives can
be cut to their scope without reading the store again (``reports.cut``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.conf import settings

from reports import collect, files, in_scope, inventory, inventory_renderers, renderers
from reports.builtin_types import ACTIVITY_SUMMARY, INVENTORY, NETWORK_ACCESS, NOT_GENERATED_YET, POLICY_AUDIT
from reports.models import GlobalReportType, ReportRun
from reports.sections import summary_sections

DATA = "_data.json"
GENERATED = (POLICY_AUDIT, ACTIVITY_SUMMARY, INVENTORY, NETWORK_ACCESS)


class NotGenerated(Exception):
    """A run that retrying cannot help: the reason is the run's failure."""


def interval_of(run: ReportRun) -> renderers.Interval:
    return renderers.Interval(name=run.report_name, type_name=run.report_type, start=run.start, end=run.end,
                              spec=run.spec)


def generate(run: ReportRun) -> tuple[dict[str, Any], list[str]]:
    """The run's UI summary and the formats stored."""
    report_type = GlobalReportType.objects.filter(name=run.report_type).first()
    if report_type is None:
        raise NotGenerated(f"the report type {run.report_type!r} does not exist")
    if run.report_type in NOT_GENERATED_YET:
        raise NotGenerated(NOT_GENERATED_YET[run.report_type])
    if not report_type.builtin or run.report_type not in GENERATED:
        raise NotGenerated(f"custom report type {run.report_type!r}: auditui renders only its built-in types "
                           "(its Go templates are not run)")
    data = report_data(run)
    summary, contents = render(run, data)
    files.store(run.calico_id, {**contents, DATA: json.dumps(data, default=str).encode("utf-8")})
    return summary, list(contents)


def report_data(run: ReportRun) -> dict[str, Any]:
    """What the run's type reads, in the whole view."""
    if run.report_type == POLICY_AUDIT:
        return policy_audit_data(run)
    if run.report_type in (INVENTORY, NETWORK_ACCESS):
        return inventory.endpoints_data(run.spec, start=run.start, end=run.end)
    return activity_data(run)


def render(run: ReportRun, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The files from the data (also what ``cut`` calls with a scoped copy of the data)."""
    if run.report_type == POLICY_AUDIT:
        return renderers.policy_audit(interval_of(run), data["entries"])
    if run.report_type == INVENTORY:
        return inventory_renderers.inventory(interval_of(run), data)
    if run.report_type == NETWORK_ACCESS:
        return inventory_renderers.network_access(interval_of(run), data)
    return renderers.activity_summary(interval_of(run), data, base_url=settings.AUDITUI_BASE_URL)


def policy_audit_data(run: ReportRun) -> dict[str, Any]:
    records = collect.policy_audit_events(run.start, run.end)
    entries = [{"cluster": r.cluster, "namespace": r.namespace, "event": r.raw} for r in records]
    endpoints = run.spec.get("endpoints")
    if endpoints:
        entries = _on_applied_policies(run, endpoints, entries)
    return {"entries": entries}


def _on_applied_policies(run: ReportRun, endpoints: dict[str, Any], entries: list[dict[str, Any]]) -> list[dict]:
    clusters = sorted({entry["cluster"] for entry in entries})
    applied = in_scope.applied_policies(endpoints, clusters=clusters, start=run.start, end=run.end)
    return [entry for entry in entries if (entry["cluster"], in_scope.policy_id(entry["event"])) in applied]


def activity_data(run: ReportRun) -> dict[str, Any]:
    found = collect.activity(run.start, run.end)
    return {"counts": found.counts, "tables": [asdict(table) for table in found.tables],
            "policy_changes": found.policy_changes, "sections": summary_sections(run.start, run.end)}
