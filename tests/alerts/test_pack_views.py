"""``/alerts/pack/``: the pack with rationale and what each template would have raised over the
last 7 days of what the viewer may see, and installing one, several or all (three personas)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from alerts.models import GlobalAlert
from tests.conftest import PASSWORD
from tests.factories import audit_event


def exec_into(namespace: str, name: str, minutes_ago: int) -> dict:
    event = audit_event(verb="create", resource="pods", namespace=namespace, name=name,
                        time=timezone.now() - timezone.timedelta(minutes=minutes_ago), code=101)
    event["objectRef"]["subresource"] = "exec"
    return event


@pytest.fixture
def execs(ingest):
    """An exec into a pod of payments (the scoped user sees it) and one into kube-system."""
    ingest([exec_into("payments", "api-0", 90), exec_into("kube-system", "etcd-0", 60)])


def would_fire(page: str, name: str) -> str:
    row = re.search(rf"<code>{re.escape(name)}</code>.*?<td class=\"would-fire\">([^<]*)</td>", page, re.S)
    assert row, name
    return row.group(1).strip()


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_it_counts_the_last_7_days_for_the_admin(client, admin, execs):
    login(client, admin)
    page = client.get("/alerts/pack/").content.decode()
    assert would_fire(page, "k8s.pod-exec") == "2"
    assert would_fire(page, "k8s.namespace-deleted") == "0"
    assert "A shell in a running container" in page and "T1609" in page


def test_it_counts_only_what_the_scoped_user_may_see(client, scoped_user, execs):
    login(client, scoped_user)
    page = client.get("/alerts/pack/").content.decode()
    assert would_fire(page, "k8s.pod-exec") == "1"
    assert "Install all" not in page  # reading only: no alerts.change_globalalert


def test_it_shows_the_outsider_nothing_fired(client, outsider, execs):
    login(client, outsider)
    page = client.get("/alerts/pack/").content.decode()
    assert would_fire(page, "k8s.pod-exec") == "0"
    assert "not been granted access" in page


def test_it_installs_the_ticked_templates_or_all(client, admin):
    login(client, admin)
    client.post("/alerts/pack/install", {"names": ["k8s.pod-exec", "k8s.csr-approved", "policy.pod"]})
    assert set(GlobalAlert.objects.values_list("name", flat=True)) == {"k8s.pod-exec", "k8s.csr-approved"}
    assert GlobalAlert.objects.get(name="k8s.pod-exec").spec["aggregateBy"][0] == "user.username"
    response = client.post("/alerts/pack/install", {"all": "1"}, follow=True)
    assert GlobalAlert.objects.filter(name__startswith="k8s.").count() == 21
    assert "globalalert/k8s.pod-exec unchanged" in response.content.decode()


def test_it_refuses_to_install_without_the_permission(client, scoped_user, outsider):
    for user in (scoped_user, outsider):
        login(client, user)
        assert client.post("/alerts/pack/install", {"all": "1"}).status_code == 403
    assert not GlobalAlert.objects.exists()
