from __future__ import annotations

import pytest

from auditui.events.ingest import MAX_KEPT_REJECTIONS, ingest_events, ingest_path
from auditui.events.models import AuditEvent, DropRule
from tests.factories import audit_event

pytestmark = pytest.mark.django_db


def test_it_stores_events_under_their_cluster():
    report = ingest_events([audit_event(), audit_event()], cluster="prod")
    assert report.as_dict() == {"ingested": 2, "duplicates": 0, "rejected": 0, "dropped": 0}
    assert set(AuditEvent.objects.values_list("cluster", flat=True)) == {"prod"}


def test_it_is_idempotent_on_cluster_audit_id_and_stage():
    event = audit_event()
    received = {**event, "stage": "RequestReceived"}
    assert ingest_events([event, received], cluster="a").ingested == 2
    again = ingest_events([event, received, event], cluster="a")
    assert (again.ingested, again.duplicates) == (0, 3)
    # The same auditID from another cluster is another event.
    assert ingest_events([event], cluster="b").ingested == 1
    assert AuditEvent.objects.count() == 3


def test_it_counts_duplicates_inside_one_batch():
    event = audit_event()
    report = ingest_events([event, dict(event)], cluster="a")
    assert (report.ingested, report.duplicates) == (1, 1)


def test_it_rejects_bad_records_with_position_and_keeps_the_rest():
    good1, good2 = audit_event(), audit_event()
    report = ingest_events([good1, {"kind": 0}, "text", good2], cluster="a")
    assert (report.ingested, report.rejected) == (2, 1 + 1)
    assert [str(r) for r in report.rejections] == [
        "event 2: not an audit event: kind is 0, expected 'Event'",
        "event 3: not an audit event: expected a JSON object, got str",
    ]


def test_it_keeps_counting_rejections_beyond_the_ones_it_keeps():
    report = ingest_events([{"kind": 0}] * (MAX_KEPT_REJECTIONS + 5), cluster="a")
    assert report.rejected == MAX_KEPT_REJECTIONS + 5
    assert len(report.rejections) == MAX_KEPT_REJECTIONS


def test_it_writes_in_batches_of_the_configured_size():
    batches = []
    ingest_events([audit_event() for _ in range(25)], cluster="a", batch_size=10,
                  on_batch=lambda r: batches.append(r.ingested))
    assert batches == [10, 20, 25]


def test_it_writes_in_the_stores_own_batches_unless_a_size_is_configured(settings):
    from auditui.events.store.sql import SqlEventStore

    class SmallBatches(SqlEventStore):
        write_batch_size = 7

    def batches() -> list[int]:
        seen: list[int] = []
        ingest_events([audit_event() for _ in range(23)], cluster="a", store=SmallBatches(),
                      on_batch=lambda r: seen.append(r.seen))
        return seen

    settings.AUDITUI_INGEST_BATCH_SIZE = 0
    assert batches() == [7, 14, 21, 23]
    settings.AUDITUI_INGEST_BATCH_SIZE = 10
    assert batches() == [10, 20, 23]


def test_it_ingests_every_real_sample_file(sample_files):
    total = sum(ingest_path(p, cluster="samples").ingested for p in sample_files)
    assert total == 89  # 91 events, two of them the same (cluster, auditID, stage) twice
    assert AuditEvent.objects.filter(response_code=403).count() == 11
    assert AuditEvent.objects.filter(stage="ResponseStarted").exists()


def test_it_drops_events_matching_a_rule_and_counts_them_per_rule():
    DropRule.objects.create(name="system reads", query='verb IN {"get","list","watch"} AND "user.username"="system:*"')
    DropRule.objects.create(name="only in other cluster", cluster="other", query="verb=create")
    DropRule.objects.create(name="disabled", query="verb=create", enabled=False)
    events = [
        audit_event(verb="get", username="system:kube-scheduler"),
        audit_event(verb="list", username="system:node:n1"),
        audit_event(verb="get", username="alice"),
        audit_event(verb="create", username="system:node:n1"),
    ]
    report = ingest_events(events, cluster="prod")
    assert (report.ingested, report.dropped) == (2, 2)
    rules = {r.name: r for r in DropRule.objects.all()}
    assert rules["system reads"].dropped_total == 2
    assert rules["system reads"].last_dropped_at is not None
    assert rules["only in other cluster"].dropped_total == 0
    assert rules["disabled"].dropped_total == 0
    assert set(AuditEvent.objects.values_list("username", flat=True)) == {"alice", "system:node:n1"}


def test_it_applies_cluster_specific_rules_only_to_that_cluster():
    DropRule.objects.create(name="staging noise", cluster="staging", query="verb=watch")
    report_staging = ingest_events([audit_event(verb="watch")], cluster="staging")
    report_prod = ingest_events([audit_event(verb="watch")], cluster="prod")
    assert (report_staging.dropped, report_prod.dropped) == (1, 0)
    assert DropRule.objects.get().dropped_total == 1


def test_it_validates_rule_queries():
    from django.core.exceptions import ValidationError

    rule = DropRule(name="broken", query="verb = ")
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "query" in error.value.message_dict


def test_it_stores_events_whose_numbers_no_column_holds():
    event = audit_event(code=2**70)
    event["requestObject"] = {"spec": {"replicas": 2**80}}
    report = ingest_events([event, audit_event()], cluster="c")
    assert (report.ingested, report.rejected) == (2, 0)
    stored = AuditEvent.objects.get(audit_id=event["auditID"])
    assert stored.response_code is None and stored.raw["requestObject"]["spec"]["replicas"] == 2**80
