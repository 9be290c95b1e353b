"""Pull sources: copy audit events that another program writes into an Elasticsearch/OpenSearch
index (fluent-bit, fluentd, Calico's log collector) into auditui.

Reads in (time, tiebreakers…) order with ``search_after`` and keeps the sort values of the last
event as a persistent checkpoint, saved after every batch: a crash or restart re-reads at most
one batch, and ingest is idempotent on (cluster, auditID, stage), so nothing is duplicated and
nothing is skipped (at least once, exactly once in effect). A record that cannot be stored is
rejected (counted on the source, its place and reason logged) and the checkpoint moves past it:
only an unavailable store keeps the checkpoint where it is. At the end of a run what it stored is
made searchable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from auditui.access.scope import ReservedClusterError
from auditui.events import provenance
from auditui.events.ingest import Ingestor, IngestReport
from auditui.events.models import PullSource
from auditui.events.normalize import RejectedRecord, parse_time
from auditui.events.pull_secrets import SecretRefused, read_password
from auditui.events.store import StoreUnavailable
from auditui.events.store.engine_config import EngineConfig

log = logging.getLogger(__name__)
MAX_BATCHES_PER_RUN = 50


class PullError(Exception):
    """The source cannot be read; the message is shown on the overview."""


@dataclass(frozen=True)
class PullResult:
    batches: int
    read: int
    ingested: int
    duplicates: int
    rejected: int


def _password(source: PullSource) -> str | None:
    """Checked again here, not only when saved: a source saved before the rules existed must not
    send another secret of auditui's environment to the source's URL."""
    try:
        return read_password(env=source.password_env, file=source.password_file)
    except SecretRefused as exc:
        raise PullError(f"password refused: {exc}") from exc
    except KeyError as exc:
        raise PullError(str(exc.args[0])) from exc
    except OSError as exc:
        raise PullError(f"cannot read the password file {source.password_file}: {exc.strerror or exc}") from exc


def make_client(source: PullSource):
    """The same opensearch-py / elasticsearch clients the event stores use; both answer
    ``search(index=, body=)``."""
    config = EngineConfig(
        engine=source.engine, url=source.url.rstrip("/"), username=source.username or None,
        password=_password(source), verify_certs=source.verify_tls,
    )
    # in the function: only the source's engine client loads (opensearch-py or elasticsearch)
    if source.engine == PullSource.Engine.ELASTICSEARCH:
        from auditui.events.store.elasticsearch import client_for
    else:
        from auditui.events.store.opensearch import client_for
    return client_for(config)


def search_body(source: PullSource, checkpoint: list) -> dict:
    tiebreakers = [f.strip() for f in source.tiebreaker_fields.split(",") if f.strip()]
    sort = [{source.time_field: {"order": "asc"}}]
    sort += [{field: {"order": "asc", "missing": "_first"}} for field in tiebreakers]
    body: dict = {"size": source.batch_size, "sort": sort, "query": {"exists": {"field": source.time_field}}}
    if checkpoint:
        body["search_after"] = checkpoint
    return body


def _event_time(source: PullSource, event: object) -> datetime | None:
    if not isinstance(event, dict):
        return None
    try:
        return parse_time(event.get(source.time_field), source.time_field)
    except RejectedRecord:
        return None


def pull(source: PullSource, *, client=None, max_batches: int = MAX_BATCHES_PER_RUN) -> PullResult:
    """Read new events batch by batch, saving the checkpoint after each; raises PullError."""
    client = client or make_client(source)
    checkpoint = list(source.checkpoint or [])
    batches = read = 0
    try:
        ingestor = Ingestor(cluster=source.cluster, batch_size=source.batch_size, source=provenance.pull(source))
    except ReservedClusterError as exc:  # a source saved before the name was reserved
        raise PullError(str(exc)) from exc
    # What the batches behind the checkpoint stored and rejected (a failed batch is read again).
    counted = (0, 0)
    try:
        for _ in range(max_batches):
            hits = _pull_batch(source, client, checkpoint, ingestor)
            if not hits:
                break
            batches, read = batches + 1, read + len(hits)
            checkpoint = hits[-1]["sort"]
            _save_checkpoint(source, checkpoint, _event_time(source, hits[-1].get("_source")))
            counted = (ingestor.report.ingested, ingestor.report.rejected)
            if len(hits) < source.batch_size:
                break
    finally:
        _count(source, ingestor.report, *counted)
    try:
        ingestor.make_searchable()
    except StoreUnavailable as exc:  # stored and counted; searchable within the refresh interval
        log.warning("pull source %s: could not make its events searchable at once: %s", source.name, exc)
    report = ingestor.report
    return PullResult(batches, read, report.ingested, report.duplicates, report.rejected)


def _pull_batch(source: PullSource, client, checkpoint: list, ingestor: Ingestor) -> list[dict]:
    """One batch read and stored; its hits (none at the end). Raises PullError when the source
    cannot be read or the store cannot take events (the checkpoint then stays before it)."""
    try:
        hits = _search(client, source, search_body(source, checkpoint))
    except _DecodeError:
        hits = _hits_one_by_one(client, source, checkpoint)
    try:
        for hit in hits:
            position = f"{hit.get('_index')}/{hit.get('_id')}"
            if UNDECODABLE in hit:
                ingestor.report.reject(position, hit[UNDECODABLE])
            else:
                ingestor.feed_value(hit.get("_source"), position)
        ingestor.flush()
    except StoreUnavailable as exc:
        raise PullError(f"the event store cannot take events: {exc}") from exc
    return hits


class _DecodeError(Exception):
    """The client could not decode the response (a document nested too deeply, a number Python
    will not convert): some hit in it is one no JSON parser here takes."""


# Marks a hit whose document could not be decoded; the value is the rejection's reason.
UNDECODABLE = "_auditui_undecodable"


def _search(client, source: PullSource, body: dict) -> list[dict]:
    try:
        return client.search(index=source.index_pattern, body=body)["hits"]["hits"]
    except (RecursionError, ValueError) as exc:
        raise _DecodeError(f"{type(exc).__name__}: {exc}"[:200]) from exc
    except Exception as exc:  # the clients raise many types; all mean "cannot read the source"
        if type(exc).__name__ == "SerializationError":
            raise _DecodeError("the document cannot be decoded") from exc
        raise PullError(f"{type(exc).__name__}: {exc}"[:2000]) from exc


def _hits_one_by_one(client, source: PullSource, checkpoint: list) -> list[dict]:
    """The batch read a hit at a time, after a batch that could not be decoded: a hit that
    cannot be decoded is read again without its document (only where it sorts), and marked
    ``UNDECODABLE``, so that it is rejected and the checkpoint moves past it."""
    hits: list[dict] = []
    after = checkpoint
    for _ in range(source.batch_size):
        body = {**search_body(source, after), "size": 1}
        try:
            found = _search(client, source, body)
        except _DecodeError as exc:
            found = _search(client, source, {**body, "_source": False})
            for hit in found:
                hit[UNDECODABLE] = f"the document cannot be decoded ({exc})"
        if not found:
            break
        hits += found
        after = found[-1]["sort"]
    return hits


def _count(source: PullSource, report: IngestReport, ingested: int, rejected: int) -> None:
    """Add what this run stored and rejected to the source's totals (and log the rejections)."""
    for rejection in report.rejections:
        log.warning("pull source %s rejected %s", source.name, rejection)
    if ingested or rejected:
        PullSource.objects.filter(pk=source.pk).update(
            pulled_total=F("pulled_total") + ingested, rejected_total=F("rejected_total") + rejected)


