"""``manage.py evaluate_alerts``: what is due now (time-machine's now) or at ``--now``, and
``--backtest`` with its JSON lines, on every backend."""

from __future__ import annotations

import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command

from alerts.models import AlertEvent
from tests.alerts.conftest import T0, alert_document, minutes
from tests.factories import audit_event

PAYMENTS_PODS = 'verb=create AND "objectRef.resource"=pods AND "objectRef.namespace"=payments'


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("evaluate_alerts", *args, stdout=out)
    return out.getvalue()


def test_it_evaluates_what_is_due_now_and_nothing_twice(backend_store, make_alert, pod_created):
    make_alert("payments-pods", query=PAYMENTS_PODS, description="pod created in payments")
    pod_created("payments", T0 - minutes(1))
    with time_machine.travel(T0, tick=False):
        out = run()
        assert "globalalert/payments-pods: 1 new" in out and "pod created in payments" in out
        assert run() == ""  # not due again until a period later
    with time_machine.travel(T0 + minutes(5), tick=False):
        assert "0 new" in run()
    assert AlertEvent.objects.count() == 1


def test_it_evaluates_at_the_instant_given(backend_store, make_alert, pod_created):
    make_alert("payments-pods", query=PAYMENTS_PODS)
    pod_created("payments", T0 + minutes(30))
    assert "1 new" in run("--now", "2026-12-01T10:35:00Z")


def test_it_backtests_window_by_window_without_duplicates_or_storing(backend_store, make_alert, ingest):
    make_alert("denied", query="responseStatus.code=403", aggregateBy=["user.username"], metric="count",
               condition="gte", threshold=2, summary="${user.username} denied ${count} times")
    burst = [audit_event(username="bob", code=403, time=T0 + minutes(m)) for m in (1, 2, 3)]
    later = [audit_event(username="bob", code=403, time=T0 + minutes(m)) for m in (41, 42)]
    ingest(burst + later)
    lines = [json.loads(line) for line in run("--backtest", "--start", "2026-12-01T10:00:00Z",
                                              "--end", "2026-12-01T11:00:00Z", "--json").splitlines()]
    fired, summary = lines[:-1], lines[-1]
    assert [(f["alert"], f["time"]) for f in fired] == [("denied", "2026-12-01T10:05:00Z"),
                                                        ("denied", "2026-12-01T10:45:00Z")]
    assert sorted(fired[0]["audit_ids"]) == sorted(e["auditID"] for e in burst)
    assert fired[0]["description"] == "bob denied 3 times"
    assert summary["events"] == 2 and summary["alerts"] == 1
    assert not AlertEvent.objects.exists()


def test_it_backtests_a_template_and_a_file(backend_store, pod_created, tmp_path):
    pod_created("payments", T0 + minutes(1), name="api")
    out = run("--backtest", "--start", "2026-12-01T10:00:00Z", "--end", "2026-12-01T10:30:00Z",
              "--template", "policy.pod", "--json")
    first = json.loads(out.splitlines()[0])
    assert first["description"] == "[audit] [privileged access] change detected for pod payments/api"
    path = tmp_path / "rule.json"
    path.write_text(json.dumps(alert_document("from-file", query=PAYMENTS_PODS)))
    out = run("--backtest", "--start", "2026-12-01T10:00:00Z", "--end", "2026-12-01T10:30:00Z", "-f", str(path),
              "--json")
    assert json.loads(out.splitlines()[0])["alert"] == "from-file"


def test_it_refuses_a_backtest_without_its_interval(db):
    with pytest.raises(CommandError, match="--start and --end"):
        run("--backtest", "--start", "2026-12-01T10:00:00Z")


def test_it_recomputes_the_pack_page_replays(db, ingest):
    from django.utils import timezone

    from alerts.models import PackBacktest

    ingest([audit_event(username="mallory", code=403, time=timezone.now() - minutes(30 - i)) for i in range(5)])
    out = run("--pack", "--template", "k8s.repeated-forbidden")
    assert out.startswith("globalalerttemplate/k8s.repeated-forbidden: 1 alert events from ")
    assert PackBacktest.objects.get().fires == [{"pairs": [["c1", "default"]], "count": 1}]
    lines = [json.loads(line) for line in run("--pack", "--json").splitlines()]
    assert len(lines) == 21 and {line["template"] for line in lines} >= {"k8s.pod-exec"}
    assert PackBacktest.objects.filter(computed_at__isnull=False).count() == 21
    with pytest.raises(CommandError, match="not a template of the detection pack"):
        run("--pack", "--template", "policy.pod")
