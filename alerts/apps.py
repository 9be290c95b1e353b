from __future__ import annotations

from django.apps import AppConfig

from auditui.resources.registry import register


class AlertsConfig(AppConfig):
    name = "alerts"
    label = "alerts"
    verbose_name = "Global alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # in ready(): these modules import models, which wait for the app registry
        from alerts.resources import GlobalAlertKind, GlobalAlertTemplateKind

        register(GlobalAlertKind())
        register(GlobalAlertTemplateKind())
        from alerts import status  # noqa: F401 - registers its /status/ section
