"""Access scopes (who sees which clusters and namespaces) and webhook ingest tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from auditui.access.scope import ReservedClusterError, check_cluster_name, is_reserved_cluster

TOKEN_PREFIX = "aui_"


class ScopeQuerySet(models.QuerySet):
    def for_user(self, user) -> ScopeQuerySet:
        return self.filter(Q(users=user) | Q(groups__in=user.groups.all())).distinct()


class Scope(models.Model):
    """Grants users and groups the events of some clusters and namespaces."""

    name = models.CharField(max_length=100, unique=True)
    clusters = models.TextField(
        default="*", help_text="Cluster name patterns, comma or newline separated; * for all clusters."
    )
    namespaces = models.TextField(
        help_text="Namespace patterns, comma or newline separated (e.g. payments, team-*). "
        "* means the whole cluster, including cluster-scoped objects."
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="audit_scopes")
    groups = models.ManyToManyField(Group, blank=True, related_name="audit_scopes")
    description = models.TextField(blank=True)

    objects = ScopeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def hash_token(token: str) -> str:
    """Tokens are long random strings, so one SHA-256 is enough (no need for a slow KDF)."""
    return hashlib.sha256(token.encode()).hexdigest()


class IngestTokenQuerySet(models.QuerySet):
    def active(self) -> IngestTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class IngestToken(models.Model):
    """A webhook bearer token bound to one cluster; only its hash is stored."""

    cluster = models.CharField(max_length=253)
    description = models.CharField(max_length=200, blank=True)
    prefix = models.CharField(max_length=12, editable=False, help_text="The first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = IngestTokenQuerySet.as_manager()

    class Meta:
        ordering = ["cluster", "-created_at"]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.prefix}… ({self.cluster}, {state})"

    def clean(self) -> None:
        try:
            check_cluster_name(self.cluster)
        except ReservedClusterError as exc:
            raise ValidationError({"cluster": str(exc)}) from exc

    @classmethod
    def issue(cls, *, cluster: str, description: str = "") -> tuple[IngestToken, str]:
        """Create a token; the plain text is returned once and never stored. Raises
        ``ReservedClusterError`` for the trail's cluster."""
        check_cluster_name(cluster)
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            cluster=cluster, description=description, prefix=plain[:12], token_hash=hash_token(plain)
        )
        return token, plain

    @classmethod
    def authenticate(cls, plain: str) -> IngestToken | None:
        token = cls.objects.active().filter(token_hash=hash_token(plain)).first()
        if token is not None and is_reserved_cluster(token.cluster):
            return None  # made before the name was reserved: it must not write into the trail
        if token is not None:
            # At most one write a minute per token, not one per webhook call.
            now = timezone.now()
            stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1))
            cls.objects.filter(stale, pk=token.pk).update(last_used_at=now)
        return token

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class LoginThrottle(models.Model):
    """Failed logins of one user name from one address (``auditui.access.throttle``). A table, not
    the cache: the web workers are separate processes and must count the same failures."""

    username = models.CharField(max_length=150)
    address = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["username", "address"], name="login_throttle_key")]

    def __str__(self) -> str:
        return f"{self.username} from {self.address}: {self.failures} failures"
