"""Writes to report definitions: GlobalReport and GlobalReportType, as ``apply`` and the API do
them. Each change is recorded in auditui's own audit trail."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

from auditui.resources.registry import ResourceInvalid
from reports import schedule
from reports.events_face import record_change
from reports.models import GlobalReport, GlobalReportType
from reports.presenters import report_document, report_type_document
from reports.validation import CleanReport

Outcome = Literal["created", "configured", "unchanged"]


def check_report_type(name: str) -> None:
    if not GlobalReportType.objects.filter(name=name).exists():
        known = ", ".join(GlobalReportType.objects.values_list("name", flat=True))
        raise ResourceInvalid("spec.reportType", f"no GlobalReportType {name!r}; known: {known}")


def globalreport_apply(*, cleaned: CleanReport, user: Any = None) -> Outcome:
    """Create or update a GlobalReport from a validated document."""
    check_report_type(cleaned.spec["reportType"])
    fields = {"report_type": cleaned.spec["reportType"], "schedule": cleaned.spec.get("schedule", ""),
              "suspend": bool(cleaned.spec.get("suspend", False)), "spec": cleaned.spec,
              "labels": cleaned.labels, "annotations": cleaned.annotations}
    with transaction.atomic():
        report = GlobalReport.objects.select_for_update().filter(name=cleaned.name).first()
        if report is None:
            report = GlobalReport.objects.create(name=cleaned.name, **fields)
            _record("create", report, cleaned.spec, user)
            return "created"
        if all(getattr(report, key) == value for key, value in fields.items()):
            return "unchanged"
        if report.schedule != fields["schedule"]:
            # A new schedule starts with the interval now is in, not from the report's creation.
            report.scheduled_until = (schedule.previous_fire(fields["schedule"], timezone.now())
                                      if fields["schedule"] else None)
        for key, value in fields.items():
            setattr(report, key, value)
        report.generation += 1
        report.save()
        _record("update", report, cleaned.spec, user)
        return "configured"


def globalreport_delete(*, name: str, user: Any = None) -> bool:
    """Deletes the definition; its generated reports stay (downloadable) until retention."""
    report = GlobalReport.objects.filter(name=name).first()
    if report is None:
        return False
    report.runs.filter(state__in=["pending", "running"]).update(state="failed", error="the report was deleted")
    report.delete()
    record_change(verb="delete", resource="globalreports", name=name, user=user)
    return True


def _record(verb: str, report: GlobalReport, spec: dict[str, Any], user: Any) -> None:
    record_change(verb=verb, resource="globalreports", name=report.name, request_object={"spec": spec},
                  response_object=report_document(report), user=user)


def globalreporttype_apply(*, name: str, spec: dict[str, Any], user: Any = None) -> Outcome:
    """Custom report types are kept (so that their GlobalReports apply); built-ins cannot change."""
    existing = GlobalReportType.objects.filter(name=name).first()
    if existing is not None and existing.spec == spec:
        return "unchanged"
    if existing is not None and existing.builtin:
        raise ResourceInvalid("metadata.name", f"{name!r} is a built-in report type and cannot be changed")
    if existing is None:
        report_type = GlobalReportType.objects.create(name=name, spec=spec)
        outcome: Outcome = "created"
    else:
        existing.spec = spec
        existing.save()
        report_type, outcome = existing, "configured"
    record_change(verb="create" if outcome == "created" else "update", resource="globalreporttypes", name=name,
                  request_object={"spec": spec}, response_object=report_type_document(report_type), user=user)
    return outcome


def globalreporttype_delete(*, name: str, user: Any = None) -> bool:
    report_type = GlobalReportType.objects.filter(name=name).first()
    if report_type is None:
        return False
    if report_type.builtin:
        raise ResourceInvalid("metadata.name", f"{name!r} is a built-in report type and cannot be deleted")
    if GlobalReport.objects.filter(report_type=name).exists():
        raise ResourceInvalid("metadata.name", f"{name!r} is used by GlobalReports; delete them first")
    report_type.delete()
    record_change(verb="delete", resource="globalreporttypes", name=name, user=user)
    return True
