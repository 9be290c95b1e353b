"""GlobalReport definitions, their report types, and each generated (or attempted) report.

A ``ReportRun`` is one interval of one report: claimed, generated, retried or failed, and once
generated it holds the report's summary and names its files (kept on disk, ``reports.files``).
Scheduled runs are unique per (report, start, end), so an interval is generated exactly once
however many beats and workers see it due; on-demand runs (``run_report``, "run now") are not
part of the schedule and do not count in the report's status, as in Calico.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

# Calico's report id: ``<reportName>_<reportTypeName>_<uuidv5(name::start::end)>``; the namespace
# of that uuid5 (uuid.NAMESPACE_OID in Calico's linseed, which we follow).
REPORT_ID_NAMESPACE = uuid.NAMESPACE_OID


class GlobalReportType(models.Model):
    """A report type as Calico's ``GlobalReportType``: built-ins come from a data migration."""

    name = models.CharField(max_length=253, unique=True)
    spec = models.JSONField(default=dict)
    builtin = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def download_formats(self) -> list[str]:
        return [t["name"] for t in self.spec.get("downloadTemplates") or [] if isinstance(t, dict)]


class GlobalReport(models.Model):
    """A ``projectcalico.org/v3`` GlobalReport: ``spec`` is kept as applied (validated)."""

    name = models.CharField(max_length=253, unique=True)
    report_type = models.CharField(max_length=253)  # spec.reportType
    schedule = models.CharField(max_length=200, blank=True)  # spec.schedule, "" = on demand only
    suspend = models.BooleanField(default=False)
    spec = models.JSONField(default=dict)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    generation = models.PositiveIntegerField(default=1)
    # The schedule's bookkeeping: the end of the newest interval handed to a run (None: none yet).
    scheduled_until = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("list_reports", "Can list generated reports"),
            ("download_report", "Can download generated reports' files"),
        ]

    def __str__(self) -> str:
        return self.name


class ReportRun(models.Model):
    """One interval of one report; a job while pending or running, a report once it succeeded."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATES = [(PENDING, "pending"), (RUNNING, "running"), (SUCCEEDED, "succeeded"), (FAILED, "failed")]

    # SET_NULL: a generated report outlives its definition (Calico serves "the stored copy").
    report = models.ForeignKey(GlobalReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    # Calico's id (``report_id()``), what the API and downloads name it by.
    calico_id = models.CharField(max_length=600, unique=True)
    report_name = models.CharField(max_length=253)
    report_type = models.CharField(max_length=253)
    start = models.DateTimeField()
    end = models.DateTimeField()
    on_demand = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=STATES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # What the report says, as its type's UI summary shows it (e.g. created/modified/deleted).
    summary = models.JSONField(default=dict, blank=True)
    formats = models.JSONField(default=list, blank=True)  # files stored, by download format name
    spec = models.JSONField(default=dict, blank=True)  # the report's spec when it was generated
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-end", "report_name"]
        constraints = [
            models.UniqueConstraint(fields=["report", "start", "end"], condition=Q(on_demand=False),
                                    name="reports_run_one_per_interval"),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="reports_run_due"),
            models.Index(fields=["report_name", "-end"], name="reports_run_by_report"),
        ]

    def __str__(self) -> str:
        return f"{self.report_name} [{self.start:%Y-%m-%d %H:%M}, {self.end:%Y-%m-%d %H:%M})"

    @property
    def job_name(self) -> str:
        return f"{self.report_name}-{int(self.start.timestamp())}"


def report_id(name: str, type_name: str, start: datetime, end: datetime, *, suffix: str = "") -> str:
    """``<name>_<type>_<uuid5(name::start::end)>``; an on-demand run adds a suffix of its own to
    the key, so that it never takes the id of the scheduled report of the same interval."""
    key = f"{name}::{rfc3339(start)}::{rfc3339(end)}" + (f"::{suffix}" if suffix else "")
    return f"{name}_{type_name}_{uuid.uuid5(REPORT_ID_NAMESPACE, key)}"


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Subscription(models.Model):
    """A user's subscription to a report's e-mails (sent after each generation)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    report = models.ForeignKey(GlobalReport, on_delete=models.CASCADE, related_name="subscriptions")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "report"], name="reports_subscription_once")]

    def __str__(self) -> str:
        return f"{self.user} → {self.report}"


class Delivery(models.Model):
    """One e-mail of one generated report to one subscriber: the delivery log, with retries.
    Unique per (subscription, run): a report is mailed to a subscriber once."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    STATES = [(PENDING, "pending"), (SENDING, "sending"), (SENT, "sent"), (FAILED, "failed")]

    subscription = models.ForeignKey(Subscription, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.EmailField()
    state = models.CharField(max_length=16, choices=STATES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["subscription", "run"], name="reports_delivery_once")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="reports_delivery_due")]

    def __str__(self) -> str:
        return f"{self.run} → {self.recipient} ({self.state})"
