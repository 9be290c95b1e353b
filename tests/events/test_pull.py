"""Pull sources against a real OpenSearch node: an index written by another program (here, bulk
requests shaped like fluent-bit's: raw audit events, dynamic mapping) is copied into auditui."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from auditui.events import pull
from auditui.events.models import AuditEvent, PullSource
from tests.factories import audit_event

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_it_builds_a_search_after_body_from_the_checkpoint():
    source = PullSource(name="s", url="http://x", cluster="c", batch_size=10)
    first = pull.search_body(source, [])
    assert "search_after" not in first and first["size"] == 10
    assert [list(s)[0] for s in first["sort"]] == ["requestReceivedTimestamp", "auditID.keyword", "stage.keyword"]
    assert pull.search_body(source, [1, "a", "b"])["search_after"] == [1, "a", "b"]


@pytest.mark.django_db
def test_it_says_when_the_password_variable_is_missing(monkeypatch):
    monkeypatch.delenv("NOPE_PASSWORD", raising=False)
    source = PullSource(name="s", url="http://x", cluster="c", username="u", password_env="NOPE_PASSWORD")
    with pytest.raises(pull.PullError, match="NOPE_PASSWORD"):
        pull.make_client(source)


@pytest.mark.django_db
def test_it_records_an_unreachable_source_and_shows_it_on_the_overview(client, admin):
    source = PullSource.objects.create(name="down", url="http://127.0.0.1:9", cluster="c")
    assert pull.run_source(source.pk) is None
    source.refresh_from_db()
    assert "ConnectionError" in source.last_error and source.last_run_at is not None
    client.force_login(admin)
    body = client.get("/").content.decode()
    assert "down" in body and "ConnectionError" in body


@pytest.mark.django_db
def test_it_claims_each_due_source_once():
    now = timezone.now()
    a = PullSource.objects.create(name="a", url="http://x", cluster="c", interval_seconds=60)
    PullSource.objects.create(name="off", url="http://x", cluster="c", enabled=False)
    assert pull.claim_due_sources(now) == [a.pk]
    assert pull.claim_due_sources(now) == []  # a duplicated tick finds nothing to do
    assert pull.claim_due_sources(now + timedelta(seconds=61)) == [a.pk]


def _write(client, index: str, events: list[dict]) -> None:
    lines = []
    for event in events:
        lines += [{"index": {"_index": index}}, event]
    response = client.bulk(body=lines, refresh="true")
    assert not response["errors"]


@pytest.mark.opensearch
@pytest.mark.django_db(transaction=True)
def test_it_pulls_new_events_once_across_restarts(opensearch_url):
    from opensearchpy import OpenSearch

    os_client = OpenSearch(hosts=[opensearch_url])
    prefix = f"tigera_secure_ee_audit_{uuid.uuid4().hex[:8]}"
    # Several events share a timestamp (all stages of a request do): the tiebreakers keep them apart.
    first = [audit_event(time=T0 + timedelta(seconds=i // 3)) for i in range(23)]
    received = {**first[0], "stage": "RequestReceived"}
    not_an_event = {"kind": 0, "requestReceivedTimestamp": "2026-11-01T12:00:01Z"}
    _write(os_client, f"{prefix}_kube", [*first, received, not_an_event])
    source = PullSource.objects.create(name="calico", url=opensearch_url, index_pattern=f"{prefix}_*",
                                       cluster="prod", batch_size=5)
    result = pull.run_source(source.pk)
    assert (result.read, result.ingested, result.rejected) == (25, 24, 1)
    assert AuditEvent.objects.filter(cluster="prod").count() == 24

    # A restart: a new process reads the checkpoint from the database and goes on from there.
    later = [audit_event(time=T0 + timedelta(minutes=5, seconds=i // 4)) for i in range(9)]
    _write(os_client, f"{prefix}_ee", later)
    result = pull.run_source(PullSource.objects.get(pk=source.pk).pk)
    assert (result.read, result.ingested, result.duplicates) == (9, 9, 0)
    assert pull.run_source(source.pk).read == 0
    source.refresh_from_db()
    assert source.pulled_total == 33 and source.last_error == ""
    assert source.checkpoint_time == T0 + timedelta(minutes=5, seconds=2)
    assert AuditEvent.objects.filter(cluster="prod").count() == 33

    # Reading everything again (the admin's reset) adds nothing: ingest is idempotent.
    PullSource.objects.filter(pk=source.pk).update(checkpoint=[])
    again = pull.run_source(source.pk)
    assert (again.ingested, again.duplicates) == (0, 33)
    os_client.indices.delete(index=f"{prefix}_*")


@pytest.mark.opensearch
@pytest.mark.django_db(transaction=True)
def test_a_store_that_cannot_take_events_is_recorded_and_the_batch_read_again(opensearch_url, settings):
    from opensearchpy import OpenSearch

    from tests.services import closed_port

    os_client = OpenSearch(hosts=[opensearch_url])
    index = f"fluentbit-audit-{uuid.uuid4().hex[:8]}"
    _write(os_client, index, [audit_event(time=T0 + timedelta(seconds=i)) for i in range(3)])
    source = PullSource.objects.create(name="fb", url=opensearch_url, index_pattern=index, cluster="prod")
    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{closed_port()}"
    assert pull.run_source(source.pk) is None
    source.refresh_from_db()
    assert source.last_error.startswith("the event store cannot take events: OpenSearch at")
    assert source.checkpoint in ([], None) and source.pulled_total == 0
    # Once the store answers again the same events come in.
    settings.EVENT_STORE_URL = "sql"
    assert pull.run_source(source.pk).ingested == 3
    os_client.indices.delete(index=index)


# --- where the password comes from ----------------------------------------------------------

class _Recorder(BaseHTTPRequestHandler):
    """A search engine that answers every search with ``server.hits`` (then nothing), and keeps
    each request's Authorization header."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(self.headers.get("Authorization"))
        hits, self.server.hits = self.server.hits, []
        body = json.dumps({"hits": {"hits": hits}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer


@pytest.fixture
def engine():
    """A real HTTP server on a free port standing in for the source's search engine."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen, server.hits = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _source(engine, **fields) -> PullSource:
    return PullSource.objects.create(name="calico", url=f"http://127.0.0.1:{engine.server_port}", cluster="prod",
                                     username="reader", **fields)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL"])
def test_it_never_sends_a_secret_that_is_not_a_pull_password(engine, monkeypatch, name):
    # Saved before the rules existed (create() does not run clean()).
    monkeypatch.setenv(name, "the-crown-jewels")
    source = _source(engine, password_env=name)

    assert pull.run_source(source.pk) is None

    source.refresh_from_db()
    assert source.last_error.startswith("password refused: the password variable must be named AUDITUI_PULL_")
    assert engine.seen == []  # not one request left auditui


@pytest.mark.django_db
def test_it_sends_the_password_of_an_auditui_pull_variable(engine, monkeypatch):
    monkeypatch.setenv("AUDITUI_PULL_CALICO", "s3cret")
    engine.hits = [{"_index": "i", "_id": "1", "_source": audit_event(name="pulled"), "sort": [1, "a", "b"]}]
    source = _source(engine, password_env="AUDITUI_PULL_CALICO")

    result = pull.run_source(source.pk)

    assert result is not None and result.ingested == 1
    assert engine.seen[0] == _basic("reader", "s3cret")
    assert AuditEvent.objects.get(name="pulled").source == "pull:calico"


@pytest.mark.django_db
def test_it_reads_the_password_from_a_file_in_the_secrets_directory(engine, settings, tmp_path):
    (tmp_path / "calico").mkdir()
    (tmp_path / "calico" / "password").write_text("from-a-file\n")
    settings.AUDITUI_SECRETS_DIR = str(tmp_path)
    source = _source(engine, password_file="calico/password")

    assert pull.run_source(source.pk) is not None

    assert engine.seen == [_basic("reader", "from-a-file")]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["../outside", "/etc/hostname", "link-out", "calico/../../outside"])
def test_it_refuses_a_password_file_outside_the_secrets_directory(engine, settings, tmp_path, name):
    secrets, outside = tmp_path / "secrets", tmp_path / "outside"
    secrets.mkdir()
    outside.write_text("not yours")
    (secrets / "link-out").symlink_to(outside)
    settings.AUDITUI_SECRETS_DIR = str(secrets)
    source = _source(engine, password_file=name)

    with pytest.raises(ValidationError, match="must be inside AUDITUI_SECRETS_DIR"):
        source.full_clean()
    assert pull.run_source(source.pk) is None
    source.refresh_from_db()
    assert "password refused" in source.last_error and engine.seen == []


@pytest.mark.django_db
def test_it_refuses_password_files_while_no_secrets_directory_is_set(engine, settings, tmp_path):
    (tmp_path / "password").write_text("x")
    settings.AUDITUI_SECRETS_DIR = ""
    source = _source(engine, password_file=str(tmp_path / "password"))

    with pytest.raises(ValidationError, match="password files are off: set AUDITUI_SECRETS_DIR"):
        source.full_clean()
    assert pull.run_source(source.pk) is None
    assert engine.seen == []


def test_it_validates_the_password_variable_when_saved():
    source = PullSource(name="s", url="http://search.internal:9200", cluster="c", password_env="SECRET_KEY")
    with pytest.raises(ValidationError) as raised:
        source.clean()
    assert "must be named AUDITUI_PULL_" in raised.value.message_dict["password_env"][0]
    PullSource(name="s", url="http://x", cluster="c", password_env="AUDITUI_PULL_CALICO_PASSWORD").clean()
    both = PullSource(name="s", url="http://x", cluster="c", password_env="AUDITUI_PULL_A", password_file="a")
    with pytest.raises(ValidationError, match="not both"):
        both.clean()

@pytest.mark.opensearch
@pytest.mark.django_db(transaction=True)
def test_it_moves_past_records_it_cannot_store_or_decode_and_shows_the_count(opensearch_url, client, admin):
    # Issue 12: a record the store refused (PostgreSQL: a long namespace, \u0000) stopped the
    # source for good, and one the client cannot decode (nested 2,000 levels) does it anywhere.
    import json
    import urllib.request

    index = f"fluentbit-audit-{uuid.uuid4().hex[:8]}"

    def put(doc: bytes) -> None:
        request = urllib.request.Request(f"{opensearch_url}/{index}/_doc?refresh=true", data=doc, method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).close()

    # The program that fills the index maps only what it sorts on (a dynamic mapping would
    # refuse the deep record itself).
    urllib.request.urlopen(urllib.request.Request(
        f"{opensearch_url}/{index}", method="PUT", headers={"Content-Type": "application/json"},
        data=json.dumps({"mappings": {"dynamic": False, "properties": {
            "requestReceivedTimestamp": {"type": "date"}, "auditID": {"type": "keyword"},
            "stage": {"type": "keyword"}}}}).encode())).close()
    deep = audit_event(time=T0 + timedelta(seconds=1), requestObject="@")
    put(json.dumps(audit_event(time=T0)).encode())
    put(json.dumps(deep).replace('"@"', '{"a":' * 2000 + "1" + "}" * 2000).encode())
    put(json.dumps(audit_event(time=T0 + timedelta(seconds=2), namespace="n" * 300, name="x\u0000")).encode())
    put(json.dumps(audit_event(time=T0 + timedelta(seconds=3), stage=["ResponseComplete"])).encode())
    put(json.dumps(audit_event(time=T0 + timedelta(seconds=4))).encode())
    source = PullSource.objects.create(name="fb", url=opensearch_url, index_pattern=index, cluster="prod",
                                       tiebreaker_fields="auditID,stage", batch_size=3)
    try:
        result = pull.run_source(source.pk)
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{opensearch_url}/{index}", method="DELETE")).close()
    assert (result.read, result.ingested, result.rejected) == (5, 3, 2)
    source.refresh_from_db()
    assert (source.pulled_total, source.rejected_total, source.last_error) == (3, 2, "")
    assert source.checkpoint_time == T0 + timedelta(seconds=4)
    assert AuditEvent.objects.get(cluster="prod", name="x\\u0000").namespace == "n" * 253
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert '<td class="num code-bad" data-testid="pull-rejected">2</td>' in page
