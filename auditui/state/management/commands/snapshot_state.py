"""``manage.py snapshot_state [--cluster NAME] [--at ISO]``: store a snapshot of the rebuilt state
now (on demand; beat takes one per cluster each day at midnight UTC)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from auditui.access.scope import ViewerScope
from auditui.events.search import SearchError, parse_instant
from auditui.events.store import get_store
from auditui.state.snapshots import snapshot_take


class Command(BaseCommand):
    help = "Store a snapshot of each cluster's rebuilt state at an instant (default: now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cluster", action="append", default=[], help="this cluster only (repeatable)")
        parser.add_argument("--at", default="now", help="ISO 8601 or now-1d (default: now)")

    def handle(self, *args: object, **options: Any) -> None:
        try:
            at = parse_instant(str(options["at"]), timezone.now(), "at")
        except SearchError as exc:
            raise CommandError(str(exc)) from exc
        clusters = options["cluster"] or sorted(get_store().cluster_totals(ViewerScope.all()))
        for cluster in clusters:
            snapshot = snapshot_take(cluster=cluster, at=at)
            self.stdout.write(f"{cluster}: {snapshot.object_count} objects at {at.isoformat()}")
