"""The search-engine transport (auditui/events/store/transport.py): one per store, through which
the store and its object-days index send every request, on the real node."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditui.access.scope import ViewerScope
from auditui.events.normalize import normalize_event
from auditui.events.store import EventQuery, ObjectRef, StoreUnavailable, store_for
from auditui.events.store.engine_config import EngineConfig
from auditui.events.store.opensearch import OpenSearchTransport
from tests.factories import audit_event
from tests.services import closed_port

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = {"resource": "networkpolicies", "api_group": "networking.k8s.io", "namespace": "payments"}


def test_it_refuses_a_refresh_policy_the_engines_do_not_know():
    with pytest.raises(ValueError, match="index refresh 'sometimes': true, false or wait_for"):
        OpenSearchTransport(EngineConfig.from_url("opensearch://127.0.0.1:9200"), write_refresh="sometimes")


def test_it_names_the_engine_it_cannot_reach_without_the_password():
    port = closed_port()
    transport = OpenSearchTransport(EngineConfig.from_url(f"opensearch://auditui:s3cret@127.0.0.1:{port}"))
    with pytest.raises(StoreUnavailable) as failed:
        transport.indices("anything-*")
    assert str(failed.value) == f"OpenSearch at http://127.0.0.1:{port} cannot be reached: connection refused"


@pytest.mark.django_db
def test_it_is_the_one_the_object_days_index_sends_through(engine_store, monkeypatch):
    assert engine_store.object_days.transport is engine_store.transport
    engine_store.write([normalize_event(audit_event(time=T0, name="deny-all", **POLICY), cluster="c1")])
    searched: list[str] = []
    search = engine_store.transport.search
    monkeypatch.setattr(engine_store.transport, "search",
                        lambda target, body: searched.append(target) or search(target, body))
    deny_all = ObjectRef(cluster="c1", name="deny-all", **POLICY)
    history = engine_store.history(EventQuery(scope=ViewerScope.all()), deny_all)
    assert [r.name for r in history] == ["deny-all"]
    # The object's days first (the object-days index), then the events of those days only.
    assert searched[0].startswith(f"{engine_store.prefix}.objects")
    assert searched[-1] == f"{engine_store.prefix}-c1-2026.01.01*"


def test_each_store_has_a_transport_of_its_engine():
    opensearch = store_for("opensearch://127.0.0.1:9200", "p-transport", "wait_for")
    elasticsearch = store_for("elasticsearch://127.0.0.1:9200", "p-transport", "wait_for")
    assert (opensearch.transport.engine_title, elasticsearch.transport.engine_title) == ("OpenSearch", "Elasticsearch")
    assert opensearch.refresh == opensearch.transport.write_refresh == "wait_for"
