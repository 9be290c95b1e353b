"""``alerts.pack``: the 7-day replay of a template limited to the periods with matches fires what
the whole replay fires; installing names outside the pack does nothing."""

from __future__ import annotations

from datetime import timedelta

from alerts.backtest import backtest
from alerts.models import GlobalAlert, GlobalAlertTemplate
from alerts.pack import busy_spans, pack_install, would_fire
from alerts.spec import rule_of
from auditui.access.scope import ViewerScope
from tests.alerts.conftest import T0, minutes
from tests.factories import audit_event


def test_it_replays_only_busy_periods_and_fires_what_the_whole_replay_fires(backend_store, ingest):
    forbidden = [audit_event(username=user, code=403, time=T0 + minutes(at))
                 for user, ats in (("mallory", (1, 2, 3, 4, 5, 6)), ("mallory", (13, 14, 15, 16, 17)),
                                   ("trudy", (300, 301, 302, 303, 304)), ("bob", (900, 901)))
                 for at in ats]
    ingest(forbidden)
    template = GlobalAlertTemplate.objects.get(name="k8s.repeated-forbidden")
    rule = rule_of(template.spec)
    start, end = T0 - timedelta(hours=1), T0 + timedelta(days=1)
    whole = list(backtest(template.name, rule, backend_store, start=start, end=end))
    # mallory: 6 in [10:00, 10:10), 3 in [10:05, 10:15) (resolved), 5 in [10:10, 10:20) (fires anew)
    assert [f.keys["user.username"] for f in whole] == ["mallory", "mallory", "trudy"]
    assert len(busy_spans(rule, backend_store, start=start, end=end)) == 3
    assert would_fire(template, backend_store, scope=ViewerScope.all(), start=start, end=end) == len(whole)


def test_it_installs_only_templates_of_the_pack(db):
    assert pack_install(names=["policy.pod", "k8s.namespace-deleted", "nope"]) == {
        "k8s.namespace-deleted": "created"}
    assert list(GlobalAlert.objects.values_list("name", flat=True)) == ["k8s.namespace-deleted"]
