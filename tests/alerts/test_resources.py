"""``apply``/``get``/``delete`` of GlobalAlert and GlobalAlertTemplate, through the real commands."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from alerts.models import GlobalAlert, GlobalAlertTemplate

# Calico's documentation example, unchanged.
CALICO_EXAMPLE = """\
apiVersion: projectcalico.org/v3
kind: GlobalAlert
metadata: {name: policy.globalnetworkset}
spec:
  description: 'Changed globalnetworkset'
  summary: '[audit] [privileged access] change detected for ${objectRef.resource} ${objectRef.name}'
  severity: 100
  period: 10m
  lookback: 10m
  dataSet: audit
  query: (verb=create OR verb=update OR verb=delete OR verb=patch) AND "objectRef.resource"=globalnetworksets
  aggregateBy: [objectRef.resource, objectRef.name]
  metric: count
  condition: gt
  threshold: 0
"""


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def example(tmp_path):
    path = tmp_path / "alert.yaml"
    path.write_text(CALICO_EXAMPLE)
    return str(path)


def test_it_applies_calicos_example_unchanged(db, example):
    assert run("apply", "-f", example).strip() == "globalalert/policy.globalnetworkset created"
    assert run("apply", "-f", example).strip() == "globalalert/policy.globalnetworkset unchanged"
    assert GlobalAlert.objects.get().spec["aggregateBy"] == ["objectRef.resource", "objectRef.name"]


def test_it_says_configured_when_the_spec_changes(db, example, tmp_path):
    run("apply", "-f", example)
    changed = tmp_path / "changed.yaml"
    changed.write_text(CALICO_EXAMPLE.replace("severity: 100", "severity: 70"))
    assert run("apply", "-f", str(changed)).strip() == "globalalert/policy.globalnetworkset configured"


def test_it_prints_the_alert_back_with_calicos_status(db, example):
    run("apply", "-f", example)
    document = yaml.safe_load(run("get", "globalalerts", "policy.globalnetworkset", "-o", "yaml"))
    assert document["kind"] == "GlobalAlert" and document["spec"]["period"] == "10m"
    assert set(document["status"]) >= {"active", "healthy", "lastExecuted", "lastEvent", "errorConditions"}


def test_it_applies_none_of_a_file_with_one_invalid_document(db, tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(CALICO_EXAMPLE + "---\n" + CALICO_EXAMPLE.replace("policy.globalnetworkset", "flows")
                    .replace("dataSet: audit", "dataSet: flows"))
    with pytest.raises(CommandError) as error:
        run("apply", "-f", str(path))
    assert "spec.dataSet" in str(error.value) and "audit logs only" in str(error.value)
    assert not GlobalAlert.objects.exists()


def test_it_deletes_an_alert(db, example):
    run("apply", "-f", example)
    assert run("delete", "globalalert", "policy.globalnetworkset").strip() == \
        "globalalert/policy.globalnetworkset deleted"
    assert not GlobalAlert.objects.exists()


def test_it_installs_calicos_four_audit_templates(db):
    names = set(GlobalAlertTemplate.objects.values_list("name", flat=True))
    assert names >= {"policy.pod", "policy.globalnetworkpolicy", "policy.globalnetworkset", "policy.serviceaccount"}
    listed = yaml.safe_load(run("get", "globalalerttemplates", "-o", "yaml"))
    pod = next(item for item in listed["items"] if item["metadata"]["name"] == "policy.pod")
    assert pod["spec"]["aggregateBy"] == ["objectRef.name", "objectRef.namespace"] and "status" not in pod


def test_every_builtin_template_passes_validation(db):
    from alerts.spec import clean_spec

    for template in GlobalAlertTemplate.objects.all():
        assert clean_spec(template.spec).spec == template.spec
