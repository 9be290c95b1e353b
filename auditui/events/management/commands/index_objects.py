"""``manage.py index_objects [--rebuild]``: index which days each object has events on, for a
search-engine store written before that index existed, and build the per-object summary of the
followed kinds the store does not hold yet (the nightly maintenance does both too); with
``--rebuild``, the summary of every followed kind from the events."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from auditui.events.store import StoreUnavailable, get_store
from auditui.progress import Progress


class Command(BaseCommand):
    help = ("Index the days each object has events on (search-engine stores written by an earlier "
            "auditui; until then one object's long-range reads ask every daily index), and the per-object "
            "summary of followed kinds it lacks. Runs nightly too.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true",
                            help="rebuild the per-object summary of every followed kind from the events")

    def handle(self, *args, **options) -> None:
        # A year of a busy store is many pages of aggregation: show how far it got (on a terminal).
        progress = Progress("indexing objects", None, stream=self.stderr._out, unit="entries")
        try:
            written = get_store().index_objects(progress=lambda done: progress.update(0, done),
                                                rebuild=options["rebuild"])
        except StoreUnavailable as exc:
            raise CommandError(f"{exc} (what was indexed stays; run it again to finish)") from exc
        finally:
            progress.finish()
        if written:
            self.stdout.write(f"indexed {written} object-days and per-object summary entries; reads use them now")
        else:
            self.stdout.write("nothing to do: the object indexes are complete (or this store needs none)")
