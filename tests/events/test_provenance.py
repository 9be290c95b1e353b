"""Provenance: every stored event records how it came in (webhook token, upload job and its user,
pull source, command line, demo), searchable as ``source`` on every backend, shown on the event's
page and in the API. (Pull sources: tests/events/test_pull.py.)"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from auditui.access.models import IngestToken
from auditui.access.scope import ViewerScope
from auditui.events import services
from auditui.events.ingest import ingest_events
from auditui.events.models import DropRule, IngestJob
from auditui.events.query import matches, parse
from auditui.events.store import get_store
from auditui.events.store.base import EventQuery
from tests.factories import audit_event, event_list

pytestmark = pytest.mark.django_db


def find(query: str) -> list:
    page = get_store().search(EventQuery(scope=ViewerScope.all(), query=parse(query)), page_size=100)
    return page.records


def only(records: list):
    assert len(records) == 1, records
    return records[0]


def test_it_records_the_webhook_token_an_event_came_through(client, backend_store):
    row, plain = IngestToken.issue(cluster="prod-eu")

    response = client.post("/api/v1/audit/webhook", data=json.dumps(event_list([audit_event(name="hooked")])),
                           content_type="application/json", headers={"Authorization": f"Bearer {plain}"})

    assert response.status_code == 200
    record = only(find('name = "hooked"'))
    assert record.source == f"webhook:token-{row.pk}/{row.prefix}"
    assert plain not in record.source  # the public prefix, never the secret
    assert only(find(f'source = "webhook:token-{row.pk}/*"')).name == "hooked"


def test_it_records_the_upload_job_and_its_user(admin, backend_store):
    job = IngestJob.objects.create(cluster="c1", file_name="a.log", path="", created_by=admin)
    path = Path(services.uploads_dir()) / f"{job.pk}-a.log"
    path.write_text(json.dumps(audit_event(name="uploaded")) + "\n")
    IngestJob.objects.filter(pk=job.pk).update(path=str(path))

    services.run_ingest_job(job.pk)

    assert only(find('name = "uploaded"')).source == f"upload:job-{job.pk}/admin"
    assert only(find('source = "upload:*"')).name == "uploaded"


def test_it_records_the_user_host_and_path_of_the_ingest_command(tmp_path, backend_store):
    path = tmp_path / "audit.log"
    path.write_text(json.dumps(audit_event(name="from-cli")) + "\n")

    call_command("ingest", "--cluster", "c1", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    source = only(find('name = "from-cli"')).source
    assert source.startswith("cli:") and f"@{socket.gethostname()}:" in source
    assert source.endswith(f":{path}")
    assert only(find('source = "cli:*"')).name == "from-cli"


def test_it_tells_standard_input_apart_from_a_file(monkeypatch, backend_store):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(audit_event(name="piped")).encode())))

    call_command("ingest", "--cluster", "c1", "-", stdout=io.StringIO(), stderr=io.StringIO())

    assert only(find('name = "piped"')).source.endswith(":stdin")


def test_it_searches_events_without_a_source_as_empty(backend_store):
    ingest_events([audit_event(name="old")], cluster="c1")  # as events stored before provenance
    ingest_events([audit_event(name="new")], cluster="c1", source="upload:job-1/admin")

    assert only(find("source EMPTY")).name == "old"
    assert only(find("NOT source EMPTY")).name == "new"
    assert only(find('source != "upload:job-1/admin"')).name == "old"


@pytest.mark.opensearch
def test_it_searches_documents_written_before_the_source_field_existed(engine_store):
    from auditui.events.normalize import normalize_event
    from auditui.events.store import engine_document, engine_mapping
    from auditui.events.store.bulk import dumps

    # An index an earlier auditui created: its strict mapping has no "source" field.
    properties = engine_mapping.MAPPINGS["properties"]
    earlier = {**engine_mapping.MAPPINGS, "properties": {k: v for k, v in properties.items() if k != "source"}}
    record = normalize_event(audit_event(name="before"), cluster="c1")
    index = engine_store.index_for(record)
    if engine_store.engine_title == "OpenSearch":
        engine_store.transport.client.indices.create(index=index, body={"mappings": earlier})
    else:
        engine_store.transport.client.indices.create(index=index, mappings=earlier)
    document = engine_document.document(record)
    del document["source"]
    engine_store.transport.bulk(b"\n".join([dumps({"create": {"_index": index, "_id": document["event_id"]}}),
                                            dumps(document), b""]))

    # A new auditui writes into that same index: the field is added to its mapping, not refused.
    ingest_events([audit_event(name="after", time=record.time)], cluster="c1", source="cli:root@h:/a.log")

    assert only(find("source EMPTY")).name == "before"
    assert only(find('source = "cli:*"')).name == "after"
    assert only(find('name = "before"')).source == ""


def test_it_shows_the_source_on_the_event_page_and_in_the_api(client, admin, backend_store):
    ingest_events([audit_event(name="shown")], cluster="c1", source="pull:calico")
    record = only(find('name = "shown"'))
    client.force_login(admin)

    page = client.get(f"/events/{record.id}/").content.decode()

    assert "Received through" in page and "pull:calico" in page
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    data = api.get(f"/api/v1/events/{record.id}").json()
    assert data["source"] == "pull:calico"
    assert data["name"] == "shown" and data["event"]["objectRef"]["name"] == "shown"  # earlier keys stay


def test_it_never_takes_the_source_from_the_event_itself(backend_store):
    forged = {**audit_event(name="forged"), "source": "upload:job-1/admin"}

    ingest_events([forged], cluster="c1", source="webhook:token-9/aui_abcdefgh")

    assert only(find('name = "forged"')).source == "webhook:token-9/aui_abcdefgh"
    assert find('source = "upload:*"') == []


def test_drop_rules_can_match_the_source(db):
    DropRule.objects.create(name="no-sim", query='source = "simulator"')

    dropped = ingest_events([audit_event()], cluster="c1", source="simulator")
    kept = ingest_events([audit_event()], cluster="c1", source="cli:root@h:/a.log")

    assert (dropped.dropped, kept.ingested) == (1, 1)


def test_an_event_that_was_never_stored_has_no_source_to_match():
    assert matches(parse("source EMPTY"), {"kind": 0, "source": "upload:job-1/x"})


def test_it_cuts_a_very_long_source_to_the_column(backend_store):
    ingest_events([audit_event(name="deep")], cluster="c1", source="cli:u@h:/" + "d/" * 400)

    assert len(only(find('name = "deep"')).source) == 512


def test_the_search_page_offers_the_source_in_its_sidebar_and_expanded_rows(client, admin, backend_store):
    from django.utils import timezone

    ingest_events([audit_event(name="faceted", time=timezone.now())], cluster="c1", source="pull:calico")
    record = only(find('name = "faceted"'))
    client.force_login(admin)

    values = client.get("/events/fields/source/", {"start": "now-1h"}).content.decode()
    expanded = client.get(f"/events/{record.id}/expand/").content.decode()

    assert "pull:calico" in values
    assert "pull:calico" in expanded and "source" in expanded
