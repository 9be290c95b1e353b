"""Notifications: which channels and recipients an alert event goes to, and sending one delivery.

Planning writes one ``Delivery`` per recipient (in the run's transaction) and enqueues each once
it commits; a worker sends it. A failure that may pass is retried with exponential backoff up to
``MAX_ATTEMPTS``; a permanent one (a 4xx answer, a refused address) fails at once. Every row is the
delivery log: status, attempts and the last error, and the channel keeps its last error too.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.models import AlertEvent, Channel, Delivery
from alerts.presenters import matching_href
from alerts.selectors import visible_to
from alerts.transports import TRANSPORTS, Message, TransportError
from auditui.access.scope import ViewerScope, scope_for

MAX_ATTEMPTS = 5
BACKOFF_S = 30  # then 60, 120, 240


def _throttle_key(event: AlertEvent) -> str:
    """Per alert and bucket; a per-record rule's records are one bucket (else a broad rule
    would send one message per record)."""
    if event.kind == AlertEvent.Kind.RECORD:
        return f"{event.alert_id}"
    return f"{event.alert_id}:{event.open_key or event.keys}"


def _enabled_channels() -> list[tuple[Channel, set[int]]]:
    """Every enabled channel with the alerts it is limited to (none: all), read once per run."""
    return [(channel, {alert.pk for alert in channel.alerts.all()})
            for channel in Channel.objects.filter(enabled=True).prefetch_related("alerts")]


def _channels_for(event: AlertEvent, channels: list[tuple[Channel, set[int]]]) -> list[Channel]:
    return [channel for channel, alerts in channels
            if channel.min_severity <= event.severity and (not alerts or event.alert_id in alerts)]


def _targets(channel: Channel, event: AlertEvent) -> list[str]:
    """The recipients whose scope allows every pair of the event."""
    if channel.kind == Channel.Kind.EMAIL:
        return [user.email for user in channel.recipients.filter(is_active=True)
                if user.email and visible_to(scope_for(user), event.pairs)]
    owner_scope = scope_for(channel.owner) if channel.owner else ViewerScope.nothing()
    return [channel.url] if visible_to(owner_scope, event.pairs) else []


def deliveries_plan(*, event_ids: list[int]) -> list[int]:
    """Deliveries for new alert events; the pending ones are sent by a worker after commit."""
    pending: list[int] = []
    channels = _enabled_channels() if event_ids else []
    if not channels:
        return pending
    events = AlertEvent.objects.select_related("alert").filter(pk__in=event_ids).order_by("pk")
    for event in events:
        key = _throttle_key(event)
        for channel in _channels_for(event, channels):
            recent = Delivery.objects.filter(
                channel=channel, throttle_key=key, status__in=[Delivery.Status.PENDING, Delivery.Status.SENT],
                created_at__gte=timezone.now() - timedelta(seconds=channel.throttle_seconds))
            throttled = recent.exists()
            for target in _targets(channel, event):
                delivery = Delivery.objects.create(
                    channel=channel, alert_event=event, target=target, throttle_key=key,
                    status=Delivery.Status.THROTTLED if throttled else Delivery.Status.PENDING)
                if not throttled:
                    pending.append(delivery.pk)
    _enqueue(pending)
    return pending


def _enqueue(delivery_ids: list[int]) -> None:
    # in the function: alerts.tasks imports alerts.runs, which imports this module (cycle)
    from alerts.tasks import send_delivery

    for pk in delivery_ids:
        transaction.on_commit(functools.partial(send_delivery.delay, pk))


def message_for(event: AlertEvent | None) -> Message:
    if event is None:
        return Message(subject="[auditui] test notification", alert="test", severity=1,
                       description="This is a test: the channel works.", time=timezone.now().isoformat(),
                       keys={}, count=0, value=None, state="new", link=settings.AUDITUI_BASE_URL + "/alerts/")
    return Message(
        subject=f"[auditui] {event.alert.name}: {event.description}"[:200], alert=event.alert.name,
        severity=event.severity, description=event.description, time=event.time.isoformat(), keys=event.keys,
        count=event.count, value=event.value, state=event.state,
        link=settings.AUDITUI_BASE_URL + matching_href(event),
    )


def delivery_send(*, delivery_id: int) -> float | None:
    """Send one pending delivery; the seconds to wait before retrying it, or None when done."""
    delivery = Delivery.objects.select_related("channel", "alert_event__alert").get(pk=delivery_id)
    if delivery.status != Delivery.Status.PENDING:
        return None  # sent already (a duplicated task) or given up
    channel = delivery.channel
    delivery.attempts += 1
    try:
        TRANSPORTS[channel.kind].notify(message_for(delivery.alert_event), delivery.target, secret=channel.secret)
    except TransportError as exc:
        delivery.last_error = str(exc)
        done = exc.permanent or delivery.attempts >= MAX_ATTEMPTS
        delivery.status = Delivery.Status.FAILED if done else Delivery.Status.PENDING
        delivery.save(update_fields=["attempts", "last_error", "status"])
        Channel.objects.filter(pk=channel.pk).update(last_error=str(exc))
        return None if done else float(BACKOFF_S * 2 ** (delivery.attempts - 1))
    now = timezone.now()
    delivery.status, delivery.sent_at = Delivery.Status.SENT, now
    delivery.save(update_fields=["attempts", "status", "sent_at"])
    Channel.objects.filter(pk=channel.pk).update(last_notify=now, last_error="")
    return None


def channel_send_test(*, channel: Channel, user: object) -> list[int]:
    """"Send test": one test message to each of the channel's recipients, through the worker."""
    if channel.kind == Channel.Kind.EMAIL:
        targets = [u.email for u in channel.recipients.filter(is_active=True) if u.email]
    else:
        targets = [channel.url]
    ids = [Delivery.objects.create(channel=channel, target=target).pk for target in targets]
    _enqueue(ids)
    return ids
