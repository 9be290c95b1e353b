"""``EVENT_STORE_URL`` for a search engine, taken apart (shared by the OpenSearch and
Elasticsearch stores and the pull sources)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class EngineConfig:
    """``EVENT_STORE_URL`` taken apart: ``opensearch://[user:pass@]host:port[?opt=…]``.

    Schemes: ``opensearch``, ``opensearch+https``, ``elasticsearch``, ``elasticsearch+https``.
    Options: ``verify_certs=false``, ``ca_certs=/path``, ``shards=N``, ``replicas=N``.
    """

    engine: str
    url: str  # http(s)://host:port, without credentials
    username: str | None = None
    password: str | None = None
    verify_certs: bool = True
    ca_certs: str | None = None
    shards: int = 1
    replicas: int | None = None
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_url(cls, url: str) -> EngineConfig:
        parts = urlsplit(url)
        engine, _, transport = parts.scheme.lower().partition("+")
        if engine not in ("opensearch", "elasticsearch") or transport not in ("", "http", "https"):
            raise ValueError(f"not a search engine URL: {url!r}")
        if not parts.hostname:
            raise ValueError(f"{url!r} names no host")
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return cls(
            engine=engine,
            url=f"{transport or 'http'}://{host}:{parts.port or 9200}",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            verify_certs=options.get("verify_certs", "true").lower() not in ("false", "0", "no"),
            ca_certs=options.get("ca_certs"),
            shards=int(options.get("shards", 1)),
            replicas=int(options["replicas"]) if "replicas" in options else None,
            options=options,
        )
