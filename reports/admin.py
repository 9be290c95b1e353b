"""Report definitions are applied as YAML (``manage.py apply``, the API); the admin shows them,
the generated reports, the subscriptions and the e-mail delivery log, and lets staff remove
subscriptions."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from reports.models import Delivery, GlobalReport, GlobalReportType, ReportRun, Subscription


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(GlobalReport)
class GlobalReportAdmin(ReadOnly):
    list_display = ("name", "report_type", "schedule", "suspend", "scheduled_until", "updated")
    search_fields = ("name",)


@admin.register(GlobalReportType)
class GlobalReportTypeAdmin(ReadOnly):
    list_display = ("name", "builtin", "updated")


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnly):
    list_display = ("report_name", "report_type", "start", "end", "state", "attempts", "on_demand", "completed_at")
    list_filter = ("state", "report_type", "on_demand")
    search_fields = ("report_name", "calico_id")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnly):
    list_display = ("user", "report", "created")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("run", "recipient", "state", "attempts", "sent_at", "error")
    list_filter = ("state",)
