"""``alerts.pack_backtests``: the stored 7-day replays answer each viewer exactly what a live
replay filtered for them answers; a result belongs to its spec; each template is claimed once at a
time; a failed computation keeps the previous result."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import GlobalAlertTemplate, PackBacktest
from alerts.pack import pack_templates, visible_count, would_fire
from alerts.pack_backtests import (
    CLAIM_TIMEOUT,
    REFRESH,
    RETRY,
    pack_backtest_run,
    pack_backtests_claim,
    pack_entries,
)
from auditui.access.scope import ViewerScope, scope_for
from tests.factories import audit_event


def exec_into(namespace: str, name: str, minutes_ago: int) -> dict:
    event = audit_event(verb="create", resource="pods", namespace=namespace, name=name,
                        time=timezone.now() - timedelta(minutes=minutes_ago), code=101)
    event["objectRef"]["subresource"] = "exec"
    return event


@pytest.fixture
def week(ingest):
    """Execs in payments and kube-system (two clusters), and a user refused in both namespaces
    at once: a bucket whose pairs the payments viewer may only half see."""
    ingest([exec_into("payments", "api-0", 90), exec_into("kube-system", "etcd-0", 60),
            exec_into("payments", "api-1", 3000)])
    ingest([exec_into("payments", "web-0", 200)], cluster="c2")
    refused = [audit_event(username="mallory", code=403, namespace=ns,
                           time=timezone.now() - timedelta(minutes=400 - at))
               for at, ns in enumerate(["payments", "kube-system"] * 3)]
    refused += [audit_event(username="eve", code=403, namespace="payments",
                            time=timezone.now() - timedelta(minutes=900 - at)) for at in range(5)]
    ingest(refused)


def compute_all(store, now) -> None:
    for template in pack_templates():
        assert pack_backtest_run(template_id=template.pk, store=store, now=now).error == ""


def test_it_answers_each_viewer_what_the_live_replay_answers(backend_store, week, admin, scoped_user, outsider):
    now = timezone.now()
    compute_all(backend_store, now)
    figures = {}
    for user in (admin, scoped_user, outsider):
        scope = scope_for(user)
        for row in PackBacktest.objects.select_related("template"):
            live = would_fire(row.template, backend_store, scope=scope, start=row.start, end=row.end)
            assert visible_count(row.fires, scope) == live, (user.username, row.template.name)
            figures[user.username, row.template.name] = live
    assert figures["admin", "k8s.pod-exec"] == 4 and figures["payments-viewer", "k8s.pod-exec"] == 3
    # mallory's bucket has a kube-system pair: only eve's is the payments viewer's to see
    assert figures["admin", "k8s.repeated-forbidden"] == 2
    assert figures["payments-viewer", "k8s.repeated-forbidden"] == 1
    assert not any(n for (user, _), n in figures.items() if user == "outsider")


def test_it_stores_the_interval_and_counts_per_pairs_set(backend_store, week):
    now = timezone.now()
    template = GlobalAlertTemplate.objects.get(name="k8s.repeated-forbidden")
    computed = pack_backtest_run(template_id=template.pk, store=backend_store, now=now)
    row = PackBacktest.objects.get(template=template)
    assert (row.start, row.end, row.computed_at) == (now - timedelta(days=7), now, now)
    assert computed.fired == 2
    assert row.fires == [{"pairs": [["c1", "kube-system"], ["c1", "payments"]], "count": 1},
                         {"pairs": [["c1", "payments"]], "count": 1}]
    assert visible_count(row.fires, ViewerScope.all()) == 2


def test_it_does_not_show_a_result_of_a_changed_spec(db, admin):
    now = timezone.now()
    from auditui.events.store import get_store

    template = GlobalAlertTemplate.objects.get(name="k8s.pod-exec")
    pack_backtest_run(template_id=template.pk, store=get_store(), now=now)
    scope = scope_for(admin)
    assert _entry(scope, "k8s.pod-exec").would_fire == 0
    # the same spec with its keys in another order is the same spec
    GlobalAlertTemplate.objects.filter(pk=template.pk).update(spec=dict(reversed(list(template.spec.items()))))
    assert _entry(scope, "k8s.pod-exec").would_fire == 0
    GlobalAlertTemplate.objects.filter(pk=template.pk).update(spec={**template.spec, "threshold": 99})
    entry = _entry(scope, "k8s.pod-exec")
    assert entry.would_fire is None and entry.result is None
    assert template.pk in pack_backtests_claim(now=now, missing_only=True)


def _entry(scope, name):
    return next(e for e in pack_entries(scope=scope, installed=[]) if e.template.name == name)


def test_it_claims_each_template_once_until_it_is_done_or_the_claim_times_out(db):
    from auditui.events.store import get_store

    now = timezone.now()
    first = pack_backtests_claim(now=now)
    assert len(first) == 21 and pack_backtests_claim(now=now + timedelta(minutes=1)) == []
    pack_backtest_run(template_id=first[0], store=get_store(), now=now)
    later = now + CLAIM_TIMEOUT + timedelta(seconds=1)
    # the computed one is current: the page does not queue it, the others' workers died: taken again
    assert set(pack_backtests_claim(now=later, missing_only=True)) == set(first[1:])
    # the hourly tick (not the page) recomputes a result older than REFRESH
    assert first[0] not in pack_backtests_claim(now=now + REFRESH, missing_only=True)
    assert first[0] in pack_backtests_claim(now=now + REFRESH)


def test_it_keeps_the_previous_result_when_the_store_fails(db, settings):
    from auditui.events.store import get_store
    from tests.services import closed_port

    template = GlobalAlertTemplate.objects.get(name="k8s.pod-exec")
    then = timezone.now() - REFRESH
    pack_backtest_run(template_id=template.pk, store=get_store(), now=then)
    now = timezone.now()
    assert template.pk in pack_backtests_claim(now=now)  # an hour old: due, and claimed
    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{closed_port()}"
    computed = pack_backtest_run(template_id=template.pk, store=get_store(), now=now)
    row = PackBacktest.objects.get(template=template)
    assert computed.error.startswith("StoreUnavailable") and row.error == computed.error
    assert row.computed_at == then and row.queued_at is None  # the old figure stays, marked failed
    entry = _entry(ViewerScope.all(), "k8s.pod-exec")
    assert entry.would_fire == 0 and entry.failed
    assert template.pk not in pack_backtests_claim(now=now + RETRY / 2)  # not retried at once
    assert template.pk in pack_backtests_claim(now=now + RETRY)
