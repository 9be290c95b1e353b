"""``get_store()``: the configured EventStore (``EVENT_STORE_URL``)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from auditui.events.store.base import (
    Bucket,
    EventQuery,
    EventStore,
    GroupCount,
    ObjectRef,
    Page,
    StoreError,
    WriteResult,
)

__all__ = [
    "Bucket", "EventQuery", "EventStore", "GroupCount", "ObjectRef", "Page", "StoreError", "WriteResult",
    "get_store",
]


@lru_cache(maxsize=4)
def _store_for(url: str) -> EventStore:
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("sql", ""):
        from auditui.events.store.sql import SqlEventStore

        return SqlEventStore()
    raise ImproperlyConfigured(
        f"EVENT_STORE_URL={url!r}: unsupported store {scheme!r} (this version has: sql)"
    )


def get_store() -> EventStore:
    return _store_for(settings.EVENT_STORE_URL)
