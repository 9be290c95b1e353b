"""The reports settings, read when used (tests change them)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_DURATION = re.compile(r"(\d+)(h|m|s)")


def parse_duration(text: str) -> timedelta:
    """A Go-style duration as Calico's settings take it: ``30m``, ``1h30m``, ``90s``; a bare
    number is seconds."""
    text = text.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ImproperlyConfigured(f"AUDITUI_REPORT_DELAY={text!r}: expected a duration like 30m, 1h or 90s")
    units = {"h": 3600, "m": 60, "s": 1}
    return timedelta(seconds=sum(int(n) * units[u] for n, u in parts))


def report_delay() -> timedelta:
    return parse_duration(str(getattr(settings, "AUDITUI_REPORT_DELAY", "30m")))


def catch_up_limit() -> timedelta:
    return timedelta(hours=getattr(settings, "AUDITUI_REPORT_MAX_CATCH_UP_HOURS", 168))


def max_attempts() -> int:
    return max(1, int(getattr(settings, "AUDITUI_REPORT_MAX_ATTEMPTS", 7)))


def retention() -> timedelta:
    return timedelta(days=getattr(settings, "AUDITUI_REPORT_RETENTION_DAYS", 365))


def files_root() -> Path:
    return Path(settings.DATA_DIR) / "reports"


# A run RUNNING this long without finishing lost its worker (killed): planned again. Above
# Celery's hard time limit, so that a run still working is never taken from its worker.
def stale_after() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 660)) + 60)


def retry_backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the attempts so far, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))
