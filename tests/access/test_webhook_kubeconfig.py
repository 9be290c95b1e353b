"""``manage.py webhook_kubeconfig``: the kubeconfig for kube-apiserver ``--audit-webhook-config-file``."""

from __future__ import annotations

import io
import json
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import CommandError, call_command

from auditui.access.models import IngestToken
from auditui.events.models import AuditEvent
from tests.factories import audit_event, event_list


def kubeconfig(*args: str) -> dict:
    out = io.StringIO()
    call_command("webhook_kubeconfig", *args, stdout=out)
    return yaml.safe_load(out.getvalue())


def current(config: dict) -> tuple[dict, dict]:
    """The cluster and user entries that ``current-context`` points at, as a kubeconfig reader resolves them."""
    context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    return cluster, user


def test_it_prints_a_kubeconfig_pointing_at_the_webhook(db):
    config = kubeconfig("--cluster", "c", "--url", "https://auditui.example:8443")

    assert (config["apiVersion"], config["kind"]) == ("v1", "Config")
    cluster, user = current(config)
    assert cluster["server"] == "https://auditui.example:8443/api/v1/audit/webhook"
    token = IngestToken.authenticate(user["token"])
    assert token is not None
    assert token.cluster == "c"


def test_it_builds_a_token_the_webhook_accepts(client, db):
    config = kubeconfig("--cluster", "c", "--url", "https://auditui.example:8443/")
    cluster, user = current(config)
    event = audit_event()

    response = client.post(urlsplit(cluster["server"]).path, data=json.dumps(event_list([event])),
                           content_type="application/json", headers={"Authorization": f"Bearer {user['token']}"})

    assert response.status_code == 200
    assert response.json()["ingested"] == 1
    assert AuditEvent.objects.get().cluster == "c"


def test_it_does_not_double_the_slash_of_a_trailing_slash_url(db):
    cluster, _user = current(kubeconfig("--cluster", "c", "--url", "http://10.0.0.5:8000/"))

    assert cluster["server"] == "http://10.0.0.5:8000/api/v1/audit/webhook"


def test_it_uses_an_existing_token_instead_of_issuing_one(db):
    _row, plain = IngestToken.issue(cluster="c")

    _cluster, user = current(kubeconfig("--cluster", "c", "--url", "https://auditui.example", "--token", plain))

    assert user["token"] == plain
    assert IngestToken.objects.count() == 1


def test_it_adds_the_certificate_authority(db):
    cluster, _user = current(kubeconfig("--cluster", "c", "--url", "https://auditui.example",
                                        "--certificate-authority", "/etc/kubernetes/pki/auditui-ca.crt"))

    assert cluster["certificate-authority"] == "/etc/kubernetes/pki/auditui-ca.crt"


@pytest.mark.parametrize("url", ["auditui.example:8443", "ftp://auditui.example", ""])
def test_it_refuses_a_url_that_is_not_http(db, url):
    with pytest.raises(CommandError, match="must start with http:// or https://"):
        kubeconfig("--cluster", "c", "--url", url)

    assert IngestToken.objects.count() == 0
