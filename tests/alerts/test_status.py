"""The alerts' section of /status/: rules behind schedule and unhealthy rules."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from alerts.models import GlobalAlert
from auditui import status
from tests.alerts.conftest import T0


def test_it_says_all_is_well_when_rules_are_on_time(make_alert):
    make_alert("pods", query="verb=create")
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        section = status.collect()["alert rounds"]
    assert section.ok and section.summary == "1 active rules"


def test_it_names_a_rule_left_behind_schedule(make_alert):
    make_alert("pods", query="verb=create")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        section = status.collect()["alert rounds"]
    assert not section.ok and "1 behind schedule" in section.summary
    assert section.details["behind_schedule"][0]["alert"] == "pods"


def test_it_counts_unhealthy_rules(make_alert):
    alert = make_alert("pods", query="verb=create")
    GlobalAlert.objects.filter(pk=alert.pk).update(healthy=False, next_run_at=T0 + timedelta(hours=1))
    with time_machine.travel(T0, tick=False):
        section = status.collect()["alert rounds"]
    assert not section.ok and section.details["unhealthy"] == ["pods"]
