"""Index names of the search-engine stores and the short-lived list of those that exist
(auditui/events/store/layout.py); no node needed: the list's reader is a plain function here."""

from __future__ import annotations

import re
from datetime import date

from auditui.events.store.layout import IndexList, index_day, safe_cluster


def test_cluster_names_become_distinct_index_names():
    assert safe_cluster("prod-eu") == "prod-eu"
    assert safe_cluster("Prod-EU") != safe_cluster("prod-eu")
    assert safe_cluster("a/b") != safe_cluster("a:b")
    assert re.fullmatch(r"[a-z0-9_.-]+", safe_cluster("_Weird Name: *?/"))


def test_an_index_name_tells_its_day():
    assert index_day("p-prod-2026.11.27") == date(2026, 11, 27)
    assert index_day("p-prod-2026.13.27") is None
    assert index_day("p.objects") is None


def test_the_list_names_the_days_from_a_date_on_of_the_asked_clusters_and_is_read_again_when_forgotten():
    reads = []
    names = ["p-a-2026.01.01", "p-a-2026.01.03", "p-a-b-2026.01.05", "p-b-2030.01.01", "p-b-junk"]
    index_list = IndexList("p", lambda: reads.append(1) or list(names))
    assert index_list.since(date(2026, 1, 2)) == ["p-a-2026.01.03", "p-a-b-2026.01.05", "p-b-2030.01.01"]
    assert index_list.since(date(2026, 1, 1), {"a"}) == ["p-a-2026.01.01", "p-a-2026.01.03"]  # not cluster "a-b"
    assert len(reads) == 1  # kept for a few seconds
    names.append("p-a-2026.02.01")
    index_list.forget()
    assert index_list.since(date(2026, 2, 1), {"a"}) == ["p-a-2026.02.01"]
    assert len(reads) == 2


def test_names_and_day_bounds_agree_with_each_other():
    from datetime import UTC, datetime

    from auditui.events.store.layout import daily_index, day_bounds, index_cluster, no_index

    name = daily_index("p", "prod-eu", date(2026, 3, 9))
    assert name == "p-prod-eu-2026.03.09" and index_cluster("p", name) == "prod-eu" and index_day(name)
    assert index_day(no_index("p").rstrip("*")) == date(1970, 1, 1)
    # [start, end): an end at midnight leaves its day out.
    assert day_bounds(datetime(2026, 3, 9, 23, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC)) == (
        date(2026, 3, 9), date(2026, 3, 10))
    assert day_bounds(None, None) == (None, None)
