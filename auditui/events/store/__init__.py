"""``get_store()``: the configured EventStore (``EVENT_STORE_URL``).

``sql`` (default): the Django database. ``opensearch://[user:pass@]host:port`` and
``elasticsearch://…`` (``+https`` for TLS, e.g. ``opensearch+https://u:p@search:9200?ca_certs=/ca.pem``):
a search engine, with indices named from ``AUDITUI_INDEX_PREFIX`` and writes refreshed as
``AUDITUI_INDEX_REFRESH`` says (``auditui.events.store.search_engine``).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from auditui.events.store.base import (
    Bucket,
    EventQuery,
    EventStore,
    GroupCount,
    ObjectActivity,
    ObjectRef,
    Page,
    PageView,
    StoreError,
    StoreUnavailable,
    WriteResult,
)
from auditui.events.store.engine_config import EngineConfig

__all__ = [
    "Bucket", "EventQuery", "EventStore", "GroupCount", "ObjectActivity", "ObjectRef", "Page", "PageView", "StoreError",
    "StoreUnavailable",
    "WriteResult",
    "get_store",
]


SEARCH_ENGINES = ("opensearch", "elasticsearch")


@lru_cache(maxsize=16)
def store_for(url: str, prefix: str = "auditui-events", refresh: str = "false") -> EventStore:
    """The store an ``EVENT_STORE_URL`` names (one per URL, prefix and refresh policy)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else url.lower()
    engine = scheme.partition("+")[0]
    if scheme in ("sql", ""):
        # in the function: only the chosen engine loads (the SQL store needs the app registry,
        # the search engines their own client library)
        from auditui.events.store.sql import SqlEventStore

        return SqlEventStore()
    if engine in SEARCH_ENGINES:
        try:
            config = EngineConfig.from_url(url)
            if config.engine == "opensearch":
                from auditui.events.store.opensearch import OpenSearchEventStore as Store
            else:
                from auditui.events.store.elasticsearch import ElasticsearchEventStore as Store
            return Store(config, prefix=prefix, refresh=refresh)
        except ValueError as exc:
            raise ImproperlyConfigured(f"event store {url!r}: {exc}") from exc
    raise ImproperlyConfigured(
        f"EVENT_STORE_URL={url!r}: unsupported store {scheme!r} (use sql, opensearch://host:port or "
        "elasticsearch://host:port, +https for TLS)"
    )


def get_store() -> EventStore:
    return store_for(
        settings.EVENT_STORE_URL,
        getattr(settings, "AUDITUI_INDEX_PREFIX", "auditui-events"),
        getattr(settings, "AUDITUI_INDEX_REFRESH", "false"),
    )
