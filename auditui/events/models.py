"""The stored audit event (SQL backend), ingest drop rules and upload jobs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from auditui.access.scope import ReservedClusterError, check_cluster_name
from auditui.events.pull_secrets import SecretRefused, check_password_env, check_password_file
from auditui.events.query.patterns import shell_pattern
from auditui.events.query.sql_expressions import TextGlob


class AuditEvent(models.Model):
    """One Kubernetes audit event, identified by (cluster, auditID, stage).

    The indexed columns are copies of the event's fields that searches, the changelog,
    alerts and reports filter and group on; ``raw`` keeps the whole event as received.
    """

    cluster = models.CharField(max_length=253)
    audit_id = models.CharField(max_length=64)
    stage = models.CharField(max_length=32)
    time = models.DateTimeField(help_text="requestReceivedTimestamp (else stageTimestamp/timestamp), UTC")
    stage_time = models.DateTimeField(null=True, blank=True)
    level = models.CharField(max_length=32, blank=True)
    verb = models.CharField(max_length=32, blank=True)
    username = models.CharField(max_length=512, blank=True)
    user_groups = models.JSONField(default=list, blank=True)
    impersonated_user = models.CharField(max_length=512, blank=True)
    source_ips = models.JSONField(default=list, blank=True)
    user_agent = models.CharField(max_length=1024, blank=True)
    resource = models.CharField(max_length=253, blank=True)
    subresource = models.CharField(max_length=253, blank=True)
    api_group = models.CharField(max_length=253, blank=True)
    api_version = models.CharField(max_length=64, blank=True)
    namespace = models.CharField(max_length=253, blank=True)
    name = models.CharField(max_length=253, blank=True)
    uid = models.CharField(max_length=64, blank=True)
    response_code = models.IntegerField(null=True, blank=True)
    decision = models.CharField(max_length=32, blank=True)
    request_uri = models.TextField(blank=True)
    # How the event came in (auditui.events.provenance). The database default '' makes adding
    # the column instant (no table copy) and gives the events stored before it an empty source.
    source = models.CharField(max_length=512, blank=True, default="", db_default="")
    # Nullable on purpose: adding a NOT NULL column makes SQLite copy the whole table, which
    # for a year of events is hours. NULL (rows stored before 0005 without bodies) reads as false.
    has_request_object = models.BooleanField(null=True, editable=False)
    has_response_object = models.BooleanField(null=True, editable=False)
    raw = models.JSONField()
    ingested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "audit_id", "stage"], name="event_identity"),
        ]
        indexes = [
            # newest-first search and cursor pagination
            models.Index(fields=["-time", "-id"], name="event_time_id"),
            models.Index(fields=["cluster", "-time"], name="event_cluster_time"),
            models.Index(fields=["namespace", "-time"], name="event_ns_time"),
            models.Index(fields=["username", "-time"], name="event_user_time"),
            models.Index(fields=["verb", "-time"], name="event_verb_time"),
            models.Index(fields=["resource", "-time"], name="event_resource_time"),
            models.Index(fields=["source", "-time"], name="event_source_time"),
            # failed requests (code >= 400) over long ranges: covering for count and histogram
            models.Index(fields=["response_code", "time"], name="event_code_time"),
            # conditions on request/response bodies read only the events that have one
            models.Index(fields=["-time"], condition=models.Q(has_request_object=True), name="event_reqbody_time"),
            models.Index(fields=["-time"], condition=models.Q(has_response_object=True), name="event_respbody_time"),
            # One object's history (changelog). The columns after time make it a covering index
            # for the lists of changed objects ("all known policies" counts every change ever
            # stored: from the index alone that is much faster, warm and cold, than
            # fetching each row; bench/RESULTS.md); resource first, as those lists ask for a few
            # resources in every cluster (SQLite would need statistics to skip-scan clusters).
            models.Index(
                fields=["resource", "cluster", "namespace", "name", "time",
                        "api_group", "verb", "stage", "subresource", "response_code"],
                name="event_object",
            ),
        ]

    def __str__(self) -> str:
        target = "/".join(p for p in (self.namespace, self.resource, self.name) if p)
        return f"{self.verb} {target or self.request_uri} by {self.username}"


class SummaryRow(models.Model):
    """One object of the followed kinds, as its changes stand (``auditui.events.object_summary``):
    kept by the SQL store as it writes events, rebuilt by ``manage.py index_objects``, and kept
    exact by the daily purge."""

    cluster = models.CharField(max_length=253)
    api_group = models.CharField(max_length=253, blank=True)
    resource = models.CharField(max_length=253)
    namespace = models.CharField(max_length=253, blank=True)
    name = models.CharField(max_length=253)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    changes = models.PositiveIntegerField()
    last_verb = models.CharField(max_length=32)
    last_user = models.CharField(max_length=512, blank=True)
    last_event_id = models.BigIntegerField(null=True)
    last_tier = models.CharField(max_length=253, blank=True)
    deleted = models.BooleanField()

    class Meta:
        db_table = "events_objectsummary"
        constraints = [
            models.UniqueConstraint(fields=["cluster", "api_group", "resource", "namespace", "name"],
                                    name="object_summary_key"),
        ]
        indexes = [
            # the lists read newest last change first; purge looks for the oldest first changes
            models.Index(fields=["-last_seen"], name="object_summary_last"),
            models.Index(fields=["first_seen"], name="object_summary_first"),
        ]

    def __str__(self) -> str:
        return "/".join(p for p in (self.cluster, self.resource, self.namespace, self.name) if p)


class SummaryKind(models.Model):
    """A kind whose objects the summary holds completely (rebuilt from every event of the kind
    since it was followed). A kind followed later is read from the events until the next
    ``index_objects``."""

    api_group = models.CharField(max_length=253, blank=True)
    resource = models.CharField(max_length=253)

    class Meta:
        db_table = "events_objectsummarykind"
        constraints = [models.UniqueConstraint(fields=["api_group", "resource"], name="object_summary_kind")]

    def __str__(self) -> str:
        return f"{self.resource}.{self.api_group}" if self.api_group else self.resource


class DropRule(models.Model):
    """Discards matching events at ingest, before they are stored, and counts them."""

    name = models.CharField(max_length=100, unique=True)
    cluster = models.CharField(
        max_length=253, blank=True, help_text="Only events of this cluster; blank for every cluster."
    )
    query = models.TextField(
        help_text='Query language condition, e.g. verb IN {"get","list","watch"} AND "user.username"="system:*"'
    )
    enabled = models.BooleanField(default=True)
    dropped_total = models.BigIntegerField(default=0, editable=False)
    last_dropped_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Events the rule could not be evaluated on at ingest (they are kept), and the latest reason.
    error_total = models.BigIntegerField(default=0, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # in the function: auditui.events.dropping imports this module (cycle)
        from auditui.events.dropping import rule_problem

        # Parsed, then tried on representative events: a rule that fails on one would fail on
        # every such event at ingest.
        problem = rule_problem(self.query)
        if problem:
            raise ValidationError({"query": problem})


class IngestJobQuerySet(models.QuerySet):
    def for_scope(self, scope) -> IngestJobQuerySet:
        """The jobs of the clusters a viewer's scope covers wholly (every namespace): those a
        viewer could have uploaded, and whose every event they may see."""
        # GLOB / LIKE as the event store's scope filter does (never a backtracking regex).
        if scope.everything:
            return self.all()
        covered = models.Q(pk__in=[])
        for grant in scope.grants:
            if grant.cluster_wide:
                for pattern in grant.clusters:
                    covered |= models.Q(TextGlob("cluster", shell_pattern(pattern)))
        return self.filter(covered)


class IngestJob(models.Model):
    """An uploaded audit log file, ingested by a worker; keeps the outcome for the UI."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    cluster = models.CharField(max_length=253)
    file_name = models.CharField(max_length=255)
    path = models.CharField(max_length=1024)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    ingested = models.BigIntegerField(default=0)
    duplicates = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    dropped = models.BigIntegerField(default=0)
    rejections = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Which run owns the job: each claim increments it, and a run's writes to the job only count
    # while it is still the current attempt (a run re-queued as stale must not overwrite its successor).
    attempt = models.PositiveIntegerField(default=0)
    # Last sign of life: of the running attempt (its claim, then every stored batch), or when it was
    # queued again. A QUEUED or RUNNING job silent for AUDITUI_INGEST_JOB_STALE_S lost its worker
    # or its message, and is sent to a worker again (services.requeue_stale_jobs).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = IngestJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Uploading writes evidence into a cluster: a permission of its own, not mere staff status.
        permissions = [("upload_events", "Can upload audit log files into the clusters of their scope")]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.cluster} ({self.status})"


