"""``EVENT_STORE_URL`` for a search engine, taken apart (shared by the OpenSearch and
Elasticsearch stores and the pull sources)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from auditui.events.store.layout import PERIODS


@dataclass(frozen=True)
class EngineConfig:
    """``EVENT_STORE_URL`` taken apart: ``opensearch://[user:pass@]host:port[?opt=…]``.

    Schemes: ``opensearch``, ``opensearch+https``, ``elasticsearch``, ``elasticsearch+https``.
    Options: ``verify_certs=false``, ``ca_certs=/path``, ``shards=N``, ``replicas=N``,
    ``index_period=day|month`` (one index per cluster and day, the default, or per month).
    """

    engine: str
    url: str  # http(s)://host:port, without credentials
    username: str | None = None
    password: str | None = None
    verify_certs: bool = True
    ca_certs: str | None = None
    shards: int = 1
    replicas: int | None = None
    index_period: str = "day"
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
        index_period = options.get("index_period", "day").lower()
        if index_period not in PERIODS:
            raise ValueError(f"index_period={options['index_period']!r}: use day or month")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return cls(
            engine=engine,
            url=f"{transport or 'http'}://{host}:{parts.port or 9200}",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            verify_certs=options.get("verify_certs", "true").lower() not in ("false", "0", "no"),
            ca_certs=options.get("ca_certs"),
            shards=_count(options, "shards", least=1) if "shards" in options else 1,
            replicas=_count(options, "replicas", least=0) if "replicas" in options else None,
            index_period=index_period,
            options=options,
        )


def _count(options: dict[str, str], name: str, *, least: int) -> int:
    text = options[name]
    if not text.isdigit() or int(text) < least:
        raise ValueError(f"{name}={text!r}: a whole number, at least {least}")
    return int(text)
