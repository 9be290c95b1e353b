"""Hostile input on the alert pages: event fields that become alert keys and descriptions (a pod
named with HTML, a user name with a script) are shown inert in the inbox, the rule's page and the API."""

from __future__ import annotations

import time_machine

from alerts.models import AlertEvent
from alerts.runs import alert_run
from tests.alerts.conftest import T0, minutes

SCRIPT = "<script>alert(1)</script>"


def test_it_shows_hostile_keys_and_descriptions_inert(client, admin, make_alert, pod_created):
    alert = make_alert("hostile-pods", query='verb=create AND "objectRef.resource"=pods',
                       aggregateBy=["objectRef.name", "user.username"],
                       description="pod ${objectRef.name} created by ${user.username}")
    pod_created("payments", T0 - minutes(1), name=f"x{SCRIPT}", username=f"mallory{SCRIPT}")
    alert_run(alert_id=alert.pk, now=T0)
    event = AlertEvent.objects.get()
    assert SCRIPT in event.description  # stored as received: evidence

    client.force_login(admin)
    with time_machine.travel(T0 + minutes(1), tick=False):
        for url in ("/alerts/", "/alerts/rules/hostile-pods/"):
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.content.decode()
            assert SCRIPT not in page, url
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        api = client.get("/api/v1/alert-events")
    assert api.status_code == 200
    assert SCRIPT in api.json()["results"][0]["description"]  # JSON carries the text; escaping is the reader's


def test_it_shows_a_hostile_pack_template_inert(client, admin):
    from alerts.models import GlobalAlertTemplate

    spec = dict(GlobalAlertTemplate.objects.get(name="k8s.pod-exec").spec)
    GlobalAlertTemplate.objects.create(
        name=f'k8s.x"{SCRIPT}', spec=spec,
        annotations={"auditui.io/rationale": f"why {SCRIPT}", "auditui.io/mitre-attack": f'T1609"{SCRIPT}'})
    client.force_login(admin)
    response = client.get("/alerts/pack/")
    page = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT not in page
    assert "k8s.x&quot;&lt;script&gt;alert(1)&lt;/script&gt;" in page  # name, in text and attributes
    assert "why &lt;script&gt;alert(1)&lt;/script&gt;" in page
