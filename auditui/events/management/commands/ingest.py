"""``manage.py ingest [--cluster NAME] [--json] PATH…``: read audit logs into the event store."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError

from auditui.access.scope import ReservedClusterError, check_cluster_name
from auditui.events import provenance
from auditui.events.ingest import Ingestor, IngestReport
from auditui.events.reader import TrackedReader, byte_lines, decode_lines, open_raw, uncompressed
from auditui.events.store import StoreUnavailable
from auditui.progress import Progress

SHOWN_REJECTIONS = 20
EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = "Ingest Kubernetes audit events: JSON Lines, a pretty-printed Event, an EventList, .gz, or - for stdin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files to read; - reads standard input")
        parser.add_argument("--cluster", default="default", help="cluster the events belong to (default: default)")
        parser.add_argument(
            "--json", action="store_true", help='end with {"ingested": N, "duplicates": D, "rejected": R}'
        )
        parser.add_argument(
            "--batch-size", type=int, default=None,
            help="events per store write (default: AUDITUI_INGEST_BATCH_SIZE, else the store's own: "
                 "1000 on SQL, 5000 on a search engine)",
        )

    def handle(self, *args, **options) -> None:
        try:
            check_cluster_name(options["cluster"])
        except ReservedClusterError as exc:
            raise CommandError(str(exc)) from exc
        total = IngestReport()
        unreadable: list[str] = []
        for path in options["paths"]:
            try:
                raw = open_raw(path)
            except OSError as exc:
                unreadable.append(path)
                self.stderr.write(f"error: cannot read {path}: {exc.strerror or exc}")
                continue
            report, error, unavailable = self._ingest_one(raw, path, options)
            total.merge(report)
            if unavailable:
                self._print_summary(total, options)
                raise CommandError(
                    f"{path}: the event store cannot take events: {unavailable} (the {total.ingested} events "
                    "counted above were stored; running the same command again is safe: they count as duplicates)"
                )
            if error:
                unreadable.append(path)
                self.stderr.write(f"error: {path}: {error} (records read before it were kept)")
        self._print_summary(total, options)
        if unreadable:
            raise CommandError(f"{len(unreadable)} path(s) could not be read", returncode=EXIT_UNREADABLE)

    def _ingest_one(self, raw, path: str, options: dict) -> tuple[IngestReport, str | None, StoreUnavailable | None]:
        error = unavailable = None
        size = os.fstat(raw.fileno()).st_size if path != "-" else None
        tracked = TrackedReader(raw)
        progress = Progress(Path(path).name, size, stream=self.stderr._out)
        ingestor = Ingestor(
            cluster=options["cluster"],
            batch_size=options["batch_size"],
            on_batch=lambda report: progress.update(tracked.position, report.seen),
            source=provenance.command_line(path),
            searchable=True,  # what the summary counts, a search finds once the command returns
        )
        try:
            with ingestor:
                # Good records read before a read error (e.g. a truncated .gz) are still stored.
                # Read in another process when the store allows: it tells us how far it read.
                ingestor.feed_all(decode_lines(byte_lines(uncompressed(tracked)), path), ahead=path != "-",
                                  read_position=lambda: tracked.position,
                                  on_read=lambda position: setattr(tracked, "position", position))
        except (OSError, EOFError) as exc:
            error = f"read failed: {exc}"
        except StoreUnavailable as exc:
            unavailable = exc
        finally:
            progress.update(tracked.position, ingestor.report.seen, force=True)
            progress.finish()
            if path != "-":
                raw.close()
        return ingestor.report, error, unavailable

    def _print_summary(self, report: IngestReport, options: dict) -> None:
        for rejection in report.rejections[:SHOWN_REJECTIONS]:
            self.stderr.write(f"rejected {rejection}")
        if report.rejected > SHOWN_REJECTIONS:
            self.stderr.write(f"… and {report.rejected - SHOWN_REJECTIONS} more rejected records")
        line = (
            f"cluster {options['cluster']}: {report.ingested} ingested, {report.duplicates} duplicates, "
            f"{report.rejected} rejected, {report.dropped} dropped by rules"
        )
        if options["json"]:
            self.stderr.write(line)
            self.stdout.write(orjson.dumps(report.as_dict()).decode())
        else:
            self.stdout.write(line)
