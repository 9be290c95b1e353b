"""Reads for the pages: every one goes through the store with the viewer's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from auditui.access.scope import ViewerScope
from auditui.events.models import DropRule, IngestJob, PullSource, SavedSearch
from auditui.events.normalize import AuditRecord
from auditui.events.store import Bucket, EventQuery, get_store


@dataclass(frozen=True)
class ClusterSummary:
    name: str
    total: int
    last_24h: int
    last_event: datetime | None


@dataclass(frozen=True)
class Overview:
    clusters: list[ClusterSummary]
    histogram: list[Bucket]
    histogram_max: int
    latest: list[AuditRecord]
    total_24h: int
    failed_24h: int
    drop_rules: list[DropRule]
    recent_jobs: list[IngestJob]
    pull_sources: list[PullSource]


def cluster_summaries(scope: ViewerScope, now: datetime, last_day: EventQuery) -> list[ClusterSummary]:
    """Each cluster's events: all of them, those of ``last_day`` (the page's 24 h), the newest."""
    store = get_store()
    totals = store.cluster_totals(scope)
    recent = {g.keys[0]: g.count for g in store.aggregate(last_day, group_by=["cluster"], limit=None)}
    summaries = []
    for name in sorted(totals):
        latest = next(store.newest_first(EventQuery(scope=scope, clusters=(name,)), anchor=now, page_size=1), None)
        summaries.append(ClusterSummary(name, totals[name], recent.get(name, 0), latest.time if latest else None))
    return summaries


def overview(scope: ViewerScope, *, is_staff: bool, now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    store = get_store()
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    window = EventQuery(scope=scope, start=end - timedelta(hours=24), end=end)
    histogram = store.histogram(window, interval=timedelta(hours=1))
    failed = sum(g.count for g in store.aggregate(window, group_by=["response_code"], limit=None)
                 if g.keys[0] is not None and g.keys[0] >= 400)
    return Overview(
        clusters=cluster_summaries(scope, now, window),
        histogram=histogram,
        histogram_max=max((b.count for b in histogram), default=0),
        latest=list(islice(store.newest_first(EventQuery(scope=scope), anchor=now, page_size=15), 15)),
        total_24h=sum(b.count for b in histogram),
        failed_24h=failed,
        # Drop rules and pull sources are installation-wide facts, shown to staff only; uploads
        # to staff too, those of the clusters their scope covers wholly (as on the upload page).
        drop_rules=list(DropRule.objects.all()) if is_staff else [],
        recent_jobs=list(IngestJob.objects.for_scope(scope)[:5]) if is_staff else [],
        pull_sources=list(PullSource.objects.all()) if is_staff else [],
    )


def saved_search_list(owner) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(owner=owner)


def saved_search_get(owner, pk: int) -> SavedSearch:
    """The owner's saved search (404 otherwise: another user's searches do not exist for them)."""
    return get_object_or_404(SavedSearch, pk=pk, owner=owner)
