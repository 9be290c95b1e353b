from __future__ import annotations

from django.contrib import admin

from alerts.models import AlertEvent, GlobalAlert, GlobalAlertTemplate


@admin.register(GlobalAlert)
class GlobalAlertAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "healthy", "last_executed", "last_event", "next_run_at")
    readonly_fields = ("last_executed", "last_event", "error_conditions")


@admin.register(GlobalAlertTemplate)
class GlobalAlertTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):
    list_display = ("alert", "time", "severity", "state", "ongoing", "count", "value")
    list_filter = ("state", "severity")
