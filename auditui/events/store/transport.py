"""How a search-engine store talks to its engine: one ``Transport`` per client library
(``opensearch.OpenSearchTransport``, ``elasticsearch.ElasticsearchTransport``) holding the client.

The store (``search_engine.py``) and the object-days index (``object_days.py``) send every request
through the same transport's public methods, so that what a request costs and how it fails is
decided in one place:

- requests: each method is one engine request, with the store's time limit (``deadline.py``) on
  reads and the ``AUDITUI_INDEX_REFRESH`` policy on bulk writes;
- availability: each is wrapped by ``availability.reachable``, so an engine that cannot answer
  now raises ``StoreUnavailable`` with a short reason (``unavailable_reason``);
- retries: the client library's own defaults (a failed connection, or a 502/503/504 answer, and
  429 on Elasticsearch, up to three times; never a timeout), nothing more: a bulk write retried
  after the engine took part of it would count those events as duplicates instead of ingested.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from auditui.events.store.base import StoreUnavailable
from auditui.events.store.engine_config import EngineConfig

# How much longer than a read's time limit the client waits, for the node's own "timed out".
CLIENT_GRACE_S = 1.0
REFRESH_POLICIES = ("true", "false", "wait_for")


class SearchEngineError(StoreUnavailable):
    """The search engine refused a write or a request that should have worked; says why."""


class PitGone(Exception):
    """The point in time named by a cursor expired or was closed."""


class Transport(ABC):
    """One engine's requests. ``write_refresh`` is what bulk writes pass as ``refresh``."""

    engine_title = "search engine"

    def __init__(self, config: EngineConfig, *, write_refresh: str = "false") -> None:
        if write_refresh not in REFRESH_POLICIES:
            raise ValueError(f"index refresh {write_refresh!r}: true, false or wait_for")
        self.config = config
        self.write_refresh = write_refresh

    @staticmethod
    @abstractmethod
    def unavailable_reason(exc: Exception) -> str | None:
        """Why a failed request means the engine cannot answer now (``availability.reachable``)."""

    @abstractmethod
    def bulk(self, body: bytes) -> list[dict]:
        """Send a bulk request (NDJSON) with ``write_refresh``; the response items."""

    @abstractmethod
    def search(self, index: str | None, body: dict) -> dict: ...

    @abstractmethod
    def count(self, index: str, body: dict) -> int: ...

    @abstractmethod
    def put_template(self, name: str, body: dict) -> None: ...

    @abstractmethod
    def delete_template(self, name: str) -> None: ...

    @abstractmethod
    def open_pit(self, index: str) -> str: ...

    @abstractmethod
    def search_pit(self, body: dict) -> dict:
        """A search that carries a point in time; raises ``PitGone`` when it expired."""

    @abstractmethod
    def close_pit(self, pit: str) -> None: ...

    @abstractmethod
    def indices(self, pattern: str) -> list[str]: ...

    @abstractmethod
    def delete_index(self, name: str) -> None: ...

    @abstractmethod
    def delete_by_query(self, index: str, body: dict) -> int: ...

    @abstractmethod
    def doc_counts(self, pattern: str) -> dict[str, int]:
        """Each index's number of documents (primaries), from the index statistics."""

    @abstractmethod
    def put_mapping(self, index: str, body: dict) -> None: ...

    @abstractmethod
    def refresh(self, index: str) -> None: ...
