"""E-mail subscriptions through a real SMTP server: HTML and text, attachments cut to the
subscriber's scope, one-click unsubscribe, the delivery log with retries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine

from reports import mailing, runs
from reports.models import Delivery, GlobalReport, Subscription
from tests.reports.test_api import grant
from tests.reports.test_generate import policy

pytest_plugins = ["tests.reports.smtp"]
NOW = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)


def daily(report_type: str) -> GlobalReport:
    with time_machine.travel(datetime(2026, 11, 20, 0, 10, tzinfo=UTC), tick=False):
        return GlobalReport.objects.create(name=f"daily-{report_type}", report_type=report_type,
                                           schedule="0 0 * * *",
                                           spec={"reportType": report_type, "schedule": "0 0 * * *"})


def generate(report: GlobalReport) -> list[int]:
    [run_id] = runs.runs_plan(now=NOW)
    assert runs.run_execute(run_id, now=NOW) == "succeeded"
    return mailing.pending_deliveries(run_id)


def parts(message) -> dict[str, object]:
    found: dict[str, object] = {}
    for part in message.walk():
        name = part.get_filename()
        if name:
            found[name] = part.get_payload(decode=True)
        elif part.get_content_type() in ("text/plain", "text/html"):
            found[part.get_content_type()] = part.get_payload(decode=True).decode()
    return found


def test_it_mails_the_morning_summary_with_its_files_and_an_unsubscribe(smtp, admin, ingest, client):
    ingest([policy("create", 3)], cluster="c1")
    report = daily("activity-summary")
    mailing.subscription_create(user=admin, report=report)
    [delivery_id] = generate(report)
    assert mailing.delivery_send(delivery_id, now=NOW) == Delivery.SENT
    [message] = smtp.messages
    assert message["To"] == "admin@example.com" and "daily-activity-summary" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = parts(message)
    assert "Cluster activity" in found["text/html"] and "numPolicyChanges: 1" in found["text/plain"]
    assert any(name.endswith("-summary.csv") for name in found)
    url = "".join(str(message["List-Unsubscribe"]).split()).strip("<>").replace("http://127.0.0.1:8000", "")
    assert client.get(url).status_code == 200 and Subscription.objects.exists()  # GET only asks
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Subscription.objects.exists()
    assert mailing.delivery_send(delivery_id, now=NOW) == "skipped"  # sent once


def test_it_cuts_the_attachments_to_the_subscribers_scope(smtp, scoped_user, ingest):
    grant(scoped_user, "view_globalreport")
    ingest([policy("create", 1), policy("create", 2, namespace="shop", name="shop-in")], cluster="c1")
    report = daily("policy-audit")
    mailing.subscription_create(user=scoped_user, report=report)
    [delivery_id] = generate(report)
    mailing.delivery_send(delivery_id, now=NOW)
    found = parts(smtp.messages[0])
    [events_name] = [name for name in found if name.endswith("-events.json")]
    assert [e["objectRef"]["namespace"] for e in json.loads(found[events_name])] == ["payments"]
    assert "numCreatedPolicies: 1" in found["text/plain"]


def test_it_refuses_a_subscription_that_cannot_be_cut(db, scoped_user):
    grant(scoped_user, "view_globalreport")
    with pytest.raises(mailing.SubscriptionRefused, match="cannot be cut"):
        mailing.subscription_create(user=scoped_user, report=daily("activity-summary"))


def test_it_retries_a_refused_send_then_logs_it_sent(smtp, admin, ingest):
    smtp.refuse = 1
    report = daily("activity-summary")
    mailing.subscription_create(user=admin, report=report)
    [delivery_id] = generate(report)
    assert mailing.delivery_send(delivery_id, now=NOW) == Delivery.PENDING
    delivery = Delivery.objects.get(pk=delivery_id)
    assert "451" in delivery.error and delivery.next_attempt_at > NOW
    assert mailing.due_deliveries(now=NOW) == []
    assert mailing.due_deliveries(now=delivery.next_attempt_at) == [delivery_id]
    assert mailing.delivery_send(delivery_id, now=delivery.next_attempt_at) == Delivery.SENT
    assert Delivery.objects.get(pk=delivery_id).attempts == 2 and len(smtp.messages) == 1
