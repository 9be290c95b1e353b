"""``manage.py evaluate_alerts [--now ISO]``: evaluate the rules due at that instant and print what
fired. ``--backtest --start ISO --end ISO [--alert NAME|--template NAME|-f FILE] [--json]``:
replay rules over history, storing and notifying nothing. ``--pack [--template NAME] [--json]``:
recompute now, in this process, the detection pack's stored 7-day replays that its page shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alerts.backtest import backtest
from alerts.models import AlertEvent, GlobalAlert, GlobalAlertTemplate
from alerts.pack import pack_templates
from alerts.pack_backtests import pack_backtest_run
from alerts.runs import alerts_evaluate_due
from alerts.spec import Rule, clean_spec
from auditui.events.store import get_store
from auditui.resources.documents import DocumentError, read_documents
from auditui.resources.registry import ResourceInvalid


def parse_instant(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"{option}: {text!r} is not an ISO 8601 time (e.g. 2026-12-01T10:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Evaluate the global alerts due now (or at --now), or replay rules over history with --backtest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="the instant to evaluate at (ISO 8601; default: now)")
        parser.add_argument("--backtest", action="store_true", help="replay rules over [--start, --end)")
        parser.add_argument("--pack", action="store_true",
                            help="recompute the detection pack page's stored 7-day replays now (or --template's)")
        parser.add_argument("--start", help="backtest: from (ISO 8601)")
        parser.add_argument("--end", help="backtest: to (ISO 8601)")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--alert", help="backtest only this GlobalAlert")
        which.add_argument("--template", help="backtest this GlobalAlertTemplate")
        which.add_argument("-f", "--filename", help="backtest the GlobalAlerts of this file (not applied)")
        parser.add_argument("--json", action="store_true", help="one JSON line per would-be alert event")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["backtest"]:
            self._backtest(options)
            return
        if options["pack"]:
            self._pack(options)
            return
        now = parse_instant(options["now"], "--now") if options["now"] else None
        for result in alerts_evaluate_due(now=now):
            if result.error:
                self.stderr.write(f"globalalert/{result.alert}: {result.error}")
                continue
            self.stdout.write(f"globalalert/{result.alert}: {len(result.new)} new, {result.ongoing} ongoing, "
                              f"{result.resolved} resolved")
            for event in AlertEvent.objects.filter(pk__in=result.new).order_by("pk"):
                self.stdout.write(f"  severity {event.severity}: {event.description}")

    def _backtest(self, options: dict[str, Any]) -> None:
        if not options["start"] or not options["end"]:
            raise CommandError("--backtest needs --start and --end")
        start, end = parse_instant(options["start"], "--start"), parse_instant(options["end"], "--end")
        if start >= end:
            raise CommandError("--start must be before --end")
        rules = self._rules(options)
        store, total = get_store(), 0
        for name, rule in rules:
            for fired in backtest(name, rule, store, start=start, end=end):
                total += 1
                if options["json"]:
                    self.stdout.write(json.dumps(fired.as_json(), ensure_ascii=False))
                else:
                    self.stdout.write(f"{fired.as_json()['time']}  {name}: {fired.description} ({fired.count})")
        summary = {"alerts": len(rules), "events": total, "start": options["start"], "end": options["end"]}
        self.stdout.write(json.dumps(summary) if options["json"] else
                          f"{total} alert events would have fired from {len(rules)} rules")

    def _pack(self, options: dict[str, Any]) -> None:
        if options["alert"] or options["filename"]:
            raise CommandError("--pack takes only --template")
        templates = pack_templates()
        if options["template"]:
            templates = templates.filter(name=options["template"])
            if not templates:
                raise CommandError(f'"{options["template"]}" is not a template of the detection pack')
        store, now, failed = get_store(), timezone.now(), 0
        for template in templates:
            computed = pack_backtest_run(template_id=template.pk, store=store, now=now)
            if computed is None:
                continue
            failed += bool(computed.error)
            if options["json"]:
                self.stdout.write(json.dumps({
                    "template": computed.template, "events": computed.fired, "error": computed.error,
                    "start": computed.start.isoformat().replace("+00:00", "Z"),
                    "end": computed.end.isoformat().replace("+00:00", "Z")}))
            elif computed.error:
                self.stderr.write(f"globalalerttemplate/{computed.template}: {computed.error}")
            else:
                self.stdout.write(f"globalalerttemplate/{computed.template}: {computed.fired} alert events "
                                  f"from {computed.start:%Y-%m-%d %H:%M} to {computed.end:%Y-%m-%d %H:%M} UTC")
        if failed:
            raise CommandError(f"{failed} templates could not be replayed (their previous results are kept)")

    def _rules(self, options: dict[str, Any]) -> list[tuple[str, Rule]]:
        if options["filename"]:
            return self._file_rules(options["filename"])
        if options["template"]:
            template = GlobalAlertTemplate.objects.filter(name=options["template"]).first()
            if template is None:
                raise CommandError(f'globalalerttemplates "{options["template"]}" not found')
            return [(template.name, clean_spec(template.spec))]
        alerts = GlobalAlert.objects.filter(name=options["alert"]) if options["alert"] else GlobalAlert.objects.all()
        if options["alert"] and not alerts:
            raise CommandError(f'globalalerts "{options["alert"]}" not found')
        return [(alert.name, alert.rule) for alert in alerts]

    def _file_rules(self, path: str) -> list[tuple[str, Rule]]:
        try:
            with open(path, encoding="utf-8") as handle:
                documents = read_documents(handle.read(), path)
        except (OSError, UnicodeDecodeError, DocumentError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        rules = []
        for document in documents:
            body = document.body if isinstance(document.body, dict) else {}
            if body.get("kind") not in ("GlobalAlert", "GlobalAlertTemplate"):
                continue
            name = (body.get("metadata") or {}).get("name") or document.position
            try:
                rules.append((name, clean_spec(body.get("spec"))))
            except ResourceInvalid as exc:
                raise CommandError(f"{path}: {document.position}: {exc}") from exc
        if not rules:
            raise CommandError(f"{path}: no GlobalAlert in it")
        return rules
