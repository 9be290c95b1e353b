"""``k8s.configmap-credentials`` also reads ConfigMap values: its query gained
``requestObject.data.* IN {…}`` (a key with a ``*`` segment), so a credential inside a file-like
value (``access.properties: aws_secret_access_key = …``) is flagged too.

The installed template is updated from the pack file, as ``0005_detection_pack`` installed it; a
template the user deleted stays deleted. Going back restores the key-names-only rule.
"""

from pathlib import Path

import yaml
from django.db import migrations

NAME = "k8s.configmap-credentials"
PACK = Path(__file__).resolve().parent.parent / "detections" / "k8s-pack.yaml"
RATIONALE = "auditui.io/rationale"
KEY_NAMES = ("password", "passwd", "passphrase", "aws_access_key_id", "aws_secret_access_key",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "token", "api_key", "apikey", "private_key",
             "id_rsa", "ssh-privatekey", "tls.key", "client_secret", "DB_PASSWORD")
PREVIOUS = {
    "query": 'verb IN {create, update, patch} AND "objectRef.resource"=configmaps AND ('
             + " OR ".join(f"NOT requestObject.data.{key} EMPTY" for key in KEY_NAMES) + ")",
    "description": "${user.username} ${verb} ConfigMap ${objectRef.namespace}/${objectRef.name} "
                   "with a credential-like key",
    "rationale": "ConfigMaps are readable by far more people and workloads than Secrets, and are not encrypted "
                 "at rest: a credential in one is a leaked credential. Move it into a Secret (or a vault), and "
                 "rotate it. This rule knows credentials by their key names; a credential inside a file-like "
                 "value (access.properties) is not seen (docs/detections.md).",
}


def pack_document():
    documents = [d for d in yaml.safe_load_all(PACK.read_text(encoding="utf-8")) if d]
    return next(d for d in documents if d["metadata"]["name"] == NAME)


def update(apps, schema_editor):
    document = pack_document()
    Template = apps.get_model("alerts", "GlobalAlertTemplate")
    Template.objects.filter(name=NAME).update(
        spec=document["spec"], annotations=document["metadata"].get("annotations") or {})


def restore(apps, schema_editor):
    Template = apps.get_model("alerts", "GlobalAlertTemplate")
    for template in Template.objects.filter(name=NAME):
        template.spec = {**template.spec, "query": PREVIOUS["query"], "description": PREVIOUS["description"]}
        template.annotations = {**template.annotations, RATIONALE: PREVIOUS["rationale"]}
        template.save(update_fields=["spec", "annotations"])


class Migration(migrations.Migration):
    dependencies = [("alerts", "0005_detection_pack")]
    operations = [migrations.RunPython(update, restore)]
