"""GlobalReport and GlobalReportType for ``manage.py apply/get/delete`` (``auditui.resources``)."""

from __future__ import annotations

from typing import Any

from auditui.resources.registry import KindHandler, Outcome
from reports import services
from reports.models import GlobalReport, GlobalReportType
from reports.presenters import report_document, report_type_document
from reports.validation import CleanReport, clean_report, clean_report_type


class GlobalReportKind(KindHandler):
    kind = "GlobalReport"
    plural = "globalreports"
    aliases = ("globalreport.p", "globalreports.projectcalico.org", "globalreport.projectcalico.org")

    def validate(self, document: dict[str, Any]) -> CleanReport:
        cleaned = clean_report(document)
        services.check_report_type(cleaned.spec["reportType"])  # before anything of the file is applied
        return cleaned

    def apply(self, cleaned: CleanReport, *, user: Any = None) -> Outcome:
        return services.globalreport_apply(cleaned=cleaned, user=user)

    def documents(self, name: str | None = None) -> list[dict[str, Any]]:
        reports = GlobalReport.objects.all() if name is None else GlobalReport.objects.filter(name=name)
        return [report_document(report) for report in reports.order_by("name")]

    def delete(self, name: str, *, user: Any = None) -> bool:
        return services.globalreport_delete(name=name, user=user)


class GlobalReportTypeKind(KindHandler):
    kind = "GlobalReportType"
    plural = "globalreporttypes"
    aliases = ("globalreporttypes.projectcalico.org", "globalreporttype.projectcalico.org")

    def validate(self, document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return clean_report_type(document)

    def apply(self, cleaned: tuple[str, dict[str, Any]], *, user: Any = None) -> Outcome:
        name, spec = cleaned
        return services.globalreporttype_apply(name=name, spec=spec, user=user)

    def documents(self, name: str | None = None) -> list[dict[str, Any]]:
        types = GlobalReportType.objects.all() if name is None else GlobalReportType.objects.filter(name=name)
        return [report_type_document(report_type) for report_type in types.order_by("name")]

    def delete(self, name: str, *, user: Any = None) -> bool:
        return services.globalreporttype_delete(name=name, user=user)
