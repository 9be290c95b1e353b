from __future__ import annotations

from django.contrib import admin

from auditui.access.scope import scope_for
from auditui.events import services
from auditui.events.models import AuditEvent, DropRule, IngestJob, PullSource
from auditui.events.store.sql import scope_q


@admin.register(DropRule)
class DropRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "cluster", "query", "enabled", "dropped_total", "last_dropped_at", "error_total",
                    "last_error_at", "last_error")
    list_filter = ("enabled", "cluster")
    readonly_fields = ("dropped_total", "last_dropped_at", "error_total", "last_error", "last_error_at", "created_at")


@admin.register(IngestJob)
class IngestJobAdmin(admin.ModelAdmin):
    list_display = ("file_name", "cluster", "status", "ingested", "duplicates", "rejected", "dropped", "attempt",
                    "heartbeat_at", "created_at")
    list_filter = ("status", "cluster")
    readonly_fields = [f.name for f in IngestJob._meta.fields]
    actions = ["requeue"]

    @admin.action(description="Ingest again (running or failed jobs; what was stored counts as duplicates)")
    def requeue(self, request, queryset) -> None:
        count = sum(services.requeue_job(job) for job in queryset)
        self.message_user(request, f"{count} job(s) queued again.")

    def get_queryset(self, request):
        # Listed by scope, as on the upload page: the jobs of the clusters the viewer covers wholly.
        return IngestJob.objects.for_scope(scope_for(request.user))

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: events are evidence and only change through ingest and retention. Nobody, not
    even a superuser, deletes one here ("Delete selected" included): only retention removes them."""

    list_display = ("time", "cluster", "verb", "username", "resource", "namespace", "name", "response_code")
    list_filter = ("cluster", "verb", "stage", "level")
    search_fields = ("audit_id", "username", "name")
    show_full_result_count = False

    def get_queryset(self, request):
        # The admin is a reader too: it goes through the same RBAC scope as every page.
        return super().get_queryset(request).filter(scope_q(scope_for(request.user)))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(PullSource)
class PullSourceAdmin(admin.ModelAdmin):
    """Editing a source is for superusers only: it says where auditui connects, with which
    password, and which cluster the events it pulls are stored under. Staff with the view
    permission may look."""

    list_display = ("name", "engine", "index_pattern", "cluster", "enabled", "pulled_total", "checkpoint_time",
                    "last_success_at", "last_error")
    list_filter = ("enabled", "engine", "cluster")
    readonly_fields = ("checkpoint", "checkpoint_time", "pulled_total", "last_run_at", "last_success_at",
                       "last_error", "next_run_at")
    actions = ["reset_checkpoint"]

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    @admin.action(description="Read again from the beginning (duplicates are skipped)", permissions=["change"])
    def reset_checkpoint(self, request, queryset) -> None:
        count = queryset.update(checkpoint=[], checkpoint_time=None, next_run_at=None)
        self.message_user(request, f"{count} source(s) will be read from the beginning.")
