"""Index names of the search-engine stores and the short-lived list of those that exist
(auditui/events/store/layout.py); no node needed: the list's reader is a plain function here."""

from __future__ import annotations

import fnmatch
import re
from datetime import date, timedelta

import pytest

from auditui.events.store.layout import IndexList, Layout, index_cluster, index_span, safe_cluster


def test_cluster_names_become_distinct_index_names():
    assert safe_cluster("prod-eu") == "prod-eu"
    assert safe_cluster("Prod-EU") != safe_cluster("prod-eu")
    assert safe_cluster("a/b") != safe_cluster("a:b")
    assert re.fullmatch(r"[a-z0-9_.-]+", safe_cluster("_Weird Name: *?/"))


def test_an_index_name_tells_its_days():
    assert index_span("p-prod-2026.11.27") == (date(2026, 11, 27), date(2026, 11, 27))
    assert index_span("p-prod-2026.11") == (date(2026, 11, 1), date(2026, 11, 30))
    assert index_span("p-prod-2024.02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert index_span("p-prod-2026.12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert index_span("p-prod-2026.13.27") is None
    assert index_span("p-prod-2026.13") is None
    assert index_span("p.objects") is None


def test_the_list_names_the_days_from_a_date_on_of_the_asked_clusters_and_is_read_again_when_forgotten():
    reads = []
    names = ["p-a-2026.01.01", "p-a-2026.01.03", "p-a-b-2026.01.05", "p-b-2030.01.01", "p-b-junk", "p-c-2025.12",
             "p-c-2026.01"]
    index_list = IndexList("p", lambda: reads.append(1) or list(names))
    # A month counts from its last day: January's index holds the 2nd on.
    assert index_list.since(date(2026, 1, 2)) == ["p-a-2026.01.03", "p-a-b-2026.01.05", "p-b-2030.01.01", "p-c-2026.01"]
    assert index_list.since(date(2026, 1, 1), {"a"}) == ["p-a-2026.01.01", "p-a-2026.01.03"]  # not cluster "a-b"
    assert len(reads) == 1  # kept for a few seconds
    names.append("p-a-2026.02.01")
    index_list.forget()
    assert index_list.since(date(2026, 2, 1), {"a"}) == ["p-a-2026.02.01"]
    assert len(reads) == 2


def test_names_and_day_bounds_agree_with_each_other():
    from datetime import UTC, datetime

    from auditui.events.store.layout import day_bounds

    daily = Layout("p")
    name = daily.index("prod-eu", date(2026, 3, 9))
    assert name == "p-prod-eu-2026.03.09" and index_cluster("p", name) == "prod-eu" and index_span(name)
    assert index_span(daily.no_index().rstrip("*")) == (date(1970, 1, 1), date(1970, 1, 1))
    # [start, end): an end at midnight leaves its day out.
    assert day_bounds(datetime(2026, 3, 9, 23, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC)) == (
        date(2026, 3, 9), date(2026, 3, 10))
    assert day_bounds(None, None) == (None, None)


def test_a_monthly_layout_names_one_index_per_cluster_and_month():
    monthly = Layout("p", "month")
    name = monthly.index("prod-eu", date(2026, 3, 9))
    assert name == "p-prod-eu-2026.03" and index_cluster("p", name) == "prod-eu"
    assert index_span(name) == (date(2026, 3, 1), date(2026, 3, 31))
    # The days of a month share its pattern, which also matches that month's daily indices.
    days = [date(2026, 2, 27) + timedelta(days=n) for n in range(5)]
    assert monthly.patterns(["a", "b"], days) == ["p-a-2026.02*", "p-a-2026.03*", "p-b-2026.02*", "p-b-2026.03*"]
    assert fnmatch.fnmatch(Layout("p").index("a", date(2026, 2, 27)), monthly.pattern("a", date(2026, 2, 1)))
    assert Layout("p").patterns(["a"], days[:2]) == ["p-a-2026.02.27*", "p-a-2026.02.28*"]


def test_a_range_has_one_period_per_day_or_per_month():
    first, last = date(2025, 11, 30), date(2026, 2, 1)
    assert Layout("p", "month").periods(first, last, 31) == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1),
                                                            date(2026, 2, 1)]
    assert Layout("p", "month").periods(first, last, 3) is None
    assert len(Layout("p").periods(first, last, 100)) == 64
    assert Layout("p").periods(first, last, 31) is None


def test_it_refuses_other_periods():
    with pytest.raises(ValueError, match="index_period 'week'"):
        Layout("p", "week")


def test_a_daily_layout_names_the_monthly_indices_it_would_miss():
    names = ["p-a-2026.01.01", "p-a-2026.02", "p.objects"]
    assert Layout("p").unreadable(names) == "p-a-2026.02"
    assert Layout("p").unreadable(names[:1]) is None
    assert Layout("p", "month").unreadable(names) is None  # month patterns read daily indices too
