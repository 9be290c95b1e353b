"""Notifications: a real SMTP server and a real HTTP receiver that fails on purpose; recipients by
scope, channels by alert and severity, throttling, retries with backoff, the delivery log."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from alerts.models import Channel, Delivery
from alerts.notifications import MAX_ATTEMPTS, channel_send_test, delivery_send
from alerts.runs import alert_run
from tests.alerts.conftest import T0, minutes

PAYMENTS_PODS = 'verb=create AND "objectRef.resource"=pods AND "objectRef.namespace"=payments'


@pytest.fixture
def eager():
    """Tasks run where they are enqueued, and on_commit callbacks run: the worker's code path."""
    from auditui.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def other_viewer(django_user_model):
    from auditui.access.models import Scope

    user = django_user_model.objects.create_user("shop-viewer", "shop@example.com", "x")
    Scope.objects.create(name="shop team", clusters="*", namespaces="shop").users.add(user)
    return user


def run(alert, now, capture):
    with capture(execute=True):
        return alert_run(alert_id=alert.pk, now=now)


def test_it_emails_a_pod_created_in_payments_to_its_viewer_only(
        db, eager, smtp_server, make_alert, pod_created, scoped_user, other_viewer,
        django_capture_on_commit_callbacks):
    channel = Channel.objects.create(name="mail", kind="email")
    channel.recipients.add(scoped_user, other_viewer)
    alert = make_alert("payments-pods", query=PAYMENTS_PODS, description="pod created in payments")
    pod_created("payments", T0 - minutes(1))
    run(alert, T0, django_capture_on_commit_callbacks)
    [(to, message)] = smtp_server.deliveries
    assert to == ["pv@example.com"] and "pod created in payments" in message["Subject"]
    assert Delivery.objects.get().status == "sent"


def test_it_signs_webhooks_and_retries_with_backoff_until_delivered(
        db, eager, http_receiver, make_alert, pod_created, admin, django_capture_on_commit_callbacks):
    Channel.objects.create(name="hook", kind="webhook", url=http_receiver.url + "/alerts", secret="s3cret",
                           owner=admin)
    http_receiver.fail_next = 2
    alert = make_alert("payments-pods", query=PAYMENTS_PODS)
    pod_created("payments", T0 - minutes(1))
    run(alert, T0, django_capture_on_commit_callbacks)
    assert len(http_receiver.requests) == 3
    path, headers, body = http_receiver.requests[-1]
    assert body["alert"] == "payments-pods" and body["keys"]["objectRef.namespace"] == "payments"
    expected = hmac.new(b"s3cret", json.dumps(body, ensure_ascii=False).encode(), hashlib.sha256).hexdigest()
    assert headers["X-Auditui-Signature"] == "sha256=" + expected
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.attempts == 3 and "503" in delivery.last_error


def test_it_gives_up_at_once_on_a_refusal_and_logs_it(db, http_receiver, make_alert, admin):
    channel = Channel.objects.create(name="slack", kind="slack", url=http_receiver.url + "/gone", owner=admin)
    http_receiver.status_by_path["/gone"] = 404
    delivery = Delivery.objects.create(channel=channel, target=channel.url)
    assert delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    channel.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 1 and "HTTP 404" in channel.last_error
    assert "text" in http_receiver.requests[0][2]


def test_it_backs_off_then_fails_after_the_last_attempt(db, http_receiver, admin):
    channel = Channel.objects.create(name="hook", kind="webhook", url=http_receiver.url, owner=admin)
    http_receiver.fail_next = MAX_ATTEMPTS
    delivery = Delivery.objects.create(channel=channel, target=channel.url)
    delays = [delivery_send(delivery_id=delivery.pk) for _ in range(MAX_ATTEMPTS)]
    assert delays == [30.0, 60.0, 120.0, 240.0, None]
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_it_sends_nothing_to_a_webhook_whose_owner_may_not_see_the_event(
        db, make_alert, pod_created, other_viewer, django_capture_on_commit_callbacks):
    Channel.objects.create(name="hook", kind="webhook", url="http://127.0.0.1:9/", owner=other_viewer)
    alert = make_alert("payments-pods", query=PAYMENTS_PODS)
    pod_created("payments", T0 - minutes(1))
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        alert_run(alert_id=alert.pk, now=T0)
    assert enqueued == [] and not Delivery.objects.exists()


def test_it_chooses_channels_by_alert_and_minimum_severity(db, make_alert, pod_created, admin,
                                                           django_capture_on_commit_callbacks):
    low = make_alert("low", query=PAYMENTS_PODS, severity=10)
    high = make_alert("high", query=PAYMENTS_PODS, severity=90)
    urgent = Channel.objects.create(name="urgent", kind="webhook", url="http://127.0.0.1:9/", owner=admin,
                                    min_severity=50)
    only_low = Channel.objects.create(name="only-low", kind="webhook", url="http://127.0.0.1:9/", owner=admin)
    only_low.alerts.add(low)
    pod_created("payments", T0 - minutes(1))
    with django_capture_on_commit_callbacks(execute=False):
        for alert in (low, high):
            alert_run(alert_id=alert.pk, now=T0)
    sent = sorted(Delivery.objects.values_list("channel__name", "alert_event__alert__name"))
    assert sent == [("only-low", "low"), ("urgent", "high")]
    assert urgent.min_severity == 50


def test_it_throttles_per_alert_and_bucket(db, make_alert, pod_created, admin, django_capture_on_commit_callbacks):
    Channel.objects.create(name="hook", kind="webhook", url="http://127.0.0.1:9/", owner=admin)
    alert = make_alert("pods", query=PAYMENTS_PODS)
    pod_created("payments", T0 - minutes(2), name="a")
    pod_created("payments", T0 - minutes(1), name="b")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        alert_run(alert_id=alert.pk, now=T0)
    assert len(enqueued) == 1
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["pending", "throttled"]


def test_it_sends_a_test_message(db, eager, smtp_server, scoped_user, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(name="mail", kind="email")
    channel.recipients.add(scoped_user)
    with django_capture_on_commit_callbacks(execute=True):
        channel_send_test(channel=channel, user=scoped_user)
    assert smtp_server.messages[0]["Subject"] == "[auditui] test notification"
