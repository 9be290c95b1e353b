from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OpsConfig(AppConfig):
    default = True
    name = "auditui.ops"
    label = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # in ready(): these modules import models, which wait for the app registry
        from auditui.ops import heartbeats, retention, sections  # noqa: F401 - signal receivers, status sections


class ConsoleAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with auditui's console as the default site."""

    default = False
    default_site = "auditui.ops.console.ConsoleSite"
