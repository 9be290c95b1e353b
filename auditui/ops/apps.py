from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "auditui.ops"
    label = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from auditui.ops import heartbeats, retention, sections  # noqa: F401 - signal receivers, status sections
