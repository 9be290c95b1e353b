"""``manage.py import_snapshot FILE --cluster NAME [--at ISO]``: ``kubectl get … -o json`` output
(any mix of kinds) taken as the cluster's state at that instant."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from auditui.events.search import SearchError, parse_instant
from auditui.state.snapshots import SnapshotError, snapshot_import


class Command(BaseCommand):
    help = "Take kubectl get … -o json output as a cluster's state at an instant (default: now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a JSON file, or - for stdin")
        parser.add_argument("--cluster", required=True)
        parser.add_argument("--at", default="now", help="ISO 8601 (default: now)")

    def handle(self, *args: object, **options: str) -> None:
        try:
            at = parse_instant(options["at"], timezone.now(), "at")
        except SearchError as exc:
            raise CommandError(str(exc)) from exc
        try:
            raw = sys.stdin.buffer.read() if options["file"] == "-" else Path(options["file"]).read_bytes()
            document = orjson.loads(raw)
        except OSError as exc:
            raise CommandError(f"{options['file']}: {exc.strerror}") from exc
        except orjson.JSONDecodeError as exc:
            raise CommandError(f"{options['file']}: not JSON ({exc})") from exc
        try:
            report = snapshot_import(cluster=options["cluster"], document=document, at=at)
        except SnapshotError as exc:
            raise CommandError(f"{options['file']}: {exc}") from exc
        for kind, count in sorted(report.kinds.items()):
            self.stdout.write(f"{kind}: {count}")
        for kind, count in sorted(report.skipped.items()):
            self.stdout.write(f"skipped {kind}: {count} (not part of the cluster state)")
        total = sum(report.kinds.values())
        self.stdout.write(f"imported {total} objects as {options['cluster']}'s state at {at.isoformat()}")
