"""Pages and exports render hostile events: HTML/JS in every field stays inert text, an event
nested 300 levels deep is shown with a marker, formulas never reach a spreadsheet; on every
backend. The events are built here (tests/hostile/corpus.py is another suite's)."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from auditui.events import safe_json
from auditui.events.ingest import ingest_events
from auditui.events.normalize import normalize_event
from auditui.events.search_page import SearchState, expanded_fields
from auditui.policies.history import TOO_DEEP as NOT_DIFFED
from tests.factories import audit_event
from tests.policies.stories import WEB_SPEC, PolicyStory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("backend_store")]

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
HTML = f'"><{SCRIPT[1:]}{IMG}'  # breaks out of an attribute, then a script and an image
NAME_HTML = "evil" + IMG  # object names travel in URL paths: no slash
FORMULA = "=HYPERLINK(\"http://x\",\"y\")"
HEADER_FORMULA = "@SUM(A1:A9)"  # columns= is comma-separated
POLICY_PAGE = "/policies/networkpolicies.networking.k8s.io/payments/allow-web/"
POLICY_API = "/api/v1/policies/networkpolicies.networking.k8s.io/payments/allow-web/changelog"


def nested(levels: int) -> object:
    value: object = "bottom"
    for _ in range(levels):
        value = {"a": value}
    return value


def html_event(time) -> dict:
    """HTML in every field the pages show, keys of the request body included."""
    event = audit_event(
        time=time, verb="create", namespace="payments", name=NAME_HTML, username=HTML, groups=[HTML, "ok"],
        level="RequestResponse", userAgent=HTML, impersonatedUser={"username": HTML},
        requestObject={HTML: HTML, "metadata": {"name": NAME_HTML, "labels": {"x": HTML}}},
        annotations={HTML: HTML},
    )
    event["objectRef"]["subresource"] = HTML
    event["requestURI"] += "?" + HTML
    event["responseStatus"] = {"code": 201, "message": HTML}
    return event


def deep_event(time) -> dict:
    return audit_event(time=time, name="deep", level="RequestResponse", requestObject=nested(300))


def formula_event(time) -> dict:
    return audit_event(time=time, name="formula", username=FORMULA, groups=["ok", FORMULA])


def policy_story(start) -> PolicyStory:
    """A policy whose versions hold HTML, then a part nested 300 levels deep."""
    story = PolicyStory(start=start, user=HTML)
    spec = copy.deepcopy(WEB_SPEC)
    spec["podSelector"]["matchLabels"] = {"app": HTML}
    story.create(spec, labels={HTML: HTML}, userAgent=HTML)
    story.merge_patch({"metadata": {"annotations": {"note": HTML}}, "spec": {"policyTypes": [HTML]}}, userAgent=HTML)
    story.merge_patch({"spec": {"deep": nested(300)}})
    story.json_patch([{"op": "replace", "path": "/spec/policyTypes/0", "value": "Ingress"}])
    return story


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def stored(now, admin) -> dict[str, str]:
    """The hostile events, ingested: their ids by name (an event ingest rejects is absent)."""
    report = ingest_events([html_event(now - timedelta(minutes=3)), deep_event(now - timedelta(minutes=2)),
                            formula_event(now - timedelta(minutes=1))], cluster="c1")
    assert report.ingested + report.rejected == 3
    body = _api(admin).get("/api/v1/events", {"cluster": "c1"}).json()
    return {r["name"]: r["id"] for r in body["results"]}


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_inert(body: str) -> None:
    """No markup of the payloads is live, and it is shown as text."""
    assert SCRIPT not in body and "<img src=x" not in body and '"><script' not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "&lt;img src=x onerror=alert(2)&gt;" in body


@pytest.fixture
def web(client, admin):
    client.force_login(admin)
    return client


# --- events pages -----------------------------------------------------------------------------------

def test_it_renders_html_in_every_field_inert_on_the_detail_page(web, stored):
    response = web.get(reverse("events:detail", args=[stored[NAME_HTML]]))
    assert response.status_code == 200
    body = response.content.decode()
    assert_inert(body)
    assert body.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # user, groups, agent, URI, JSON…


def test_it_renders_html_inert_in_search_results(web, stored):
    columns = "time,user,object,user.groups,userAgent,requestObject,annotations,objectRef.subresource"
    response = web.get(reverse("events:list"), {"columns": columns})
    assert response.status_code == 200 and len(response.context["page"].rows) == len(stored)
    assert_inert(response.content.decode())


def test_it_renders_html_inert_in_the_expand_fragment(web, stored):
    response = web.get(reverse("events:expand", args=[stored[NAME_HTML]]), HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200
    assert_inert(response.content.decode())


def test_it_shows_a_deep_event_on_every_page(web, admin, stored):
    if "deep" not in stored:
        pytest.skip("ingest rejected the deep event: nothing to show")
    for url in (reverse("events:detail", args=[stored["deep"]]), reverse("events:expand", args=[stored["deep"]]),
                reverse("events:list") + "?columns=time,requestObject"):
        response = web.get(url)
        assert response.status_code == 200, url
    api = _api(admin)
    assert api.get(f"/api/v1/events/{stored['deep']}").json()["name"] == "deep"
    assert api.get("/api/v1/events", {"cluster": "c1"}).status_code == 200


def test_it_renders_a_deep_event_built_in_memory_with_a_marker(admin):
    """Whatever ingest does with such events, a record holding one renders."""
    record = normalize_event(deep_event(timezone.now()), cluster="c1")
    record.id = 1
    html = render_to_string("events/detail.html", {"event": record, "raw_json": safe_json.pretty(record.raw)})
    fragment = render_to_string("events/_search_expand.html", {
        "event": record, "fields": expanded_fields(SearchState(), record),
        "raw_json": safe_json.pretty(record.raw), "around_href": "/events/",
    })
    assert safe_json.TOO_DEEP in html and safe_json.TOO_DEEP in fragment


# --- exports ------------------------------------------------------------------------------------------

def test_it_exports_hostile_events_whole_and_defused(admin, stored):
    api = _api(admin)
    columns = f"objectRef.name,user.username,user.groups,{HEADER_FORMULA}"
    response = api.get("/api/v1/events/export", {"format": "csv", "cluster": "c1", "columns": columns})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][3] == "'" + HEADER_FORMULA
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == set(stored)
    assert by_name["formula"][1] == "'" + FORMULA and by_name["formula"][2] == "ok;'" + FORMULA
    response = api.get("/api/v1/events/export", {"format": "json", "cluster": "c1"})
    document = json.loads(b"".join(response.streaming_content))
    assert {e["name"] for e in document} == set(stored)


# --- the policy changelog -----------------------------------------------------------------------------

@pytest.fixture
def policy(now):
    story = policy_story(now - timedelta(hours=1))
    ingest_events(story.events, cluster="c1")
    return story


def test_it_renders_html_inert_on_the_policy_history_page(web, policy):
    for params in ("", "?view=split&noise=1"):
        response = web.get(POLICY_PAGE + params)
        assert response.status_code == 200
        body = response.content.decode()
        assert_inert(body)
        assert len(response.context["page"].changes) == 4


def test_it_says_what_could_not_be_diffed_on_the_page_and_in_the_api(web, admin, policy):
    page = web.get(POLICY_PAGE)
    assert NOT_DIFFED.capitalize() + "." in page.content.decode()
    body = _api(admin).get(POLICY_API).json()
    assert [c["note"] for c in body["changes"]] == ["", "", NOT_DIFFED, NOT_DIFFED]
    assert body["changes"][3]["diff"] == [{"path": "spec.policyTypes[0]", "op": "changed", "old": HTML,
                                           "new": "Ingress"}]


def test_it_renders_the_policy_list_with_hostile_users(web, policy):
    response = web.get(reverse("policies:list"))
    assert response.status_code == 200
    assert_inert(response.content.decode())


def test_it_renders_a_policy_named_with_html_inert(web, now):
    story = PolicyStory(name=NAME_HTML, start=now - timedelta(hours=1))
    story.create(copy.deepcopy(WEB_SPEC))
    ingest_events(story.events, cluster="c1")
    response = web.get(reverse("policies:history", args=["networkpolicies.networking.k8s.io", "payments", NAME_HTML]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<img src=x" not in body and "evil&lt;img src=x onerror=alert(2)&gt;" in body


def test_it_links_and_shows_a_policy_whose_name_holds_a_slash(web, now):
    story = PolicyStory(name=f"web{SCRIPT}", start=now - timedelta(hours=1))
    story.create(copy.deepcopy(WEB_SPEC))
    ingest_events(story.events, cluster="c1")
    listed = web.get(reverse("policies:list"), {"tab": "all"})
    assert listed.status_code == 200 and SCRIPT not in listed.content.decode()
    history = web.get(reverse("policies:history", args=["networkpolicies.networking.k8s.io", "payments",
                                                         f"web{SCRIPT}"]))
    assert history.status_code == 200 and SCRIPT not in history.content.decode()
