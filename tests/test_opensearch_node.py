"""Smoke tests of the development/test OpenSearch node (tools/opensearch) through opensearch-py.

They are the verification checklist of reference/opensearch-node.md §7, plus what the event store will use:
templates, bulk, composite aggregations, search_after, point in time, delete_by_query, date_histogram.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import NotFoundError

pytestmark = pytest.mark.opensearch

START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
VERBS = ["create", "update", "patch", "delete", "get"]
NAMESPACES = ["payments", "kube-system", "default"]


def make_docs(count: int = 50) -> list[dict]:
    return [
        {
            "seq": i,
            "verb": VERBS[i % len(VERBS)],
            "namespace": NAMESPACES[i % len(NAMESPACES)],
            "ts": (START + timedelta(minutes=37 * i)).isoformat(),
        }
        for i in range(count)
    ]


def green(client: OpenSearch, index: str) -> str:
    # opensearch-py takes a bare ``timeout=`` as the HTTP timeout unless ``request_timeout`` is given too
    return client.cluster.health(index=index, wait_for_status="green", timeout="10s", request_timeout=30)["status"]


@pytest.fixture(scope="module")
def client(opensearch_url: str):
    client = OpenSearch(hosts=[opensearch_url], timeout=30)
    yield client
    client.close()


@pytest.fixture
def index(client: OpenSearch):
    """A fresh index name (``smoke-…``) with a template of 0 replicas; both removed afterwards."""
    name = f"smoke-{uuid.uuid4().hex[:12]}"
    client.indices.put_index_template(name=name, body={
        "index_patterns": [f"{name}*"],
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"properties": {
                "seq": {"type": "long"},
                "verb": {"type": "keyword"},
                "namespace": {"type": "keyword"},
                "ts": {"type": "date"},
            }},
        },
    })
    yield name
    client.indices.delete(index=f"{name}*", ignore_unavailable=True)
    client.indices.delete_index_template(name=name, ignore=[404])


def load(client: OpenSearch, index: str, docs: list[dict]) -> None:
    actions = [{"_index": index, "_id": str(doc["seq"]), "_source": doc} for doc in docs]
    ok, errors = helpers.bulk(client, actions, refresh=True)
    assert (ok, errors) == (len(docs), [])


def test_cluster_info(client: OpenSearch) -> None:
    info = client.info()
    assert info["version"]["distribution"] == "opensearch"
    assert int(info["version"]["number"].split(".")[0]) >= 2
    assert client.cluster.health()["status"] in ("yellow", "green")


@pytest.mark.skipif(bool(os.environ.get("OPENSEARCH_URL")), reason="checks tools/opensearch's own defaults")
def test_launcher_node_is_2_19_and_gives_indices_no_replicas(client: OpenSearch) -> None:
    assert client.info()["version"]["number"].startswith("2.19.")
    name = f"plain-{uuid.uuid4().hex[:12]}"
    # an index auto-created by a write, and one from a template that says nothing about replicas
    client.indices.put_index_template(name=name, body={"index_patterns": [f"{name}-t*"], "priority": 0})
    try:
        for index in (name, f"{name}-t1"):
            client.index(index=index, body={"a": 1}, refresh=True)
            assert client.indices.get_settings(index=index)[index]["settings"]["index"]["number_of_replicas"] == "0"
            assert green(client, index) == "green"
    finally:
        client.indices.delete(index=f"{name}*", ignore_unavailable=True)
        client.indices.delete_index_template(name=name, ignore=[404])


def test_index_template_gives_zero_replicas_and_mapping(client: OpenSearch, index: str) -> None:
    client.indices.create(index=index)
    settings = client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert settings["number_of_replicas"] == "0"
    mapping = client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert mapping["ts"] == {"type": "date"} and mapping["verb"] == {"type": "keyword"}
    assert green(client, index) == "green"


def test_bulk_with_refresh_is_searchable_at_once(client: OpenSearch, index: str) -> None:
    load(client, index, make_docs(50))
    assert client.count(index=index)["count"] == 50
    hits = client.search(index=index, body={"query": {"term": {"verb": "delete"}}, "size": 0})
    assert hits["hits"]["total"] == {"value": 10, "relation": "eq"}


def test_composite_aggregation_pages_through_all_groups(client: OpenSearch, index: str) -> None:
    docs = make_docs(50)
    load(client, index, docs)
    expected = Counter((d["verb"], d["namespace"]) for d in docs)
    seen: dict[tuple[str, str], int] = {}
    after = None
    pages = 0
    while True:
        composite = {"size": 4, "sources": [{"verb": {"terms": {"field": "verb"}}},
                                            {"namespace": {"terms": {"field": "namespace"}}}]}
        if after:
            composite["after"] = after
        result = client.search(index=index, body={"size": 0, "aggs": {"groups": {"composite": composite}}})
        buckets = result["aggregations"]["groups"]["buckets"]
        if not buckets:
            break
        pages += 1
        for bucket in buckets:
            key = (bucket["key"]["verb"], bucket["key"]["namespace"])
            assert key not in seen
            seen[key] = bucket["doc_count"]
        after = result["aggregations"]["groups"].get("after_key")
    assert seen == dict(expected)
    assert pages == 4  # 15 groups, 4 per page
    assert list(seen) == sorted(seen)  # composite buckets come in key order


def test_sort_and_search_after_visit_every_document_once(client: OpenSearch, index: str) -> None:
    load(client, index, make_docs(50))
    order = [{"ts": "desc"}, {"seq": "desc"}]  # end the sort on a unique field: no implicit tiebreaker
    seqs: list[int] = []
    after = None
    while True:
        body = {"size": 7, "sort": order, "query": {"match_all": {}}}
        if after:
            body["search_after"] = after
        hits = client.search(index=index, body=body)["hits"]["hits"]
        if not hits:
            break
        seqs.extend(hit["_source"]["seq"] for hit in hits)
        after = hits[-1]["sort"]
    assert seqs == list(range(49, -1, -1))


def test_point_in_time_is_a_snapshot_and_can_be_deleted(client: OpenSearch, index: str) -> None:
    load(client, index, make_docs(20))
    pit_id = client.create_pit(index=index, params={"keep_alive": "1m"})["pit_id"]
    try:
        load(client, index, [{"seq": 100 + i, "verb": "create", "namespace": "late", "ts": START.isoformat()}
                             for i in range(5)])
        assert client.count(index=index)["count"] == 25
        seqs: list[int] = []
        after = None
        while True:
            body = {"size": 6, "sort": [{"seq": "asc"}], "pit": {"id": pit_id, "keep_alive": "1m"}}
            if after:
                body["search_after"] = after
            result = client.search(body=body)  # no index in the path with a PIT
            hits = result["hits"]["hits"]
            if not hits:
                break
            seqs.extend(hit["_source"]["seq"] for hit in hits)
            after = hits[-1]["sort"]
            pit_id = result.get("pit_id", pit_id)
        assert seqs == list(range(20))  # the documents indexed after the PIT are not in it
        assert pit_id in [pit["pit_id"] for pit in client.get_all_pits()["pits"]]
    finally:
        deleted = client.delete_pit(body={"pit_id": [pit_id]})
    assert deleted["pits"] == [{"successful": True, "pit_id": pit_id}]
    with pytest.raises(NotFoundError):
        client.search(body={"size": 1, "pit": {"id": pit_id}})


def test_delete_by_query(client: OpenSearch, index: str) -> None:
    load(client, index, make_docs(50))
    result = client.delete_by_query(index=index, body={"query": {"term": {"verb": "get"}}},
                                    params={"refresh": "true"})
    assert result["deleted"] == 10 and result["failures"] == []
    assert client.count(index=index)["count"] == 40
    assert client.count(index=index, body={"query": {"term": {"verb": "get"}}})["count"] == 0


def test_delete_index(client: OpenSearch, index: str) -> None:
    load(client, index, make_docs(3))
    assert client.indices.exists(index=index)
    assert client.indices.delete(index=index)["acknowledged"] is True
    assert not client.indices.exists(index=index)


def test_date_histogram_fixed_and_calendar_intervals(client: OpenSearch, index: str) -> None:
    docs = make_docs(50)  # every 37 minutes from Monday 2025-03-03 00:00 UTC
    load(client, index, docs)
    result = client.search(index=index, body={"size": 0, "aggs": {
        "hourly": {"date_histogram": {"field": "ts", "fixed_interval": "1h", "min_doc_count": 0}},
        "daily_paris": {"date_histogram": {"field": "ts", "calendar_interval": "day",
                                           "time_zone": "Europe/Paris"}},
        "weekly": {"date_histogram": {"field": "ts", "calendar_interval": "week"}},
    }})
    aggs = result["aggregations"]

    hourly = {b["key_as_string"]: b["doc_count"] for b in aggs["hourly"]["buckets"]}
    expected_hourly = Counter(
        datetime.fromisoformat(d["ts"]).replace(minute=0).strftime("%Y-%m-%dT%H:%M:%S.000Z") for d in docs)
    assert {k: v for k, v in hourly.items() if v} == dict(expected_hourly)
    assert len(hourly) == 31 and sum(hourly.values()) == 50  # min_doc_count 0 fills the empty hours

    # Paris is UTC+1 in March: the local day starts at 23:00 UTC the day before.
    daily = [(b["key_as_string"], b["doc_count"]) for b in aggs["daily_paris"]["buckets"]]
    first_day = sum(1 for d in docs if datetime.fromisoformat(d["ts"]) < START + timedelta(hours=23))
    assert daily == [("2025-03-03T00:00:00.000+01:00", first_day), ("2025-03-04T00:00:00.000+01:00", 50 - first_day)]

    # ISO weeks start on Monday (needs the ISO calendar data provider: -Djava.locale.providers=SPI,COMPAT)
    assert [(b["key_as_string"], b["doc_count"]) for b in aggs["weekly"]["buckets"]] == [
        ("2025-03-03T00:00:00.000Z", 50)]


def test_bodies_from_elasticsearch_dsl_run_on_opensearch(client: OpenSearch, index: str) -> None:
    """``elasticsearch.dsl`` builds bodies offline; opensearch-py sends them (Elastic's client refuses OpenSearch)."""
    from elasticsearch.dsl import Search

    load(client, index, make_docs(50))
    search = Search().filter("term", namespace="payments").sort({"seq": "asc"}).extra(size=3)
    search.aggs.bucket("verbs", "terms", field="verb")
    result = client.search(index=index, body=search.to_dict())
    assert [hit["_source"]["seq"] for hit in result["hits"]["hits"]] == [0, 3, 6]
    assert sum(b["doc_count"] for b in result["aggregations"]["verbs"]["buckets"]) == 17
