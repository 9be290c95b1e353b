"""``manage.py purge [--before ISO]``: delete events older than the retention (or a given instant)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from auditui.events.normalize import RejectedRecord, parse_time
from auditui.events.services import retention_cutoff
from auditui.events.store import StoreUnavailable, get_store


class Command(BaseCommand):
    help = "Delete audit events older than AUDITUI_RETENTION_DAYS (default 365), or older than --before."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--before", help="ISO 8601 instant, e.g. 2026-01-01T00:00:00Z (default: now - retention)")

    def handle(self, *args, **options) -> None:
        if options["before"]:
            try:
                cutoff = parse_time(options["before"], "--before")
            except RejectedRecord as exc:
                raise CommandError(str(exc)) from exc
        else:
            cutoff = retention_cutoff()
        try:
            deleted = get_store().purge(before=cutoff)
        except StoreUnavailable as exc:
            raise CommandError(f"nothing purged: {exc}") from exc
        self.stdout.write(f"purged {deleted} events older than {cutoff.isoformat()}")
