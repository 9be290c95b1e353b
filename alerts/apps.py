from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    label = "alerts"
    verbose_name = "Global alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts.resources import GlobalAlertKind, GlobalAlertTemplateKind
        from auditui.resources.registry import register

        register(GlobalAlertKind())
        register(GlobalAlertTemplateKind())
        from alerts import status  # noqa: F401 - registers its /status/ section
