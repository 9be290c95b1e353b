"""``manage.py run_report NAME [--start ISO --end ISO]``: generate a report now (on demand)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.models import GlobalReport, ReportRun
from reports.runs import report_run_now


def _instant(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(f"{option}: not an ISO 8601 time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = ("Generate a GlobalReport now, for [--start, --end) or else the schedule's last complete interval "
            "(the last 24 hours without a schedule). On demand: not counted in the report's status.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--start")
        parser.add_argument("--end")

    def handle(self, *args: Any, **options: Any) -> None:
        report = GlobalReport.objects.filter(name=options["name"]).first()
        if report is None:
            raise CommandError(f'globalreports "{options["name"]}" not found')
        if bool(options["start"]) != bool(options["end"]):
            raise CommandError("give both --start and --end, or neither")
        start = _instant(options["start"], "--start") if options["start"] else None
        end = _instant(options["end"], "--end") if options["end"] else None
        if start and end and start >= end:
            raise CommandError("--start must be before --end")
        run = report_run_now(report, start=start, end=end)
        if run.state != ReportRun.SUCCEEDED:
            raise CommandError(f"{run.calico_id} {run.state}: {run.error}")
        self.stdout.write(f"{run.calico_id} generated: {', '.join(run.formats)}")
