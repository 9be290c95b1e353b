"""The request bodies both search-engine backends send (``auditui/events/store/bodies.py``);
tests/events/test_query_search_engine.py runs them against a real node."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from auditui.events.store import bodies, dsl, engine_mapping
from tests.events.test_store_dsl import evaluate


def test_search_bodies_sort_on_a_unique_tiebreaker_and_carry_the_point_in_time():
    body = bodies.search_body(dsl.MATCH_ALL, size=51, search_after=[1, 2, "a" * 32], pit="PIT")
    assert body["sort"] == [{"time_us": {"order": "desc"}}, {"seq": {"order": "desc"}},
                            {"event_id": {"order": "desc"}}]
    assert body["search_after"] == [1, 2, "a" * 32]
    assert body["pit"] == {"id": "PIT", "keep_alive": bodies.PIT_KEEP_ALIVE}
    assert "pit" not in bodies.search_body(dsl.MATCH_ALL, size=1)
    hist = bodies.histogram_body(dsl.MATCH_ALL, step=3600, first=datetime(2026, 11, 1, tzinfo=UTC),
                                        last=datetime(2026, 11, 1, 5, tzinfo=UTC))
    assert hist["aggs"]["histogram"]["date_histogram"] == {
        "field": "time", "fixed_interval": "3600s", "min_doc_count": 0,
        "extended_bounds": {"min": 1793491200000, "max": 1793509200000}}
    groups = bodies.composite_body(dsl.MATCH_ALL, ["user_groups"], metric="count", field=None)
    assert groups["aggs"]["groups"]["composite"]["sources"] == [
        {"k0": {"terms": {"field": "user_groups", "missing_bucket": False}}}]
    template = bodies.template_body("p", shards=1, replicas=0)
    assert template["index_patterns"] == ["p-*"]
    settings = template["template"]["settings"]
    assert settings == {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "5s"}
    assert "flattened" not in str(template) and "flat_object" not in str(template)


def test_hits_leave_out_the_index_only_fields_that_the_stored_source_keeps():
    # Stored: excluding them at index time costs the node a rewrite of every source.
    assert "_source" not in engine_mapping.MAPPINGS
    for body in (bodies.search_body(dsl.MATCH_ALL, size=1), bodies.activity_body(dsl.MATCH_ALL)):
        assert body["_source"] == {"excludes": list(engine_mapping.DERIVED_FIELDS)}
    top_hits = bodies.activity_body(dsl.MATCH_ALL)["aggs"]["objects"]["aggs"]["last"]["top_hits"]
    assert top_hits["_source"] == {"excludes": list(engine_mapping.DERIVED_FIELDS)}


@settings(max_examples=200, deadline=None)
@given(
    sort_values=st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from("abc")),
    cursor=st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from("abc")),
)
def test_after_sort_values_selects_what_search_after_selects(sort_values, cursor):
    # SEARCH_SORT is (time_us, seq, event_id), all descending: "after" is a smaller triple.
    doc = dict(zip(("time_us", "seq", "event_id"), sort_values, strict=True))
    assert evaluate(bodies.after_sort_values(list(cursor)), doc) == (sort_values < cursor)


def test_time_floor_bodies_sort_on_time_alone_without_sources():
    body = bodies.time_floor_body({"match_all": {}}, size=51, pit="abc")
    assert body["sort"] == [{"time_us": {"order": "desc"}}] and body["size"] == 51
    assert body["_source"] is False and body["track_total_hits"] is False and body["pit"]["id"] == "abc"
