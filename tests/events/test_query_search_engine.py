"""The search engines select exactly what the Python matcher selects (and so what SQL selects).

The same queries as tests/events/test_query_sql.py, against the real samples and the crafted
edge cases stored once per engine (OpenSearch through opensearch-py; Elasticsearch's client
through tests/es_proxy.py), plus random queries over the sample vocabulary.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from auditui.access.scope import ViewerScope
from auditui.events.normalize import normalize_event
from auditui.events.query import matches, parse
from auditui.events.store import EventQuery
from tests.backends import ENGINES, make_engine_store
from tests.events.test_query_sql import AGREEMENT_QUERIES, CRAFTED, CRAFTED_QUERIES, _queries

pytestmark = pytest.mark.opensearch
ALL = ViewerScope.all()


@pytest.fixture(scope="module", params=ENGINES)
def engine(request):
    """(store, sample records, crafted records), stored once per engine for the module."""
    store = make_engine_store(request, request.param)
    samples = [normalize_event(event, cluster=cluster) for cluster, event in request.getfixturevalue("audit_samples")]
    crafted = [normalize_event(event, cluster="lab") for event in CRAFTED]
    result = store.write(samples + crafted)
    assert (result.ingested, result.duplicates) == (len(samples) + len(crafted), 0)
    try:
        yield store, samples, crafted
    finally:
        store.drop_everything()


def _engine_keys(store, node, clusters=()) -> set[tuple]:
    page = store.search(EventQuery(scope=ALL, query=node, clusters=clusters), page_size=1000)
    assert page.next_cursor is None
    return {record.key for record in page.records}


def _matcher_keys(node, records) -> set[tuple]:
    return {r.key for r in records if matches(node, r.raw, cluster=r.cluster, record=r)}


@pytest.mark.parametrize("query", AGREEMENT_QUERIES)
def test_it_selects_what_the_matcher_matches(engine, query):
    store, samples, crafted = engine
    node = parse(query)
    assert _engine_keys(store, node) == _matcher_keys(node, samples + crafted)


@pytest.mark.parametrize("query", CRAFTED_QUERIES)
def test_it_agrees_on_crafted_edge_cases(engine, query):
    store, _samples, crafted = engine
    node = parse(query)
    assert _engine_keys(store, node, clusters=("lab",)) == _matcher_keys(node, crafted)


def test_it_counts_what_was_counted_by_hand(engine):
    store, samples, _crafted = engine
    samples_only = tuple(sorted({r.cluster for r in samples}))

    def count(query: str) -> int:
        return store.count(EventQuery(scope=ALL, query=parse(query), clusters=samples_only))

    assert len(samples) == 89
    assert count("verb = create") == 40
    assert count('"user.groups" = "system:masters"') == 77
    assert count("time = 2018-10-25") == 7
    assert count('requestObject.rules.verbs = "*"') == 6
    assert count(r'requestObject.rules.verbs = "\*"') == 1
    assert count("responseObject.spec.terminationGracePeriodSeconds < 100.0") == 11
    assert count("objectRef.namespace = NS1") == 4


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(node=_queries)
def test_it_agrees_with_the_matcher_on_random_queries(engine, node):
    store, samples, crafted = engine
    assert _engine_keys(store, node) == _matcher_keys(node, samples + crafted)
