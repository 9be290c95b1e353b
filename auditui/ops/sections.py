"""auditui's own status sections (``auditui.status``): background processes, the queue, the event
store, retention, ingest and pull sources. Other apps register theirs beside these."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from auditui import status
from auditui.access.scope import ViewerScope
from auditui.celery import app
from auditui.events.models import PullSource
from auditui.events.store import EventQuery, StoreError, StoreUnavailable, get_store
from auditui.ops import heartbeats
from auditui.ops.models import RetentionRun

STALE_PULL_S = 15 * 60


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@status.section("processes")
def processes() -> status.Section:
    now = timezone.now()
    seen = heartbeats.last_seen()
    details: dict[str, object] = {
        name: {"alive": heartbeats.alive(at, now), "last_heartbeat": _iso(at)} for name, at in seen.items()
    }
    stopped = [name for name, at in seen.items() if not heartbeats.alive(at, now)]
    summary = "worker and beat alive" if not stopped else f"stopped: {', '.join(stopped)}"
    details["heartbeat_interval_s"] = settings.AUDITUI_HEARTBEAT_S
    return status.Section(ok=not stopped, summary=summary, details=details)


@status.section("queue")
def queue() -> status.Section:
    name = app.conf.task_default_queue
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
        depth = _depth(connection.default_channel, name)
    return status.Section(ok=True, summary=f"{depth} waiting" if depth is not None else "depth unknown",
                          details={"queue": name, "depth": depth})


def _depth(channel: Any, name: str) -> int | None:
    # kombu's virtual transports (Redis, the embedded filesystem broker) count a queue with
    # _size(), which also answers 0 for a queue nobody declared yet (Redis has no empty lists);
    # AMQP brokers answer a passive declare.
    if hasattr(channel, "_size"):
        return int(channel._size(name))
    return getattr(channel.queue_declare(queue=name, passive=True), "message_count", None)


def _cluster_row(store, cluster: str, total: int, hour_ago) -> dict:
    q = EventQuery(scope=ViewerScope.all(), clusters=(cluster,))
    newest = store.search(q, page_size=1, columns_only=True).records
    return {
        "events": total,
        "newest": _iso(newest[0].time) if newest else None,
        "oldest": _oldest(store, q),
        "last_hour": store.count(EventQuery(scope=ViewerScope.all(), clusters=(cluster,), start=hour_ago)),
    }


def _oldest(store, q: EventQuery) -> str | None:
    """The day of the oldest event within retention (the store reads newest first only)."""
    now = timezone.now()
    start = (now - timedelta(days=settings.AUDITUI_RETENTION_DAYS + 1)).replace(hour=0, minute=0, second=0,
                                                                                microsecond=0)
    window = EventQuery(scope=q.scope, clusters=q.clusters, start=start, end=now)
    for bucket in store.histogram(window, interval=timedelta(days=1)):
        if bucket.count:
            return _iso(bucket.start)
    return None


@status.section("event store")
def event_store() -> status.Section:
    store = get_store()
    try:
        totals = store.cluster_totals(ViewerScope.all())
        hour_ago = timezone.now() - timedelta(hours=1)
        clusters = {c: _cluster_row(store, c, n, hour_ago) for c, n in sorted(totals.items())}
    except (StoreUnavailable, StoreError) as exc:
        return status.Section(ok=False, summary=f"cannot answer: {exc}", details={"backend": type(store).__name__})
    total = sum(totals.values())
    return status.Section(ok=True, summary=f"{total} events in {len(clusters)} clusters",
                          details={"backend": type(store).__name__, "events": total, "clusters": clusters})


@status.section("retention")
def retention() -> status.Section:
    last = RetentionRun.objects.first()
    if last is None:
        return status.Section(ok=True, summary="not run yet (daily at 03:17 UTC)",
                              details={"retention_days": settings.AUDITUI_RETENTION_DAYS, "last_run": None})
    run = {"started_at": _iso(last.started_at), "finished_at": _iso(last.finished_at), "cutoff": _iso(last.cutoff),
           "removed": last.removed, "error": last.error}
    late = timezone.now() - last.started_at > timedelta(hours=26)
    ok = not last.error and not late
    summary = f"last run {last.started_at:%Y-%m-%d %H:%M} UTC removed {last.removed} events"
    if last.error:
        summary = f"last run failed: {last.error}"
    return status.Section(ok=ok, summary=summary + (" (late)" if late else ""),
                          details={"retention_days": settings.AUDITUI_RETENTION_DAYS, "last_run": run})


@status.section("pull sources")
def pull_sources() -> status.Section:
    rows, failing = {}, []
    for source in PullSource.objects.filter(enabled=True).order_by("name"):
        lag = source.lag_seconds
        rows[source.name] = {"cluster": source.cluster, "lag_s": lag, "last_success_at": _iso(source.last_success_at),
                             "last_error": source.last_error}
        if source.last_error or (lag is not None and lag > STALE_PULL_S):
            failing.append(source.name)
    summary = f"{len(rows)} enabled" + (f", behind or failing: {', '.join(failing)}" if failing else "")
    return status.Section(ok=not failing, summary=summary, details={"sources": rows})
