from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    label = "reports"
    verbose_name = "Compliance reports"

    def ready(self) -> None:
        from auditui.resources.registry import register
        from reports.resources import GlobalReportKind, GlobalReportTypeKind

        register(GlobalReportKind())
        register(GlobalReportTypeKind())
