from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from auditui.state.models import StateSnapshot


@admin.register(StateSnapshot)
class StateSnapshotAdmin(admin.ModelAdmin):
    """Snapshots are made by beat, ``snapshot_state`` and ``import_snapshot``: read and delete only
    (deleting one makes rebuilds replay from the one before)."""

    list_display = ("cluster", "at", "source", "object_count", "created")
    list_filter = ("source", "cluster")
    date_hierarchy = "at"
    exclude = ("state",)
    readonly_fields = ("cluster", "at", "source", "object_count", "created")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StateSnapshot | None = None) -> bool:
        return False
