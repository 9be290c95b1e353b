"""``manage.py get KIND [NAME] [-o yaml|json]``: resources as kubectl prints them, with ``status``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from auditui.resources.services import UnknownKind, render, resources_get
from auditui.resources.table import table


class Command(BaseCommand):
    help = "Print GlobalAlerts, GlobalAlertTemplates, GlobalReports, … (a table, or -o yaml|json with status)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", help="e.g. globalalerts, globalalerttemplates, globalreports")
        parser.add_argument("name", nargs="?")
        parser.add_argument("-o", "--output", choices=("yaml", "json"))

    def handle(self, *args, **options) -> None:
        try:
            handler, documents = resources_get(options["kind"], options["name"])
        except UnknownKind as exc:
            raise CommandError(str(exc)) from exc
        if options["name"] and not documents:
            raise CommandError(f'{handler.plural} "{options["name"]}" not found')
        if options["output"]:
            self.stdout.write(render(documents, options["output"], single=bool(options["name"])), ending="")
        elif documents:
            self.stdout.write(table(documents), ending="")
        else:
            self.stdout.write("No resources found.")
