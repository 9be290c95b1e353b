"""Detection pack page (``/alerts/pack/``) on the ``make run`` demo: what a load cost when the page
replayed every template over 7 days itself, what the worker now spends computing the stored
replays, and what the page costs reading them. Also checks, per template, that the stored figure
of a scoped viewer (namespace ``payments``) is the live replay's.

    .venv/bin/python bench/pack.py [--data-dir /tmp/auditui-bench-pack] [--runs 20] [--json]

The demo (``manage.py demo``: the sample events and a simulated week of three clusters) is loaded
once into the data directory; later runs reuse it. Pages are rendered whole through Django.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import measure, print_table, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/auditui-bench-pack"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup_django(args.data_dir)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from alerts.pack import pack_templates, visible_count, would_fire
    from alerts.pack_backtests import PACK_DAYS, pack_backtest_run
    from auditui.access.models import Scope
    from auditui.access.scope import ViewerScope, scope_for
    from auditui.events.models import AuditEvent
    from auditui.events.store import get_store

    marker = args.data_dir / ".demo-loaded"
    if not marker.exists():
        call_command("demo", verbosity=0)
        marker.touch()
    users = get_user_model().objects
    admin = users.filter(is_superuser=True).first() or users.create_superuser("bench-admin", "", "x")
    viewer, created = users.get_or_create(username="bench-payments")
    if created:
        Scope.objects.create(name="bench payments", clusters="*", namespaces="payments").users.add(viewer)
    store, now = get_store(), timezone.now()
    start = now - timezone.timedelta(days=PACK_DAYS)
    templates = list(pack_templates())

    def live(scope: ViewerScope) -> dict[str, int]:
        return {t.name: would_fire(t, store, scope=scope, start=start, end=now) for t in templates}

    def compute() -> dict[str, int]:
        return {t.name: pack_backtest_run(template_id=t.pk, store=store, now=now).fired for t in templates}

    timings = [measure("before: the page's live replay, admin (21 templates)", lambda: live(ViewerScope.all()),
                       runs=1, warmup=0)]
    began = time.perf_counter()
    stored = compute()
    worker_ms = (time.perf_counter() - began) * 1000
    mismatches = []
    for user in (admin, viewer):
        scope = scope_for(user)
        expected = live(scope)
        for template in templates:
            row = template.pack_backtest
            if visible_count(row.fires, scope) != expected[template.name]:
                mismatches.append(f"{user.username}: {template.name}")
    for user, label in ((admin, "admin"), (viewer, "payments viewer")):
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)

        def page(client: Client = client) -> int:
            response = client.get("/alerts/pack/")
            assert response.status_code == 200 and b"being computed" not in response.content
            return len(response.content)

        timings.append(measure(f"after: the page from stored replays, {label}", page, runs=args.runs))
    summary = {"events": AuditEvent.objects.count(), "worker_all_templates_ms": round(worker_ms),
               "alert_events_all": sum(stored.values()), "mismatches": mismatches,
               "timings": [t.as_dict() for t in timings]}
    if args.json:
        print(json.dumps(summary))
        return
    print_table(timings)
    print(f"{summary['events']} events; the worker's replay of all 21 templates: {worker_ms:.0f} ms "
          f"({summary['alert_events_all']} alert events); stored vs live mismatches: {mismatches or 'none'}")


if __name__ == "__main__":
    main()
