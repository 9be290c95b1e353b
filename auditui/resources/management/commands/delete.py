"""``manage.py delete KIND NAME``: as kubectl, ``globalalert/NAME deleted``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from auditui.resources.registry import ResourceInvalid
from auditui.resources.services import UnknownKind, resources_delete


class Command(BaseCommand):
    help = "Delete one GlobalAlert, GlobalAlertTemplate, GlobalReport, …"

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind")
        parser.add_argument("name")

    def handle(self, *args, **options) -> None:
        try:
            self.stdout.write(resources_delete(options["kind"], options["name"]))
        except (UnknownKind, LookupError, ResourceInvalid) as exc:  # ResourceInvalid: a kind refuses the delete
            raise CommandError(str(exc)) from exc
