"""``manage.py index_objects``: index which days each object has events on, for a search-engine
store written before that index existed (the nightly maintenance does it too)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from auditui.events.store import StoreUnavailable, get_store
from auditui.progress import Progress


class Command(BaseCommand):
    help = ("Index the days each object has events on (search-engine stores written by an earlier "
            "auditui; until then one object's long-range reads ask every daily index). Runs nightly too.")

    def handle(self, *args, **options) -> None:
        # A year of a busy store is many pages of aggregation: show how far it got (on a terminal).
        progress = Progress("indexing object days", None, stream=self.stderr._out, unit="object-days")
        try:
            written = get_store().index_objects(progress=lambda done: progress.update(0, done))
        except StoreUnavailable as exc:
            raise CommandError(f"{exc} (what was indexed stays; run it again to finish)") from exc
        finally:
            progress.finish()
        if written:
            self.stdout.write(f"indexed {written} object-days; one object's reads now ask only its days' indices")
        else:
            self.stdout.write("nothing to do: the object index is complete (or this store needs none)")
