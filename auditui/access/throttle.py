"""Failed-login throttling: after ``MAX_FAILURES`` failed logins of one user name from one address
within ``WINDOW``, that pair is refused for ``LOCKOUT`` without the password being checked.

Per pair rather than per user: an attacker elsewhere cannot lock the real user out, and a user
who mistypes is not slowed down by someone guessing from another address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from auditui.access.models import LoginThrottle

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Lock:
    until: datetime

    @property
    def message(self) -> str:
        minutes = max(math.ceil((self.until - timezone.now()).total_seconds() / 60), 1)
        return (f"Too many failed logins for this user from your address: try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}.")


def _key(username: str, address: str) -> dict[str, str]:
    # Django's user names are case-sensitive, but "Admin" must not give an attacker 5 more tries.
    return {"username": username.strip().lower()[:150], "address": address[:64]}


def lock_for(username: str, address: str) -> Lock | None:
    """The lock on this pair, if there is one now."""
    row = LoginThrottle.objects.filter(**_key(username, address), locked_until__gt=timezone.now()).first()
    return Lock(row.locked_until) if row is not None and row.locked_until is not None else None


def record_failure(username: str, address: str) -> Lock | None:
    """Count one failure; returns the lock when this failure reached the limit."""
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(
            **_key(username, address), defaults={"window_start": now}
        )
        if row.window_start <= now - WINDOW:
            row.failures, row.window_start = 0, now
        row.failures += 1
        if row.failures >= MAX_FAILURES:
            row.failures, row.window_start, row.locked_until = 0, now, now + LOCKOUT
        row.save()
    return Lock(row.locked_until) if row.locked_until and row.locked_until > now else None


def record_success(username: str, address: str) -> None:
    LoginThrottle.objects.filter(**_key(username, address)).delete()


def purge_stale(now: datetime | None = None) -> int:
    """Rows whose window and lock are both over (kept small by the nightly maintenance)."""
    now = now or timezone.now()
    stale = LoginThrottle.objects.filter(window_start__lt=now - WINDOW).exclude(locked_until__gt=now)
    deleted, _ = stale.delete()
    return deleted
