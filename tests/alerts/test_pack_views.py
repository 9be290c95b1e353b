"""``/alerts/pack/``: the pack with rationale and what each template would have raised over the
last 7 days of what the viewer may see (read from the stored replays, never replayed while the
page is served), and installing one, several or all (three personas)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.models import GlobalAlert, GlobalAlertTemplate, PackBacktest
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
    compute()


def compute() -> None:
    """The stored replays, as the worker (or ``evaluate_alerts --pack``) computes them."""
    call_command("evaluate_alerts", "--pack", stdout=io.StringIO())


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


def test_it_answers_from_the_stored_replays_without_asking_the_store(client, admin, execs, settings):
    from tests.services import closed_port

    # Any count, histogram or replay would now fail: the page must not need the store at all.
    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{closed_port()}"
    login(client, admin)
    response = client.get("/alerts/pack/")
    page = response.content.decode()
    assert response.status_code == 200 and would_fire(page, "k8s.pod-exec") == "2"
    computed = PackBacktest.objects.get(template__name="k8s.pod-exec").computed_at
    assert timezone.localtime(computed).strftime("%Y-%m-%d %H:%M UTC") in page
    assert "being computed" not in page


def test_it_says_being_computed_and_queues_each_template_once(client, admin, django_capture_on_commit_callbacks):
    login(client, admin)
    with django_capture_on_commit_callbacks() as queued:
        page = client.get("/alerts/pack/").content.decode()
    assert would_fire(page, "k8s.pod-exec") == "being computed" and "21 templates being computed" in page
    assert len(queued) == 21 and PackBacktest.objects.filter(queued_at__isnull=False).count() == 21
    with django_capture_on_commit_callbacks() as again:
        client.get("/alerts/pack/")
    assert again == []  # claimed: not queued a second time while the first is on its way


def test_it_does_not_show_the_figure_of_a_template_changed_since(client, admin, execs):
    template = GlobalAlertTemplate.objects.get(name="k8s.pod-exec")
    GlobalAlertTemplate.objects.filter(pk=template.pk).update(spec={**template.spec, "threshold": 5})
    login(client, admin)
    page = client.get("/alerts/pack/").content.decode()
    assert would_fire(page, "k8s.pod-exec") == "being computed"
    assert would_fire(page, "k8s.namespace-deleted") == "0"
