"""The detection pack (``alerts/detections/k8s-pack.yaml``) installed as GlobalAlertTemplates, and
the templates' ``metadata.annotations`` it needs (MITRE techniques, rationale).

The file is read as it is when the migration runs; its specs are written as ``apply`` stores them
(tests/alerts/test_detections.py checks that applying it again is ``unchanged``). A later change
to the pack ships with a migration of its own, or with ``manage.py apply -f`` of the file.
"""

from pathlib import Path

import yaml
from django.db import migrations, models

PACK = Path(__file__).resolve().parent.parent / "detections" / "k8s-pack.yaml"


def pack_documents():
    return [d for d in yaml.safe_load_all(PACK.read_text(encoding="utf-8")) if d]


def install(apps, schema_editor):
    Template = apps.get_model("alerts", "GlobalAlertTemplate")
    for document in pack_documents():
        metadata = document["metadata"]
        Template.objects.update_or_create(name=metadata["name"], defaults={
            "spec": document["spec"], "annotations": metadata.get("annotations") or {}})


def remove(apps, schema_editor):
    names = [d["metadata"]["name"] for d in pack_documents()]
    apps.get_model("alerts", "GlobalAlertTemplate").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_recent_runs")]
    operations = [
        migrations.AddField("globalalerttemplate", "annotations", models.JSONField(blank=True, default=dict)),
        migrations.RunPython(install, remove),
    ]
