"""The EventStore on OpenSearch 2.x, through opensearch-py (``EVENT_STORE_URL=opensearch://…``).

Everything but the transport is shared with Elasticsearch (``search_engine.py``). What differs
here: the point-in-time endpoints (``POST /<index>/_search/point_in_time`` answering ``pit_id``,
``DELETE /_search/point_in_time`` with a list of ids).
"""

from __future__ import annotations

import contextlib

from opensearchpy import ConnectionError, ConnectionTimeout, NotFoundError, OpenSearch, TransportError

from auditui.events.store import deadline
from auditui.events.store.availability import connection_reason, reachable, status_reason
from auditui.events.store.bodies import PIT_KEEP_ALIVE
from auditui.events.store.bulk import BULK_FILTER_PATH
from auditui.events.store.engine_config import EngineConfig
from auditui.events.store.search_engine import SearchEngineStore
from auditui.events.store.transport import CLIENT_GRACE_S, PitGone, SearchEngineError, Transport


def client_for(config: EngineConfig) -> OpenSearch:
    options = {
        "verify_certs": config.verify_certs, "ssl_show_warn": config.verify_certs, "timeout": 30,
        # Bulk writes keep more than one request in flight; each needs its own connection.
        "pool_maxsize": 8,
    }
    if config.username is not None:
        options["http_auth"] = (config.username, config.password or "")
    if config.ca_certs:
        options["ca_certs"] = config.ca_certs
    return OpenSearch(hosts=[config.url], **options)


def _limits(left: float | None) -> dict:
    """A search's parameters under a time limit: the node cancels the search task itself when it
    runs over (also when auditui has stopped waiting), and the client waits a little longer than
    that for the node's answer."""
    if left is None:
        return {}
    return {"request_timeout": left + CLIENT_GRACE_S, "cancel_after_time_interval": deadline.engine_duration(left)}


class OpenSearchTransport(Transport):
    engine_title = "OpenSearch"

    def __init__(self, config: EngineConfig, *, write_refresh: str = "false") -> None:
        super().__init__(config, write_refresh=write_refresh)
        self.client = client_for(config)

    @staticmethod
    def unavailable_reason(exc: Exception) -> str | None:
        if isinstance(exc, ConnectionError):  # timeouts and TLS failures too
            return connection_reason(exc, timed_out=isinstance(exc, ConnectionTimeout))
        if isinstance(exc, TransportError):
            return status_reason(exc.status_code)
        return None

    @reachable
    def bulk(self, body: bytes) -> list[dict]:
        try:
            return self.client.bulk(
                body=body, params={"refresh": self.write_refresh, "filter_path": BULK_FILTER_PATH}
            )["items"]
        except ConnectionError:
            raise  # not a refusal: the engine cannot be reached (``reachable`` says so)
        except TransportError as exc:
            raise SearchEngineError(f"bulk write failed: {exc}") from exc

    @reachable
    def search(self, index: str | None, body: dict) -> dict:
        left = deadline.engine_time_left()
        body = deadline.with_engine_timeout(body, left)
        return deadline.check_engine_response(self.client.search(index=index, body=body, params=_limits(left)))

    @reachable
    def count(self, index: str, body: dict) -> int:
        left = deadline.engine_time_left()
        params = {} if left is None else {"request_timeout": left + CLIENT_GRACE_S}
        return self.client.count(index=index, body=body, params=params)["count"]

    @reachable
    def put_template(self, name: str, body: dict) -> None:
        self.client.indices.put_index_template(name=name, body=body)

    @reachable
    def delete_template(self, name: str) -> None:
        with contextlib.suppress(NotFoundError):
            self.client.indices.delete_index_template(name=name)

    @reachable
    def open_pit(self, index: str) -> str:
        return self.client.create_pit(index=index, params={"keep_alive": PIT_KEEP_ALIVE})["pit_id"]

    @reachable
    def search_pit(self, body: dict) -> dict:
        try:
            left = deadline.engine_time_left()
            body = deadline.with_engine_timeout(body, left)
            return deadline.check_engine_response(self.client.search(body=body, params=_limits(left)))
        except NotFoundError as exc:
            raise PitGone from exc

    @reachable
    def close_pit(self, pit: str) -> None:
        self.client.delete_pit(body={"pit_id": [pit]})

    @reachable
    def indices(self, pattern: str) -> list[str]:
        rows = self.client.cat.indices(index=pattern, params={"format": "json", "h": "index"})
        return [row["index"] for row in rows]

    @reachable
    def delete_index(self, name: str) -> None:
        self.client.indices.delete(index=name, params={"ignore_unavailable": "true"})

    @reachable
    def delete_by_query(self, index: str, body: dict) -> int:
        params = {"refresh": "true", "conflicts": "proceed"}
        return self.client.delete_by_query(index=index, body=body, params=params)["deleted"]

    @reachable
    def doc_counts(self, pattern: str) -> dict[str, int]:
        stats = self.client.indices.stats(
            index=pattern, metric="docs", params={"filter_path": "indices.*.primaries.docs.count"})
        return {name: entry["primaries"]["docs"]["count"] for name, entry in stats.get("indices", {}).items()}

    @reachable
    def put_mapping(self, index: str, body: dict) -> None:
        self.client.indices.put_mapping(index=index, body=body)

    @reachable
    def refresh(self, index: str) -> None:
        self.client.indices.refresh(index=index, params={"allow_no_indices": "true"})


class OpenSearchEventStore(SearchEngineStore):
    def __init__(self, config: EngineConfig, *, prefix: str, refresh: str = "false") -> None:
        super().__init__(OpenSearchTransport(config, write_refresh=refresh), prefix=prefix)
