"""Calico's four audit GlobalAlertTemplates (reference §4: period 10m, lookback 10m, metric count,
condition gt, threshold 0, severity 100), stored as ``clean_spec`` would store them."""

from django.db import migrations

CHANGES = "(verb=create OR verb=update OR verb=delete OR verb=patch) AND 'objectRef.resource'={resource}"
SUMMARY = "[audit] [privileged access] change detected for "
TEMPLATES = {
    "policy.pod": ("pods", "Changed pod", ["objectRef.name", "objectRef.namespace"],
                   SUMMARY + "pod ${objectRef.namespace}/${objectRef.name}"),
    "policy.globalnetworkpolicy": ("globalnetworkpolicies", "Changed globalnetworkpolicy",
                                   ["objectRef.name", "objectRef.resource"],
                                   SUMMARY + "${objectRef.resource} ${objectRef.name}"),
    "policy.globalnetworkset": ("globalnetworksets", "Changed globalnetworkset",
                                ["objectRef.resource", "objectRef.name"],
                                SUMMARY + "${objectRef.resource} ${objectRef.name}"),
    "policy.serviceaccount": ("serviceaccounts", "Changed serviceaccount", ["objectRef.name", "objectRef.namespace"],
                              SUMMARY + "serviceaccount ${objectRef.namespace}/${objectRef.name}"),
}


def spec_of(resource, description, aggregate_by, summary):
    return {
        "type": "RuleBased", "description": description, "summary": summary, "severity": 100,
        "period": "10m", "lookback": "10m", "dataSet": "audit", "query": CHANGES.format(resource=resource),
        "aggregateBy": aggregate_by, "metric": "count", "condition": "gt", "threshold": 0,
    }


def install(apps, schema_editor):
    Template = apps.get_model("alerts", "GlobalAlertTemplate")
    for name, args in TEMPLATES.items():
        Template.objects.update_or_create(name=name, defaults={"spec": spec_of(*args)})


def remove(apps, schema_editor):
    apps.get_model("alerts", "GlobalAlertTemplate").objects.filter(name__in=list(TEMPLATES)).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