class SavedSearch(models.Model):
    """A user's named search: the query string of the events page (query, range, columns...)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=100)
    params = models.TextField(help_text="The events page's URL query string, e.g. query=verb%3Ddelete&start=now-24h")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_search_owner_name")]

    def __str__(self) -> str:
        return self.name


class HourlyEventCount(models.Model):
    """How many events each (hour, cluster, namespace, verb) holds, kept exact by database
    triggers on insert and delete of AuditEvent (see migration 0003). Histograms and counts
    over long ranges read this instead of counting millions of rows."""

    hour = models.BigIntegerField(help_text="Start of the hour, in seconds since the epoch (UTC)")
    cluster = models.CharField(max_length=253)
    namespace = models.CharField(max_length=253, blank=True)
    verb = models.CharField(max_length=32, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "cluster", "namespace", "verb"], name="hourly_count_key"),
        ]

    def __str__(self) -> str:
        return f"{self.hour} {self.cluster}/{self.namespace or '-'} {self.verb}: {self.count}"


class PullSource(models.Model):
    """An Elasticsearch/OpenSearch index that another program (fluent-bit, fluentd, Calico's log
    collector) fills with audit events; a periodic task copies new events into auditui."""

    class Engine(models.TextChoices):
        OPENSEARCH = "opensearch", "OpenSearch"
        ELASTICSEARCH = "elasticsearch", "Elasticsearch"

    name = models.SlugField(max_length=100, unique=True)
    engine = models.CharField(max_length=16, choices=Engine.choices, default=Engine.OPENSEARCH)
    url = models.URLField(help_text="e.g. https://search.internal:9200")
    username = models.CharField(max_length=200, blank=True)
    password_env = models.CharField(
        max_length=200, blank=True,
        help_text="Name of the environment variable holding the password; it must start with AUDITUI_PULL_ "
        "(secrets stay out of the database).",
    )
    password_file = models.CharField(
        max_length=255, blank=True,
        help_text="Or: a file under AUDITUI_SECRETS_DIR holding the password (a path relative to it).",
    )
    verify_tls = models.BooleanField(default=True)
    index_pattern = models.CharField(max_length=255, default="tigera_secure_ee_audit_*")
    cluster = models.CharField(max_length=253, help_text="Cluster name the pulled events are stored under.")
    time_field = models.CharField(max_length=100, default="requestReceivedTimestamp")
    tiebreaker_fields = models.CharField(
        max_length=255, default="auditID.keyword,stage.keyword",
        help_text="Keyword fields that order events with the same time (comma-separated).",
    )
    batch_size = models.PositiveIntegerField(default=1000)
    enabled = models.BooleanField(default=True)
    # The checkpoint: the sort values of the last event pulled (time, then the tiebreakers).
    checkpoint = models.JSONField(default=list, blank=True, editable=False)
    checkpoint_time = models.DateTimeField(null=True, blank=True, editable=False)
    pulled_total = models.BigIntegerField(default=0, editable=False)
    # Records read but not stored (not audit events, or values no store takes); the checkpoint
    # moves past them, and ingest gave each one's place and reason in the log.
    rejected_total = models.BigIntegerField(default=0, editable=False)
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    next_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    interval_seconds = models.PositiveIntegerField(default=60)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.index_pattern} → {self.cluster})"

    def clean(self) -> None:
        try:
            check_cluster_name(self.cluster)
        except ReservedClusterError as exc:
            raise ValidationError({"cluster": str(exc)}) from exc

        if self.password_env and self.password_file:
            raise ValidationError("Give the password either as an environment variable or as a file, not both.")
        try:
            if self.password_env:
                check_password_env(self.password_env)
        except SecretRefused as exc:
            raise ValidationError({"password_env": str(exc)}) from exc
        try:
            if self.password_file:
                check_password_file(self.password_file)
        except SecretRefused as exc:
            raise ValidationError({"password_file": str(exc)}) from exc

    @property
    def lag_seconds(self) -> float | None:
        """How far behind now the newest pulled event is (None before the first event)."""
        if self.checkpoint_time is None:
            return None
        return max((timezone.now() - self.checkpoint_time).total_seconds(), 0.0)
