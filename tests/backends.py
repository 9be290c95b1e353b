"""Every EventStore backend, as parametrised fixtures (a pytest plugin: ``pytest_plugins = ["tests.backends"]``).

``backend_store`` runs a test once per backend: ``sql`` (the Django test database),
``opensearch`` (opensearch-py against the session's OpenSearch node), ``elasticsearch``
(Elastic's client, through ``tests.es_proxy`` to the same node, or to ``ELASTICSEARCH_URL``) and
``opensearch-monthly`` (OpenSearch with one index per cluster and month, ``index_period=month``).
For the search engines it points ``EVENT_STORE_URL`` at the node with an index prefix of its
own, so that everything in the test
that calls ``get_store()`` (ingest, the API, the pages) uses the same store, on clean indices,
deleted afterwards; writes refresh at once (``AUDITUI_INDEX_REFRESH=true``).

``expected_records`` is the backend-neutral oracle: which records an ``EventQuery`` selects,
decided in Python (scope, range, clusters, filters, and ``matcher.matches`` for the query).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator

import pytest

from auditui.events.normalize import AuditRecord

pytest_plugins = ["tests.opensearch_node"]

ENGINES = ("opensearch", "elasticsearch")
# A store layout besides the default daily one: the engine, and the options of its URL.
VARIANTS = {"opensearch-monthly": ("opensearch", "?index_period=month")}
BACKENDS = [
    "sql",
    *(pytest.param(name, marks=pytest.mark.opensearch, id=name) for name in (*ENGINES, *VARIANTS)),
]


@pytest.fixture(scope="session")
def elasticsearch_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """``ELASTICSEARCH_URL`` (a real Elasticsearch 8/9) when set; else an Elasticsearch-speaking
    front for the OpenSearch node (tests/es_proxy.py)."""
    from tests.es_proxy import EsProxy

    real = os.environ.get("ELASTICSEARCH_URL", "").strip()
    if real:
        yield real.rstrip("/")
        return
    proxy = EsProxy(request.getfixturevalue("opensearch_url")).start()
    try:
        yield proxy.url
    finally:
        proxy.stop()


def engine_store_url(request: pytest.FixtureRequest, engine: str) -> str:
    """The ``EVENT_STORE_URL`` of an engine (or of a variant in VARIANTS)."""
    engine, options = VARIANTS.get(engine, (engine, ""))
    if engine == "opensearch":
        base = request.getfixturevalue("opensearch_url")
    else:
        base = request.getfixturevalue("elasticsearch_url")
    scheme, rest = base.split("://", 1)
    return (f"{engine}+https://{rest}" if scheme == "https" else f"{engine}://{rest}") + options


def make_engine_store(request: pytest.FixtureRequest, engine: str):
    """A store of that engine on an index prefix of its own; ``drop_everything()`` when done."""
    from auditui.events.store import store_for

    return store_for(engine_store_url(request, engine), f"auditui-test-{uuid.uuid4().hex[:12]}", "true")


def _use_engine(request: pytest.FixtureRequest, settings, engine: str):
    """A fresh store of that engine, made what ``get_store()`` returns (settings are restored after)."""
    from auditui.events.store import get_store

    store = make_engine_store(request, engine)
    settings.EVENT_STORE_URL = engine_store_url(request, engine)
    settings.AUDITUI_INDEX_PREFIX = store.prefix
    settings.AUDITUI_INDEX_REFRESH = store.refresh
    assert get_store() is store
    return store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def backend_store(request: pytest.FixtureRequest, backend: str, db, settings):
    """The store of this backend, also what ``get_store()`` returns during the test."""
    from auditui.events.store import get_store

    if backend == "sql":
        settings.EVENT_STORE_URL = "sql"
        yield get_store()
        return
    store = _use_engine(request, settings, backend)
    try:
        yield store
    finally:
        store.drop_everything()


@pytest.fixture(params=[pytest.param(name, marks=pytest.mark.opensearch) for name in ENGINES])
def engine_store(request: pytest.FixtureRequest, db, settings):
    """Like ``backend_store``, search engines only."""
    store = _use_engine(request, settings, request.param)
    try:
        yield store
    finally:
        store.drop_everything()


def selects(q, record: AuditRecord) -> bool:
    """Whether ``q`` selects ``record``, decided in Python."""
    from auditui.events.query import matches

    if not q.scope.allows(record.cluster, record.namespace):
        return False
    if (q.start and record.time < q.start) or (q.end and record.time >= q.end):
        return False
    if q.clusters and record.cluster not in q.clusters:
        return False
    if any(getattr(record, name) != value for name, value in q.filters.items()):
        return False
    return q.query is None or matches(q.query, record.raw, cluster=record.cluster, record=record)


def expected_records(q, records: Iterable[AuditRecord]) -> list[AuditRecord]:
    return [record for record in records if selects(q, record)]
