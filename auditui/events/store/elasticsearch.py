"""The EventStore on Elasticsearch 8/9, through Elastic's client (``EVENT_STORE_URL=elasticsearch://…``).

Request bodies are the ones OpenSearch gets too (``search_engine.py``, built with
``elasticsearch.dsl``). What differs here: the client, and the point-in-time endpoints
(``POST /<index>/_pit`` answering ``id``, ``DELETE /_pit`` with one ``id``).
"""

from __future__ import annotations

import contextlib

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, Elasticsearch, NotFoundError

from auditui.events.store import deadline
from auditui.events.store.availability import connection_reason, reachable, status_reason
from auditui.events.store.bodies import PIT_KEEP_ALIVE
from auditui.events.store.bulk import BULK_FILTER_PATH
from auditui.events.store.engine_config import EngineConfig
from auditui.events.store.search_engine import SearchEngineStore
from auditui.events.store.transport import CLIENT_GRACE_S, PitGone, SearchEngineError, Transport


def client_for(config: EngineConfig) -> Elasticsearch:
    options: dict = {"verify_certs": config.verify_certs, "request_timeout": 30}
    if not config.verify_certs:
        options["ssl_show_warn"] = False
    if config.username is not None:
        options["basic_auth"] = (config.username, config.password or "")
    if config.ca_certs:
        options["ca_certs"] = config.ca_certs
    return Elasticsearch(hosts=[config.url], **options)


class ElasticsearchTransport(Transport):
    engine_title = "Elasticsearch"

    def __init__(self, config: EngineConfig, *, write_refresh: str = "false") -> None:
        super().__init__(config, write_refresh=write_refresh)
        self.client = client_for(config)

    @staticmethod
    def unavailable_reason(exc: Exception) -> str | None:
        if isinstance(exc, ConnectionTimeout):
            return connection_reason(exc, timed_out=True)
        if isinstance(exc, ConnectionError):  # TLS failures too
            return connection_reason(exc, timed_out=False)
        if isinstance(exc, ApiError):
            return status_reason(exc.meta.status)
        return None

    @reachable
    def bulk(self, body: bytes) -> list[dict]:
        try:
            return self.client.bulk(
                operations=body, refresh=self.write_refresh, filter_path=BULK_FILTER_PATH
            )["items"]
        except ApiError as exc:
            raise SearchEngineError(f"bulk write failed: {exc}") from exc

    @reachable
    def search(self, index: str | None, body: dict) -> dict:
        left = deadline.engine_time_left()
        body = deadline.with_engine_timeout(body, left)
        return deadline.check_engine_response(self._limited(left).search(index=index, body=body).body)

    @reachable
    def count(self, index: str, body: dict) -> int:
        return self._limited(deadline.engine_time_left()).count(index=index, body=body)["count"]

    def _limited(self, left: float | None) -> Elasticsearch:
        """The client, waiting no longer than the time left (and a little): Elasticsearch
        cancels a search whose connection closes, so giving up also stops the work on the node."""
        return self.client if left is None else self.client.options(request_timeout=left + CLIENT_GRACE_S)

    @reachable
    def put_template(self, name: str, body: dict) -> None:
        self.client.indices.put_index_template(name=name, body=body)

    @reachable
    def delete_template(self, name: str) -> None:
        with contextlib.suppress(NotFoundError):
            self.client.indices.delete_index_template(name=name)

    @reachable
    def open_pit(self, index: str) -> str:
        return self.client.open_point_in_time(index=index, keep_alive=PIT_KEEP_ALIVE)["id"]

    @reachable
    def search_pit(self, body: dict) -> dict:
        try:
            left = deadline.engine_time_left()
            body = deadline.with_engine_timeout(body, left)
            return deadline.check_engine_response(self._limited(left).search(body=body).body)
        except NotFoundError as exc:
            raise PitGone from exc

    @reachable
    def close_pit(self, pit: str) -> None:
        self.client.close_point_in_time(id=pit)

    @reachable
    def indices(self, pattern: str) -> list[str]:
        rows = self.client.cat.indices(index=pattern, format="json", h="index")
        return [row["index"] for row in rows.body]

    @reachable
    def delete_index(self, name: str) -> None:
        self.client.indices.delete(index=name, ignore_unavailable=True)

    @reachable
    def delete_by_query(self, index: str, body: dict) -> int:
        return self.client.delete_by_query(index=index, body=body, refresh=True, conflicts="proceed")["deleted"]

    @reachable
    def doc_counts(self, pattern: str) -> dict[str, int]:
        stats = self.client.indices.stats(index=pattern, metric="docs",
                                          filter_path="indices.*.primaries.docs.count").body
        return {name: entry["primaries"]["docs"]["count"] for name, entry in stats.get("indices", {}).items()}

    @reachable
    def put_mapping(self, index: str, body: dict) -> None:
        self.client.indices.put_mapping(index=index, properties=body["properties"])

    @reachable
    def refresh(self, index: str) -> None:
        self.client.indices.refresh(index=index, allow_no_indices=True)


class ElasticsearchEventStore(SearchEngineStore):
    def __init__(self, config: EngineConfig, *, prefix: str, refresh: str = "false") -> None:
        super().__init__(ElasticsearchTransport(config, write_refresh=refresh), prefix=prefix)
