"""``manage.py create_ingest_token --cluster NAME``: a webhook bearer token (printed on the last line)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from auditui.access.models import IngestToken
from auditui.access.scope import ReservedClusterError


class Command(BaseCommand):
    help = "Create a bearer token for the audit webhook, bound to one cluster. Only its hash is stored."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--cluster", required=True, help="the cluster whose events this token sends")
        parser.add_argument("--description", default="", help="a note, e.g. which API server uses it")

    def handle(self, *args, **options) -> None:
        try:
            token, plain = IngestToken.issue(cluster=options["cluster"], description=options["description"])
        except ReservedClusterError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"ingest token {token.prefix}… for cluster {token.cluster}; it is shown once, store it now:"
        )
        self.stdout.write(plain)
