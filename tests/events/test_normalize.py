from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from auditui.events.normalize import RejectedRecord, normalize_event
from tests.factories import audit_event


def test_it_extracts_the_indexed_fields():
    event = audit_event(verb="create", resource="networkpolicies", api_group="networking.k8s.io",
                        namespace="payments", name="deny-all", username="bob", groups=["devs"], code=201,
                        impersonatedUser={"username": "system:serviceaccount:ci:deployer"})
    record = normalize_event(event, cluster="prod")
    assert (record.cluster, record.verb, record.resource, record.api_group) == (
        "prod", "create", "networkpolicies", "networking.k8s.io")
    assert (record.namespace, record.name, record.username) == ("payments", "deny-all", "bob")
    assert record.user_groups == ["devs"]
    assert record.impersonated_user == "system:serviceaccount:ci:deployer"
    assert record.response_code == 201
    assert record.decision == "allow"
    assert record.source_ips == ["10.0.0.7"]
    assert record.raw is event
    assert record.time.tzinfo is not None


def test_it_prefers_request_received_then_stage_then_timestamp():
    event = audit_event()
    del event["requestReceivedTimestamp"]
    event["stageTimestamp"] = "2026-01-02T03:04:05.123456789Z"
    assert normalize_event(event, cluster="c").time == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    del event["stageTimestamp"]
    event["timestamp"] = "2017-09-11T19:55:05+02:00"
    assert normalize_event(event, cluster="c").time == datetime(2017, 9, 11, 17, 55, 5, tzinfo=UTC)


def test_it_accepts_v1beta1_and_events_without_api_version():
    beta = audit_event(apiVersion="audit.k8s.io/v1beta1")
    assert normalize_event(beta, cluster="c").audit_id == beta["auditID"]
    old = audit_event()
    del old["apiVersion"]
    assert normalize_event(old, cluster="c").verb == "get"


def test_it_splits_v1alpha1_group_version():
    event = audit_event(apiVersion="audit.k8s.io/v1alpha1")
    event["objectRef"] = {"resource": "roles", "apiVersion": "rbac.authorization.k8s.io/v1", "name": "r"}
    record = normalize_event(event, cluster="c")
    assert (record.api_group, record.api_version) == ("rbac.authorization.k8s.io", "v1")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"kind": 0}, "kind is 0"),
        ([1, 2], "expected a JSON object"),
        ({"kind": "Event", "stage": "ResponseComplete"}, "auditID is missing"),
        ({"kind": "Pod", "auditID": "x"}, "kind is 'Pod'"),
        ({"kind": "Event", "apiVersion": "v1", "auditID": "x", "stage": "ResponseComplete"}, "apiVersion 'v1'"),
        ({"kind": "Event", "auditID": "x", "stage": "Nope"}, "stage 'Nope'"),
        ({"kind": "Event", "auditID": "x", "stage": "Panic"}, "no requestReceivedTimestamp"),
        ({"kind": "Event", "auditID": "x", "stage": "Panic", "stageTimestamp": "yesterday"}, "not an RFC3339"),
    ],
)
def test_it_rejects_what_is_not_an_audit_event_with_a_reason(value, reason):
    with pytest.raises(RejectedRecord, match=reason):
        normalize_event(value, cluster="c")


def test_it_handles_metadata_only_and_non_resource_events():
    event = audit_event(level="Metadata")
    del event["objectRef"]
    event["requestURI"] = "/apis"
    record = normalize_event(event, cluster="c")
    assert (record.resource, record.namespace, record.request_uri) == ("", "", "/apis")
    assert record.object_path == ""


def test_it_normalises_every_real_sample_event(sample_files):
    records = []
    rejected = []
    for path in sample_files:
        text = path.read_text()
        docs = [json.loads(text)] if text.lstrip().startswith("{\n") else [
            json.loads(line) for line in text.splitlines() if line.strip()]
        for doc in docs:
            try:
                records.append(normalize_event(doc, cluster="samples"))
            except RejectedRecord as exc:
                rejected.append(str(exc))
    assert len(records) == 91
    assert rejected == ["not an audit event: kind is 0, expected 'Event'"]
    assert {r.stage for r in records} >= {"ResponseComplete", "ResponseStarted"}
    assert {r.level for r in records} == {"Metadata", "Request", "RequestResponse"}
    assert any(r.response_code == 403 and r.impersonated_user for r in records)


def test_it_keeps_events_with_impossible_status_codes_without_indexing_the_code():
    huge = audit_event(code=2**70)
    assert normalize_event(huge, cluster="c").response_code is None
    assert normalize_event(audit_event(code=403), cluster="c").response_code == 403


# --- hostile input (issue 12) ----------------------------------------------------------------

@pytest.mark.parametrize("field", ["stage", "apiVersion", "kind"])
def test_it_rejects_a_list_or_dict_where_an_identity_field_is_expected(field):
    # A list as stage used to raise TypeError (unhashable) instead of rejecting the record.
    for value in ([1], {"a": 1}):
        with pytest.raises(RejectedRecord, match="not an audit event"):
            normalize_event({**audit_event(), field: value}, cluster="c")


def test_it_indexes_nothing_from_wrong_types_and_keeps_the_event():
    event = audit_event(verb=7, user=["alice"], sourceIPs="10.0.0.1", userAgent={"a": 1}, requestURI=5,
                        objectRef={"namespace": {"a": 1}, "name": [1], "resource": 5}, annotations=["x"])
    record = normalize_event(event, cluster="c")
    assert (record.verb, record.username, record.namespace, record.name, record.resource) == ("", "", "", "", "")
    assert record.source_ips == [] and record.request_uri == "" and record.raw["verb"] == 7


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00",
                                   "1969-12-31T23:59:59Z", "3000-01-01T00:00:00Z"])
def test_it_rejects_timestamps_out_of_range(stamp):
    with pytest.raises(RejectedRecord, match="out of range"):
        normalize_event(audit_event(requestReceivedTimestamp=stamp), cluster="c")


def test_it_cuts_indexed_text_to_its_column_and_says_so():
    long = "n" * 300
    event = audit_event(objectRef={"resource": long, "subresource": long, "apiGroup": long, "namespace": long,
                                   "name": long}, requestURI="/" + "u" * 100_000)
    record = normalize_event(event, cluster="c")
    assert {len(getattr(record, f)) for f in ("resource", "subresource", "api_group", "namespace", "name")} == {253}
    assert len(record.request_uri) == 8000
    assert record.raw["objectRef"]["name"] == long  # the event keeps the whole value
    assert "cut to its column's length" in record.sanitized[0]


def test_it_escapes_nul_in_the_stored_copy_and_notes_it():
    event = audit_event(namespace="a\u0000b", requestObject={"k\u0000": "\ud800"})
    record = normalize_event(event, cluster="c")
    assert record.namespace == "a\\u0000b"
    assert record.raw["requestObject"] == {"k\\u0000": "\ufffd"}
    assert any("\\u0000 stored as the text" in note for note in record.sanitized)
    assert any("lone surrogate" in note for note in record.sanitized)


def test_it_leaves_a_clean_event_as_it_came():
    event = audit_event()
    record = normalize_event(event, cluster="c")
    assert record.raw is event and record.sanitized == []
