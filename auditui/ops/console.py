"""The admin console: auditui's name on the admin site and a start page grouped by task, with
counts and what needs attention. Installed as the default admin site (``ConsoleAdminConfig``),
so every ``@admin.register`` lands here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from auditui.ops import console_data


class ConsoleSite(admin.AdminSite):
    site_header = "auditui console"
    site_title = "auditui console"
    index_title = "Start"
    index_template = "admin/console_index.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        app_list = self.get_app_list(request)
        context = {
            "groups": console_data.task_groups(self, request, app_list),
            "attention": console_data.attention(request.user),
            **(extra_context or {}),
        }
        return super().index(request, context)
