"""The events page's reads on SQL in one pass over the matches.

The page asks for a page of records, the histogram of every match and the newest matches for
the field sidebar. For a condition the indexes cannot answer (a path into a request or response
body, a comparison on a code, a wildcard on names) each of those reads walks the candidate events
and tests every one of them: for a week of a busy store that is most of the page's time, three
times. One statement here tests them once: it keeps the matches' (id, time, bucket) in a
materialised CTE and answers from it the bucket counts, the page's ids and the sample's ids.
The store then reads those few rows by primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True)
class MatchSummary:
    counts: dict[int, int]  # bucket start (epoch seconds) -> matches in it
    page_ids: list[int]  # newest first, after the cursor; one more than a page when there are more
    sample_ids: list[int]  # newest first, from the newest match on


# Newest first, as ``SqlEventStore.search`` orders (time, then id: the order of storing).
_NEWEST = "ORDER BY etime DESC, eid DESC LIMIT %s"


def summarise(matches: QuerySet, *, step: int, page_size: int, after: tuple[datetime, int] | None,
              sample_size: int) -> MatchSummary:
    """``matches``: the scoped query's ``values_list("pk", "time", "bucket")``, unordered, where
    bucket is the epoch seconds of its time divided by ``step``. Raises ``EmptyResultSet`` when
    the query can select nothing (Django's compiler says so before running it)."""
    inner, params = matches.query.sql_with_params()
    connection = connections[matches.db]
    parts = ["SELECT 0 AS part, ebucket AS value, COUNT(*) AS n, NULL AS at FROM m GROUP BY ebucket"]
    args: list = list(params)
    # Without a cursor the page is the head of the sample: one branch fewer.
    page_from_sample = after is None and sample_size > page_size
    if not page_from_sample:
        where = ""
        if after is not None:
            time = connection.ops.adapt_datetimefield_value(after[0])
            where = "WHERE etime < %s OR (etime = %s AND eid < %s)"
            args += [time, time, after[1]]
        parts.append(f"SELECT * FROM (SELECT 1, eid, 0, etime FROM m {where} {_NEWEST}) AS page")
        args.append(page_size + 1)
    if sample_size:
        parts.append(f"SELECT * FROM (SELECT 2, eid, 0, etime FROM m {_NEWEST}) AS sample")
        args.append(sample_size)
    sql = f"WITH m (eid, etime, ebucket) AS MATERIALIZED ({inner}) " + " UNION ALL ".join(parts)
    counts: dict[int, int] = {}
    newest: dict[int, list[tuple]] = {1: [], 2: []}
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        for part, value, n, at in cursor.fetchall():
            if part == 0:
                counts[int(value) * step] = n
            else:
                newest[part].append((at, value))
    # UNION ALL promises no order across its branches' rows: sort the few ids again.
    page_ids, sample_ids = ([pk for _at, pk in sorted(rows, reverse=True)] for rows in (newest[1], newest[2]))
    if page_from_sample:
        page_ids = sample_ids[: page_size + 1]
    return MatchSummary(counts=counts, page_ids=page_ids, sample_ids=sample_ids)
