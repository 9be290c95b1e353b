"""Alert rules (``GlobalAlert``), their templates, and the alert events they raise.

A rule keeps its cleaned ``projectcalico.org/v3`` spec as JSON (``alerts.spec.clean_spec``): what
``get`` prints back. The schedule is data (``next_run_at``), claimed atomically by the beat tick,
and Calico's status fields sit beside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from alerts.spec import DEFAULT_PERIOD, Rule, parse_duration, rule_of

MAX_ERROR_CONDITIONS = 10
MAX_RECENT_RUNS = 20


class GlobalAlertTemplate(models.Model):
    """A pre-filled rule; the four Calico audit templates and the detection pack
    (``alerts/detections/k8s-pack.yaml``) are installed by migrations."""

    name = models.CharField(max_length=253, unique=True)
    spec = models.JSONField()
    # metadata.annotations as applied: the pack's MITRE techniques and rationale live here.
    annotations = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GlobalAlert(models.Model):
    name = models.CharField(max_length=253, unique=True)
    spec = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The schedule: the next instant this rule is due; claimed with a conditional UPDATE.
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Calico's status.
    active = models.BooleanField(default=True)
    healthy = models.BooleanField(default=True)
    last_executed = models.DateTimeField(null=True, blank=True)
    last_event = models.DateTimeField(null=True, blank=True)
    error_conditions = models.JSONField(default=list, blank=True)
    recent_runs = models.JSONField(default=list, blank=True)  # newest first: time, new, ongoing, resolved, error

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def rule(self) -> Rule:
        return rule_of(self.spec)

    @property
    def severity(self) -> int:
        return int(self.spec.get("severity", 100))

    def status(self) -> dict[str, Any]:
        """Calico's ``status`` block, as ``get`` prints it."""
        return {
            "active": self.active,
            "healthy": self.healthy,
            "lastUpdate": _iso(self.updated_at),
            "lastExecuted": _iso(self.last_executed),
            "lastEvent": _iso(self.last_event),
            "errorConditions": list(self.error_conditions or []),
        }

    def next_after(self, instant: datetime) -> datetime:
        """When the rule is due after a run at ``instant``: one period on (a missed run is
        caught up once, then the schedule goes on from now)."""
        return instant + parse_duration(self.spec.get("period") or DEFAULT_PERIOD)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


class AlertEvent(models.Model):
    """One firing: a matching record, a bucket over its threshold, or a metric-only condition.

    ``open_key`` makes firings unique per rule: a record's identity (never fires twice), or a
    bucket's keys while its condition holds (cleared when it resolves, so it can fire anew).
    """

    class State(models.TextChoices):
        NEW = "new", "new"
        ACKNOWLEDGED = "acknowledged", "acknowledged"
        RESOLVED = "resolved", "resolved"
        DISMISSED = "dismissed", "dismissed"

    class Kind(models.TextChoices):
        RECORD = "record", "record"
        BUCKET = "bucket", "bucket"
        METRIC = "metric", "metric"

    alert = models.ForeignKey(GlobalAlert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    open_key = models.CharField(max_length=1024, null=True, blank=True)
    severity = models.PositiveSmallIntegerField()
    time = models.DateTimeField(db_index=True)  # first seen (the run's instant)
    last_seen = models.DateTimeField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    description = models.TextField()
    keys = models.JSONField(default=dict, blank=True)  # bucket keys, or a record's main fields
    count = models.PositiveIntegerField(default=0)
    value = models.FloatField(null=True, blank=True)
    audit_ids = models.JSONField(default=list, blank=True)
    # The (cluster, namespace) pairs of the records behind it: who may see it.
    pairs = models.JSONField(default=list, blank=True)
    clusters = models.TextField(default="", blank=True)  # "|c1|c2|": for filtering by cluster
    namespaces = models.TextField(default="", blank=True)
    ongoing = models.BooleanField(default=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.NEW, db_index=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-time", "-id"]
        constraints = [models.UniqueConstraint(fields=["alert", "open_key"], name="alerts_event_open_key")]

    def __str__(self) -> str:
        return f"{self.alert.name} at {self.time.isoformat()}"


class Channel(models.Model):
    """Where alert events are sent: e-mail to users, a JSON webhook or a Slack-compatible one.

    Only what a recipient may see is sent: each e-mail recipient's scope, and for webhooks the
    scope of the channel's owner, must allow every pair of the alert event.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", "e-mail"
        WEBHOOK = "webhook", "JSON webhook"
        SLACK = "slack", "Slack-compatible webhook"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.URLField(max_length=2000, blank=True, help_text="webhooks: where to POST")
    secret = models.CharField(max_length=200, blank=True,
                              help_text="JSON webhook: signs the body (X-Auditui-Signature: sha256=HMAC)")
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                        help_text="e-mail: these users, at their addresses")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", help_text="webhooks: whose scope decides what is sent")
    alerts = models.ManyToManyField(GlobalAlert, blank=True, related_name="channels",
                                    help_text="none: every alert of at least the minimum severity")
    min_severity = models.PositiveSmallIntegerField(default=1)
    throttle_seconds = models.PositiveIntegerField(
        default=600, help_text="at most one notification per alert and bucket in this time")
    enabled = models.BooleanField(default=True)
    last_notify = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One notification to one recipient: the delivery log, with its retries."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        THROTTLED = "throttled", "throttled"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    alert_event = models.ForeignKey(AlertEvent, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="deliveries")  # none: a test message
    target = models.CharField(max_length=2000)  # an e-mail address, or the webhook's URL
    throttle_key = models.CharField(max_length=1100, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class PackBacktest(models.Model):
    """The last stored 7-day replay of one detection pack template (``alerts.pack_backtests``).

    The replay runs over every event; the pack page answers each viewer from ``fires``: the count
    of alert events per distinct set of (cluster, namespace) pairs, so that a viewer counts only
    the fires whose every pair they may see, as a live replay filtered for them would. The result
    belongs to the spec it replayed (``spec_digest``): a changed template is not shown this figure.
    """

    template = models.OneToOneField(GlobalAlertTemplate, on_delete=models.CASCADE, related_name="pack_backtest")
    spec_digest = models.CharField(max_length=64, blank=True)  # sha256 of the replayed spec
    start = models.DateTimeField(null=True, blank=True)  # the interval replayed: [start, end)
    end = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)  # None: never computed
    fires = models.JSONField(default=list, blank=True)  # [{"pairs": [[cluster, namespace], …], "count": n}]
    # The claim: set (with a conditional UPDATE) when a computation is queued, cleared when it
    # ends; one older than the claim timeout belonged to a worker that died.
    queued_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)  # the last computation's instant, failed or not
    error = models.TextField(blank=True)  # the last computation's failure, if it failed

    class Meta:
        ordering = ["template__name"]

    def __str__(self) -> str:
        return f"backtest of {self.template_id}"
