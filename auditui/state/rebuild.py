"""Rebuild a cluster's state at an instant: the last stored snapshot at or before it, then the
audit events since, read through the event store's public interface (any backend)."""

from __future__ import annotations

from datetime import datetime, timedelta

from auditui.access.scope import ViewerScope
from auditui.events.normalize import AuditRecord
from auditui.events.query import parse as parse_query
from auditui.events.store import EventQuery, get_store
from auditui.state import replay
from auditui.state.cluster import ClusterState
from auditui.state.kinds import RESOURCES
from auditui.state.models import StateSnapshot

PAGE_SIZE = 1000
_QUERY = (
    '"objectRef.resource" IN {' + ", ".join(f'"{r}"' for r in RESOURCES) + "} AND verb IN {"
    + ", ".join(f'"{v}"' for v in replay.VERBS) + "}"
)
# ``at`` includes events stamped at that very microsecond.
_INCLUSIVE = timedelta(microseconds=1)


def last_snapshot(cluster: str, at: datetime) -> StateSnapshot | None:
    """The newest snapshot at or before ``at`` (an imported one wins a tie: it is the truth)."""
    return (
        StateSnapshot.objects.filter(cluster=cluster, at__lte=at)
        .order_by("-at", "-source")  # "imported" sorts after "daily"
        .first()
    )


def state_events(cluster: str, start: datetime | None, end: datetime) -> list[AuditRecord]:
    """The writes that can change the state, in [start, end), oldest first. The state is the
    whole cluster's (policies are cluster-wide), so it is read with everything in view; callers
    apply the viewer's scope to what they show."""
    q = EventQuery(
        scope=ViewerScope.all(), start=start, end=end, clusters=(cluster,), query=parse_query(_QUERY),
        filters={"stage": "ResponseComplete"},
    )
    records = get_store().every_record(q, page_size=PAGE_SIZE)
    return sorted((r for r in records if replay.relevant(r)), key=replay.replay_order)


def rebuild(cluster: str, at: datetime, *, inclusive: bool = True) -> ClusterState:
    """The state of ``cluster`` at ``at`` (with the events stamped at ``at`` unless not
    ``inclusive``: a snapshot at S holds the events before S, and a replay from it starts at S)."""
    snapshot = last_snapshot(cluster, at)
    state = ClusterState.from_json(snapshot.state) if snapshot else ClusterState(cluster)
    start = snapshot.at if snapshot else None
    end = at + _INCLUSIVE if inclusive else at
    # A snapshot taken at ``at`` itself (a daily report's interval starts at midnight) is the
    # state just before it: no events to replay.
    if start is None or start < end:
        for record in state_events(cluster, start, end):
            replay.apply(state, record)
    state.at = at
    return state