def _save_checkpoint(source: PullSource, checkpoint: list, time: datetime | None) -> None:
    changes = {"checkpoint": checkpoint}
    if time is not None:
        changes["checkpoint_time"] = time
    PullSource.objects.filter(pk=source.pk).update(**changes)
    source.checkpoint = checkpoint


def run_source(source_id: int) -> PullResult | None:
    """Pull one source and record the outcome (success time or the error) on it."""
    source = PullSource.objects.filter(pk=source_id, enabled=True).first()
    if source is None:
        return None
    now = timezone.now()
    try:
        result = pull(source)
    except PullError as exc:
        log.warning("pull source %s failed: %s", source.name, exc)
        PullSource.objects.filter(pk=source.pk).update(last_run_at=now, last_error=str(exc)[:2000])
        return None
    PullSource.objects.filter(pk=source.pk).update(last_run_at=now, last_success_at=timezone.now(), last_error="")
    return result


def claim_due_sources(now: datetime | None = None) -> list[int]:
    """Sources whose turn has come, each claimed by moving its next run forward in one
    conditional UPDATE, so that a duplicated beat tick or a second worker never pulls twice."""
    now = now or timezone.now()
    claimed = []
    due = PullSource.objects.filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now), enabled=True)
    for source in due:
        next_run = now + timedelta(seconds=source.interval_seconds)
        won = PullSource.objects.filter(pk=source.pk, next_run_at=source.next_run_at).update(next_run_at=next_run)
        if won:
            claimed.append(source.pk)
    return claimed
