"""A search engine that cannot answer (auditui/events/store/availability.py and the transports'
``unavailable_reason``): requests to an address where nothing listens raise ``StoreUnavailable``
with a short reason; the engines' "not now" answers are told apart from refused requests."""

from __future__ import annotations

import elastic_transport
import elasticsearch
import opensearchpy
import pytest

from auditui.access.scope import ViewerScope
from auditui.events.normalize import normalize_event
from auditui.events.store import EventQuery, StoreUnavailable, store_for
from auditui.events.store.availability import connection_reason
from auditui.events.store.elasticsearch import ElasticsearchTransport
from auditui.events.store.opensearch import OpenSearchTransport
from tests.factories import audit_event
from tests.services import closed_port


@pytest.mark.parametrize("engine,title", [("opensearch", "OpenSearch"), ("elasticsearch", "Elasticsearch")])
def test_it_says_an_engine_where_nothing_listens_cannot_be_reached(engine, title):
    port = closed_port()
    store = store_for(f"{engine}://auditui:s3cret@127.0.0.1:{port}", "p-unreachable")
    expected = f"{title} at http://127.0.0.1:{port} cannot be reached: connection refused"
    with pytest.raises(StoreUnavailable) as read:
        store.search(EventQuery(scope=ViewerScope.all()))
    assert str(read.value) == expected
    with pytest.raises(StoreUnavailable) as write:
        store.write([normalize_event(audit_event(), cluster="c1")])
    assert str(write.value) == expected
    assert "s3cret" not in str(read.value)


def test_it_tells_not_now_answers_from_refused_requests_on_opensearch():
    reason = OpenSearchTransport.unavailable_reason
    assert reason(opensearchpy.TransportError(503, "cluster_block_exception", {})) == "is not ready (HTTP 503)"
    assert "credentials" in reason(opensearchpy.AuthenticationException(401, "unauthorized", {}))
    assert "overloaded" in reason(opensearchpy.TransportError(429, "rejected", {}))
    assert reason(opensearchpy.ConnectionTimeout("TIMEOUT", "read timed out", None)) == "did not answer in time"
    # A bad request or a missing index is not the engine being away: those stay errors.
    assert reason(opensearchpy.RequestError(400, "parsing_exception", {})) is None
    assert reason(opensearchpy.NotFoundError(404, "index_not_found_exception", {})) is None
    assert reason(ValueError("not a client error")) is None


def _api_error(status: int) -> elasticsearch.ApiError:
    meta = elastic_transport.ApiResponseMeta(
        status=status, http_version="1.1", headers=elastic_transport.HttpHeaders(), duration=0.0,
        node=elastic_transport.NodeConfig("http", "127.0.0.1", 9200))
    return elasticsearch.ApiError("error", meta=meta, body={})


def test_it_tells_not_now_answers_from_refused_requests_on_elasticsearch():
    reason = ElasticsearchTransport.unavailable_reason
    assert reason(_api_error(503)) == "is not ready (HTTP 503)"
    assert "HTTP 403" in reason(_api_error(403))
    assert reason(_api_error(400)) is None
    assert reason(elasticsearch.ConnectionTimeout("timed out")) == "did not answer in time"


def test_a_tls_failure_says_what_to_set():
    failure = ConnectionError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate")
    assert "ca_certs" in connection_reason(failure, timed_out=False)
    assert connection_reason(ConnectionError("odd"), timed_out=False) == "cannot be reached (ConnectionError)"
