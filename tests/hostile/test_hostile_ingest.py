"""The hostile corpus (``corpus.py``) mixed with good events, through every way in, on every
backend (``backend_store``: SQL, which is PostgreSQL when DATABASE_URL says so, OpenSearch,
Elasticsearch through the proxy, OpenSearch with monthly indices).

Issue 12: one hostile record used to fail its whole batch (PostgreSQL: a long namespace or a
``\\u0000``; everywhere: an integer of 5,000 digits), losing the good events around it.
"""

from __future__ import annotations

import io
import json
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command

from auditui.access.models import IngestToken
from auditui.access.scope import ViewerScope
from auditui.events import pull, services
from auditui.events.models import PullSource
from auditui.events.store import EventQuery, get_store
from tests.hostile.corpus import GOOD_USER, SCRIPT, Case, good_events, hostile_cases, mixed_lines, time_range

ALL = ViewerScope.all()
CASES = hostile_cases()


def _body(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def via_webhook(lines: list[bytes], cluster: str, **fixtures) -> tuple[int, dict]:
    _row, token = IngestToken.issue(cluster=cluster)
    response = fixtures["client"].post("/api/v1/audit/webhook", data=_body(lines), content_type="application/json",
                                       headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content[:500]
    return len(lines), response.json()


def _command(*args: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", "--json", *args, stdout=out, stderr=err)
    assert "rejected " in err.getvalue()  # each rejection with its place and reason
    return json.loads(out.getvalue().strip().splitlines()[-1])


def via_file(lines: list[bytes], cluster: str, **fixtures) -> tuple[int, dict]:
    path = Path(fixtures["tmp_path"]) / "hostile.log"
    path.write_bytes(_body(lines))
    return len(lines), _command("--cluster", cluster, str(path))


def via_stdin(lines: list[bytes], cluster: str, **fixtures) -> tuple[int, dict]:
    class Stdin:
        buffer = io.BytesIO(_body(lines))

    fixtures["monkeypatch"].setattr(sys, "stdin", Stdin())
    return len(lines), _command("--cluster", cluster, "-")


def via_upload(lines: list[bytes], cluster: str, **fixtures) -> tuple[int, dict]:
    job = services.ingest_job_create(cluster=cluster, file_name="hostile.log", content=io.BytesIO(_body(lines)))
    job = services.run_ingest_job(job.pk)
    assert job.status == "done", job.error
    assert all(": " in rejection for rejection in job.rejections)
    return len(lines), {"ingested": job.ingested, "duplicates": job.duplicates, "rejected": job.rejected,
                        "dropped": job.dropped}


def via_pull(lines: list[bytes], cluster: str, **fixtures) -> tuple[int, dict]:
    """Another program's index on the real node holds the records (those the node takes: it
    refuses NaN, numbers of more than 1,000 characters and invalid UTF-8 itself)."""
    url = fixtures["request"].getfixturevalue("opensearch_url")
    index = f"hostile-source-{uuid.uuid4().hex[:10]}"
    mapping = {"mappings": {"dynamic": False, "properties": {
        name: {"type": "keyword"} for name in ("requestReceivedTimestamp", "auditID", "stage")}}}
    _http(url, f"/{index}", "PUT", json.dumps(mapping).encode())
    try:
        taken = {line for line in lines if _http(url, f"/{index}/_doc", "POST", line, ok=False)}
        fixtures["offered"].intersection_update(taken)
        _http(url, f"/{index}/_refresh", "POST", b"")
        source = PullSource.objects.create(name=index, url=url, index_pattern=index, cluster=cluster,
                                           tiebreaker_fields="auditID,stage")
        result = pull.run_source(source.pk)
        assert result is not None
        source.refresh_from_db()
        assert source.rejected_total == result.rejected and source.last_error == ""
    finally:
        _http(url, f"/{index}", "DELETE", b"", ok=False)
    return result.read, {"ingested": result.ingested, "duplicates": result.duplicates,
                         "rejected": result.rejected, "dropped": 0}


def _http(base: str, path: str, method: str, body: bytes, *, ok: bool = True) -> bool:
    """Whether the node took the request; ``ok``: it must."""
    request = urllib.request.Request(base + path, data=body or None, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=60).close()
    except urllib.error.HTTPError:
        if ok:
            raise
        return False
    return True


WAYS = {"webhook": via_webhook, "file": via_file, "stdin": via_stdin, "upload": via_upload,
        "pull": via_pull}


def _found(store, cluster: str, audit_id: str) -> list:
    return store.search(EventQuery(scope=ALL, clusters=(cluster,), filters={"audit_id": audit_id})).records


@pytest.mark.parametrize("way", [*WAYS][:4] + [pytest.param("pull", marks=pytest.mark.opensearch)])
def test_it_stores_or_rejects_every_hostile_record_and_keeps_every_good_one(
    way, backend_store, client, admin, tmp_path, monkeypatch, request
):
    cluster = f"hostile-{way}"
    goods = good_events()
    lines = mixed_lines(CASES, goods)
    offered = set(lines)  # what reached auditui (a pull source's node refuses some itself)
    read, counts = WAYS[way](lines, cluster, client=client, tmp_path=tmp_path, monkeypatch=monkeypatch,
                             request=request, offered=offered)
    cases = [case for case in CASES if case.line in offered]
    assert counts["ingested"] + counts["duplicates"] + counts["rejected"] + counts["dropped"] == read
    store = get_store()
    good_query = EventQuery(scope=ALL, clusters=(cluster,), filters={"username": GOOD_USER})
    assert {r.audit_id for r in store.search(good_query, page_size=100).records} == {e["auditID"] for e in goods}
    stored = [case for case in cases if case.stored and _found(store, cluster, case.audit_id)]
    assert [case.name for case in cases if case.stored and case not in stored] == []
    assert [case.name for case in cases if not case.stored and _found(store, cluster, f"hostile-{case.name}")] == []
    assert counts["rejected"] == sum(not case.stored for case in cases)
    assert counts["ingested"] == len(goods) + len(stored)
    if way != "pull":
        assert len(cases) == len(CASES)
    _assert_pages_answer(client, admin, store, cluster, stored)


def _assert_pages_answer(client, admin, store, cluster: str, stored: list[Case]) -> None:
    """Pages and the API show every stored hostile event without a 500, and HTML in it inert."""
    client.force_login(admin)
    start, end = time_range()
    params = {"cluster": cluster, "start": start, "end": end}
    for url in ("/events/", "/api/v1/events"):
        response = client.get(url, {**params, "page_size": 100})
        assert response.status_code == 200, url
        assert SCRIPT.encode() not in response.content or url.startswith("/api")
    client.raise_request_exception = False  # a 500 is an answer to look at, not an exception
    for case in stored:
        (record,) = _found(store, cluster, case.audit_id)
        for url in (f"/events/{record.id}/", f"/events/{record.id}/expand/"):
            response = client.get(url)
            assert response.status_code == 200, (case.name, url)
            assert SCRIPT.encode() not in response.content, (case.name, url)
            if case.name == "nul" and url.endswith(f"{record.id}/"):
                assert b"Made safe at ingest" in response.content and b"stored as the text" in response.content
        response = client.get(f"/api/v1/events/{record.id}")
        assert response.status_code == 200 and response["Content-Type"].startswith("application/json"), case.name


BIG = 123456789012345678901234567890  # 97 bits: orjson would make it 1.2345678901234568e+29


@pytest.mark.parametrize("way", [*WAYS][:4])
def test_it_keeps_integers_beyond_64_bits_exact(way, backend_store, client, admin, tmp_path, monkeypatch, request):
    cluster = f"bigint-{way}"
    event = good_events()[0] | {"auditID": "bigint", "requestObject": {"spec": {"replicas": BIG, "list": [-BIG]}}}
    line = json.dumps(event).encode()
    if way == "file":
        path = tmp_path / "big.log"
        path.write_bytes(line + b"\n")
        call_command("ingest", "--cluster", cluster, str(path), stdout=io.StringIO())
    elif way == "stdin":
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": io.BytesIO(line + b"\n")}))
        call_command("ingest", "--cluster", cluster, "-", stdout=io.StringIO())
    else:
        WAYS[way]([line], cluster, client=client, tmp_path=tmp_path, monkeypatch=monkeypatch, request=request)
    [stored] = _found(get_store(), cluster, "bigint")
    assert stored.raw["requestObject"]["spec"] == {"replicas": BIG, "list": [-BIG]}
