from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from alerts.models import AlertEvent, Channel, Delivery, GlobalAlert, GlobalAlertTemplate
from alerts.notifications import channel_send_test


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


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enabled", "min_severity", "last_notify", "last_error")
    filter_horizontal = ("recipients", "alerts")
    actions = ["send_test"]

    @admin.action(description="Send test")
    def send_test(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        sent = sum(len(channel_send_test(channel=channel, user=request.user)) for channel in queryset)
        self.message_user(request, f"{sent} test message{'s' if sent != 1 else ''} queued")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "alert_event", "target", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "channel")
