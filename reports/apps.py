from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from auditui.resources.registry import register


class ReportsConfig(AppConfig):
    name = "reports"
    label = "reports"
    verbose_name = "Compliance reports"

    def ready(self) -> None:
        # in ready(): these modules import models, which wait for the app registry
        from reports.builtin_types import install
        from reports.resources import GlobalReportKind, GlobalReportTypeKind

        post_migrate.connect(install, sender=self, dispatch_uid="reports.builtin_types")

        register(GlobalReportKind())
        register(GlobalReportTypeKind())
        from reports import status  # noqa: F401 - registers its /status/ section
