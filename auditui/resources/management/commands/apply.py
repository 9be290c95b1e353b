"""``manage.py apply -f FILE|-``: create or update resources from ``projectcalico.org/v3`` YAML or JSON."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from auditui.resources.documents import DocumentError
from auditui.resources.services import ApplyRefused, resources_apply


class Command(BaseCommand):
    help = ("Create or update GlobalAlert, GlobalAlertTemplate, GlobalReport, … from projectcalico.org/v3 YAML or "
            "JSON (several documents, List kinds). Every document is checked first: if one is invalid, none is "
            "applied.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("-f", "--filename", action="append", required=True,
                            help="a file, or - for standard input (repeatable)")

    def handle(self, *args, **options) -> None:
        lines: list[str] = []
        for path in options["filename"]:
            text = self._read(path)
            try:
                lines.extend(resources_apply(text, source=path))
            except DocumentError as exc:
                raise CommandError(str(exc)) from exc
            except ApplyRefused as exc:
                raise CommandError("nothing applied:\n" + "\n".join(exc.problems)) from exc
        for line in lines:
            self.stdout.write(line)

    def _read(self, path: str) -> str:
        try:
            if path == "-":
                return sys.stdin.read()
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
