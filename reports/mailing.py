"""E-mail subscriptions: subscribe, unsubscribe (signed one-click links), and the delivery log.

After a run succeeds every subscriber gets a delivery row (unique per subscription and run), sent
by a worker that claims it with a conditional UPDATE; a failed send is retried with backoff, then
failed with the reason. What a subscriber receives is cut to their scope; a report type that
cannot be cut is refused when subscribing (and a delivery whose subscriber lost their wider scope
since fails with that reason)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from auditui.access.scope import ViewerScope, scope_for
from auditui.emails import make_message, unsubscribe_headers
from reports import access, config
from reports.events_face import record_change
from reports.models import Delivery, GlobalReport, ReportRun, Subscription
from reports.renderers import download_name

log = logging.getLogger(__name__)
SALT = "reports.unsubscribe"
# Summary entries that are not one line of the e-mail (lists and tables: the page and files hold them).
_NOT_LINES = ("failedAttempts", "title", "charts", "completeness")
MIME = {"csv": "text/csv", "json": "application/json", "yaml": "application/yaml", "html": "text/html"}


class SubscriptionRefused(Exception):
    pass


def subscription_create(*, user: Any, report: GlobalReport) -> Subscription:
    if not user.email:
        raise SubscriptionRefused("your account has no e-mail address")
    if not access.can_see_summary(user):
        raise SubscriptionRefused("you may not see reports' summaries (needs reports.view_globalreport)")
    scope = scope_for(user)
    if scope.is_empty:
        raise SubscriptionRefused("your scope grants no cluster or namespace")
    if not scope.everything and not access.cuttable(report.report_type):
        raise SubscriptionRefused(str(access.CannotCut.for_type(report.report_type)))
    subscription, created = Subscription.objects.get_or_create(user=user, report=report)
    if created:
        record_change(verb="create", resource="reportsubscriptions", name=f"{report.name}/{user.get_username()}",
                      request_object={"report": report.name, "user": user.get_username()}, user=user)
    return subscription


def subscription_delete(*, subscription: Subscription, user: Any = None) -> None:
    name = f"{subscription.report.name}/{subscription.user.get_username()}"
    subscription.delete()
    record_change(verb="delete", resource="reportsubscriptions", name=name, user=user or subscription.user)


def unsubscribe_token(subscription: Subscription) -> str:
    return signing.dumps({"s": subscription.pk}, salt=SALT)


def subscription_from_token(token: str) -> Subscription | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return Subscription.objects.filter(pk=data.get("s")).select_related("report", "user").first()


def unsubscribe_url(subscription: Subscription) -> str:
    return settings.AUDITUI_BASE_URL + reverse("reports:unsubscribe", args=[unsubscribe_token(subscription)])


def deliveries_plan(run: ReportRun, *, now: datetime | None = None) -> list[int]:
    """A delivery for each subscriber of the run's report (once: the constraint)."""
    now = now or timezone.now()
    if run.report_id is None:
        return []
    subscriptions = Subscription.objects.filter(report_id=run.report_id).select_related("user")
    Delivery.objects.bulk_create([
        Delivery(subscription=s, run=run, recipient=s.user.email, next_attempt_at=now) for s in subscriptions
    ], ignore_conflicts=True)
    return list(run.deliveries.filter(state=Delivery.PENDING).values_list("id", flat=True))


def pending_deliveries(run_id: int) -> list[int]:
    return list(Delivery.objects.filter(run_id=run_id, state=Delivery.PENDING).values_list("id", flat=True))


def due_deliveries(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    stale = Delivery.objects.filter(state=Delivery.SENDING, claimed_at__lt=now - config.stale_after())
    stale.update(state=Delivery.PENDING, next_attempt_at=now)
    return list(Delivery.objects.filter(state=Delivery.PENDING, next_attempt_at__lte=now)
                .order_by("id").values_list("id", flat=True))


def delivery_send(delivery_id: int, *, now: datetime | None = None) -> str:
    """Claim and send one delivery; its state afterwards (``skipped`` when not claimed)."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, state=Delivery.PENDING, next_attempt_at__lte=now).update(
        state=Delivery.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return "skipped"
    delivery = Delivery.objects.select_related("run", "subscription__user").get(pk=delivery_id)
    if delivery.subscription is None:
        return _finish(delivery, Delivery.FAILED, "the subscription was removed")
    try:
        message = build_message(delivery.run, delivery.subscription, scope_for(delivery.subscription.user))
    except access.CannotCut as exc:
        return _finish(delivery, Delivery.FAILED, str(exc))
    try:
        message.send()
    except Exception as exc:  # SMTP and network errors: retried
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("report e-mail to %s failed (attempt %d): %s", delivery.recipient, delivery.attempts, reason)
        if delivery.attempts >= config.max_attempts():
            return _finish(delivery, Delivery.FAILED, f"failed after {delivery.attempts} attempts: {reason}")
        retry_at = timezone.now() + config.retry_backoff(delivery.attempts)
        Delivery.objects.filter(pk=delivery.pk, state=Delivery.SENDING).update(
            state=Delivery.PENDING, error=reason, next_attempt_at=retry_at)
        return Delivery.PENDING
    return _finish(delivery, Delivery.SENT, "")


def _finish(delivery: Delivery, state: str, error: str) -> str:
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.SENDING).update(
        state=state, error=error, sent_at=timezone.now() if state == Delivery.SENT else None)
    return state


def build_message(run: ReportRun, subscription: Subscription, scope: ViewerScope) -> Any:
    """The e-mail of one report for one subscriber, cut to their scope."""
    summary = access.summary_for(run, scope)
    contents = access.files_for(run, scope, list(run.formats))
    html_summary = contents.get("summary.html", b"").decode("utf-8") if "summary.html" in contents else ""
    attachments = [(download_name(run.report_type, run.report_name, run.start, run.end, fmt), data,
                    MIME.get(fmt.rsplit(".", 1)[-1], "application/octet-stream")) for fmt, data in contents.items()]
    url = unsubscribe_url(subscription)
    context = {"run": run, "summary": {k: v for k, v in summary.items() if k not in _NOT_LINES},
               "formats": list(contents), "scoped": not scope.everything, "html_summary": html_summary,
               "detail_path": reverse("reports:detail", args=[run.calico_id]), "unsubscribe_url": url}
    return make_message("report", [subscription.user.email], context, headers=unsubscribe_headers(url),
                        attachments=attachments)

