"""``manage.py demo``: sample audit files, a simulated week of three clusters, and demo logins.

Safe to run again: sample files are deduplicated by ingest, clusters that already hold events
are left alone, and existing users keep their passwords.

The demo password ``admin`` is for a server on the loopback address only. With ``--host`` naming
any other address (``make run`` passes its ``HOST``), the logins get ``AUDITUI_ADMIN_PASSWORD``,
which must pass Django's password validators (so never ``admin``), or else a generated password,
printed once; demo users who still have the known password get the new one.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from auditui.access.models import Scope
from auditui.access.scope import ViewerScope
from auditui.events import provenance
from auditui.events.ingest import IngestReport, ingest_events, ingest_path
from auditui.events.management.commands.simulate import Tally
from auditui.events.simulator import DEFAULT_CLUSTERS, simulate_cluster
from auditui.events.simulator.stories import preview_cleanup
from auditui.events.store import EventQuery, get_store

SAMPLES_CLUSTER = "samples"
SAMPLE_SUFFIXES = (".json", ".jsonl", ".log", ".gz")
# Events per second per cluster, averaged over a day: a week of three clusters is ~180k events,
# simulated and ingested into SQLite in ~25 s on a 2-core machine (0.2 would take ~50 s).
DEMO_RATE = 0.1
SCOPE_NAME = "payments (demo)"
# Where a preview environment's policies are removed with one `kubectl delete --all` (a
# collection delete, which the random simulation never makes).
PREVIEW_CLUSTER = "staging"
DEFAULT_PASSWORD = "admin"


def is_loopback(host: str) -> bool:
    """Whether a server listening on ``host`` is reachable from this machine only."""
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name (or 0.0.0.0, every address): others may reach it


def demo_password(host: str) -> tuple[str, bool]:
    """The password for the demo logins, and whether it was generated (and must be shown)."""
    chosen = os.environ.get("AUDITUI_ADMIN_PASSWORD")
    if is_loopback(host):
        return chosen or DEFAULT_PASSWORD, False
    if chosen is None:
        return secrets.token_urlsafe(12), True
    if chosen == DEFAULT_PASSWORD:
        raise CommandError(f"AUDITUI_ADMIN_PASSWORD={DEFAULT_PASSWORD} is the known demo password: choose another "
                           f"one to serve on {host}, a non-loopback address (or unset it for a generated one)")

    try:
        validate_password(chosen)
    except ValidationError as exc:
        raise CommandError(f"AUDITUI_ADMIN_PASSWORD is too weak to serve on {host}: {' '.join(exc.messages)}") from exc
    return chosen, False


def sample_dir() -> Path:
    return Path(settings.BASE_DIR) / "testdata" / "k8s-audit"


def sample_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(SAMPLE_SUFFIXES))


def cluster_event_count(cluster: str) -> int:
    return get_store().count(EventQuery(scope=ViewerScope.all(), clusters=(cluster,)))


class Command(BaseCommand):
    help = "Load the bundled sample audit logs and a simulated week of activity, and create demo users."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=float, default=7.0, help="simulated days, ending now (default 7)")
        parser.add_argument("--seed", type=int, default=42, help="simulation seed (default 42)")
        parser.add_argument(
            "--events-per-second",
            type=float,
            default=DEMO_RATE,
            metavar="R",
            help=f"per cluster, averaged over a day (default {DEMO_RATE})",
        )
        parser.add_argument(
            "--host", default="127.0.0.1",
            help="the address the server will listen on: off loopback, the demo password admin is refused",
        )
        parser.add_argument("--users-only", action="store_true", help="only create (or secure) the demo logins")

    def handle(self, *args, **options) -> None:
        began = time.monotonic()
        password, generated = demo_password(options["host"])  # before the minute of loading: fail fast
        if options["users_only"]:
            self._users(password, generated, options["host"])
            return
        self._load_samples()
        self._simulate(options)
        self._users(password, generated, options["host"])
        self.stdout.write(
            f"Done in {time.monotonic() - began:.0f} s. Start the server (make run) and log in."
        )

    def _load_samples(self) -> None:
        files = sample_files(sample_dir())
        total = IngestReport()
        for path in files:
            total.merge(ingest_path(path, cluster=SAMPLES_CLUSTER, source=provenance.demo(Path(path).name)))
        self.stdout.write(
            f"cluster {SAMPLES_CLUSTER}: {len(files)} sample files, {total.ingested} events ingested, "
            f"{total.duplicates} duplicates, {total.rejected} rejected"
        )
        for rejection in total.rejections:
            self.stdout.write(f"  rejected (expected: not an audit event) {_relative(str(rejection))}")

    def _simulate(self, options: dict) -> None:
        source = provenance.demo(provenance.SIMULATOR)
        days = options["days"]
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        start = end - timedelta(days=days)
        for cluster in DEFAULT_CLUSTERS:
            existing = cluster_event_count(cluster)
            if existing:
                self.stdout.write(f"cluster {cluster}: already has {existing:,} events, left as it is")
                continue
            began = time.monotonic()
            tally = Tally(cluster, start, days, self.stderr)
            events = simulate_cluster(
                cluster,
                start=start,
                days=days,
                seed=options["seed"],
                events_per_second=options["events_per_second"],
            )
            report = ingest_events(tally.count(events), cluster=cluster, source=source)
            if cluster == PREVIEW_CLUSTER:
                report.merge(ingest_events(tally.count(preview_cleanup(cluster, end=end, seed=options["seed"])),
                                           cluster=cluster, source=source))
            self.stdout.write(
                f"{tally.summary()}, {report.ingested:,} ingested "
                f"({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC, "
                f"{time.monotonic() - began:.0f} s)"
            )

    def _users(self, password: str, generated: bool, host: str) -> None:
        users = get_user_model().objects
        admin, created = users.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"}
        )
        changed = self._set_password(admin, created, password, host)
        viewer, created = users.get_or_create(
            username="payments-viewer", defaults={"email": "payments-viewer@example.com"}
        )
        changed += self._set_password(viewer, created, password, host)
        scope, _ = Scope.objects.get_or_create(
            name=SCOPE_NAME,
            defaults={
                "clusters": "*",
                "namespaces": "payments",
                "description": "Demo: the payments namespace in every cluster.",
            },
        )
        scope.users.add(viewer)
        self._show_logins(password if generated else None, changed)

    def _show_logins(self, generated: str | None, changed: int) -> None:
        if generated is not None and not changed:
            self.stdout.write("Logins: existing users keep their passwords (none had the demo password).")
            return
        if generated is not None:
            shown = generated
            self.stdout.write("Logins, with a password generated because the server is not on loopback only "
                              "(shown once: note it, or set AUDITUI_ADMIN_PASSWORD):")
        else:
            shown = "$AUDITUI_ADMIN_PASSWORD" if "AUDITUI_ADMIN_PASSWORD" in os.environ else DEFAULT_PASSWORD
            self.stdout.write("Logins (passwords of existing users are left unchanged):")
        self.stdout.write(f"  admin / {shown}             superuser: every cluster and namespace")
        self.stdout.write(
            f"  payments-viewer / {shown}   scope {SCOPE_NAME!r}: namespace payments, all clusters"
        )

    @staticmethod
    def _set_password(user, created: bool, password: str, host: str) -> int:
        """Set the password of a new user, and off loopback of one that still has the known one."""
        if created or (not is_loopback(host) and user.check_password(DEFAULT_PASSWORD)):
            user.set_password(password)
            user.save(update_fields=["password"])
            return 1
        return 0


def _relative(text: str) -> str:
    """Shorten absolute sample paths in messages to the part under testdata/."""
    base = str(sample_dir().parent.parent) + os.sep
    return text.replace(base, "")
