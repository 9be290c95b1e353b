"""The events search page (/events/) through Django's test client: URL state, counts that agree
with the API, inline errors, the sidebar, filters, columns, paging, exports, saved searches, RBAC."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from auditui.events.ingest import ingest_events
from auditui.events.models import AuditEvent, SavedSearch
from auditui.events.query.text import add_clause, clause
from auditui.events.search_page import DEFAULT_COLUMNS, SearchState
from tests.conftest import PASSWORD
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
EVENTS = reverse("events:list")


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def events(ingest, now):
    """A small, varied history in two clusters, all within the last 24 hours but one."""
    ingest([
        audit_event(time=now - timedelta(minutes=5), verb="delete", namespace="payments", name="api-1",
                    username="alice"),
        audit_event(time=now - timedelta(minutes=20), verb="create", namespace="payments", name="api-2",
                    username="alice", code=201),
        audit_event(time=now - timedelta(hours=2), verb="get", namespace="payments", username="bob"),
        audit_event(time=now - timedelta(hours=3), verb="get", namespace="frontend", username="bob", code=403),
        audit_event(time=now - timedelta(hours=5), verb="list", namespace="kube-system", resource="secrets",
                    username="system:serviceaccount:kube-system:replicaset-controller"),
        audit_event(time=now - timedelta(hours=30), verb="delete", namespace="payments", username="carol"),
    ], cluster="prod")
    ingest([
        audit_event(time=now - timedelta(minutes=50), verb="patch", namespace="payments", username="carol",
                    requestObject={"spec": {"replicas": 3}}, level="Request"),
        audit_event(time=now - timedelta(hours=1), verb="get", namespace=None, resource="nodes", name="node-1",
                    username="system:kube-scheduler"),
    ], cluster="dev")


def _page(client, **params):
    response = client.get(EVENTS, params)
    assert response.status_code == 200
    return response, response.context["page"]


# --- state in the URL --------------------------------------------------------------------------

def test_it_reads_the_whole_state_from_the_url(client, admin, events):
    _login(client, admin)
    response = client.get(EVENTS + '?query=verb%3Dget&start=now-7d&end=now&cluster=prod&cluster=dev'
                                    '&columns=time,verb,objectRef.namespace')
    state = response.context["state"]
    assert state == SearchState(query="verb=get", start="now-7d", end="now", clusters=("prod", "dev"),
                                columns=("time", "verb", "objectRef.namespace"))
    body = response.content.decode()
    assert 'value="verb=get"' in body and "Last 7 days" in body
    assert [c.key for c in response.context["page"].columns] == ["time", "verb", "objectRef.namespace"]


def test_it_writes_only_non_default_state_into_links():
    state = SearchState(query='verb=get', start="now-1h")
    assert state.querystring() == "query=verb%3Dget&start=now-1h"
    assert SearchState(columns=DEFAULT_COLUMNS).querystring() == ""
    paged = SearchState(query="x", cursor="abc")
    assert "cursor" not in paged.querystring(query="y") and "cursor=abc" in paged.querystring()


# --- counts agree with the API -----------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {},
    {"query": "verb=delete"},
    {"query": '"objectRef.namespace"=payments AND NOT verb IN {"get","list"}'},
    {"query": '"responseStatus.code" >= 400 OR "user.username"="system:*"'},
    {"query": "alice"},
    {"query": "requestObject.spec.replicas > 2"},
    {"query": "verb=delete", "start": "now-7d"},
    {"query": "verb=get", "cluster": ["dev"]},
    {"start": "now-90m", "end": "now-10m", "cluster": ["prod", "dev"]},
])
def test_it_counts_what_the_api_counts(client, admin, events, params):
    _login(client, admin)
    _response, page = _page(client, **params)
    api = client.get("/api/v1/events", params).json()
    assert page.total == api["count"]
    assert [r.record.audit_id for r in page.rows] == [e["audit_id"] for e in api["results"]]
    assert sum(b.count for b in page.histogram.bars) == page.total


def test_it_counts_the_whole_default_range(client, admin, events):
    _login(client, admin)
    assert _page(client)[1].total == 7  # the event from 30 hours ago is outside the last 24 hours
    assert _page(client, start="now-7d")[1].total == 8


# --- errors ------------------------------------------------------------------------------------

def test_it_shows_a_bad_query_inline(client, admin, events):
    _login(client, admin)
    response, page = _page(client, query='verb = ( AND x=y')
    body = response.content.decode()
    assert page.error.param == "query" and page.error.position == 7
    assert 'id="query-error"' in body and "expected a value" in body
    assert page.error_line == ("verb = ( AND x=y", " " * 7)
    assert 'aria-invalid="true"' in body and 'data-error-position="7"' in body
    assert "Traceback" not in body and "results-table" not in body


def test_it_offers_syntax_examples_that_parse(client, admin):
    from auditui.events.query import parse
    from auditui.events.search_views import SYNTAX_EXAMPLES

    for example, _meaning in SYNTAX_EXAMPLES:
        parse(example)
    _login(client, admin)
    body = _page(client)[0].content.decode()
    assert "Query syntax" in body and "NOTIN" in body and "EMPTY" in body


def test_it_shows_a_bad_range_inline(client, admin, events):
    _login(client, admin)
    response, page = _page(client, start="yesterday-ish")
    assert page.error.param == "start" and "is not a time" in response.content.decode()
    assert page.range_label == "Invalid range"


def test_it_escapes_event_text_everywhere(client, admin, ingest, now):
    ingest([audit_event(time=now, username="<script>alert(1)</script>", name="<img src=x onerror=alert(2)>")],
           cluster="prod")
    _login(client, admin)
    body = _page(client)[0].content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- sidebar and filters -----------------------------------------------------------------------

def _api_top(client, field, **params):
    api = client.get(f"/api/v1/events/fields/{field}/top", {**params, "limit": 5}).json()
    return [(v["value"], v["count"]) for v in api["values"]], api["other"]


def test_it_shows_the_top_values_the_api_shows(client, admin, events):
    """With fewer matches than the sample, the sidebar's sample is every match: same as the API."""
    _login(client, admin)
    _response, page = _page(client, query="NOT verb=list")
    sidebar = {f.key: f for f in page.sidebar}
    for field in ("verb", "user.username", "objectRef.namespace", "objectRef.resource", "responseStatus.code",
                  "cluster"):
        values, other = _api_top(client, field, query="NOT verb=list")
        assert [(v.value, v.count) for v in sidebar[field].values] == values and sidebar[field].other == other


def test_it_counts_sidebar_values_in_the_newest_matches_only(client, admin):
    from django.utils import timezone

    from auditui.events import search_page

    now = timezone.now()
    old = [audit_event(username="old-user", time=now - timedelta(hours=2)) for _ in range(search_page.SIDEBAR_SAMPLE)]
    new = [audit_event(username="new-user", time=now - timedelta(minutes=5)) for _ in range(10)]
    ingest_events(old + new, cluster="prod")
    _login(client, admin)
    _response, page = _page(client)
    users = next(f for f in page.sidebar if f.key == "user.username")
    assert page.sidebar_sample == search_page.SIDEBAR_SAMPLE and page.total == search_page.SIDEBAR_SAMPLE + 10
    assert [(v.value, v.count) for v in users.values] == [("old-user", 490), ("new-user", 10)]
    assert "in the newest 500" in _response.content.decode()


@pytest.mark.parametrize("field", ["cluster", "user.groups", "annotations.authorization.k8s.io/decision"])
def test_it_serves_the_other_fields_top_values_on_demand(client, admin, events, field):
    _login(client, admin)
    load = next(f for f in _page(client, query="NOT verb=list")[1].sidebar if f.key == field).load_href
    fragment = client.get(load, headers={"X-Requested-With": "fetch"})
    summary = fragment.context["field"]
    assert [(v.value, v.count) for v in summary.values] == _api_top(client, field, query="NOT verb=list")[0]
    assert fragment.content.decode().lstrip().startswith('<ul class="values">')
    standalone = client.get(load).content.decode()  # followed without JavaScript: a page of its own
    assert "<html" in standalone and "Back to the search" in standalone


def test_it_refuses_top_values_of_other_fields_and_bad_queries(client, admin, events):
    _login(client, admin)
    assert client.get(reverse("events:field-values", args=["requestObject.spec"])).status_code == 404
    bad = client.get(reverse("events:field-values", args=["verb"]), {"query": "verb=("})
    assert bad.status_code == 400 and "expected a value" in bad.content.decode()


def test_it_builds_filter_links_that_narrow_the_query(client, admin, events):
    _login(client, admin)
    _response, page = _page(client, query="verb=get OR verb=delete")
    users = next(f for f in page.sidebar if f.key == "user.username")
    bob = next(v for v in users.values if v.value == "bob")
    assert parse_qs(urlparse(bob.for_href).query)["query"] == ['(verb=get OR verb=delete) AND "user.username"="bob"']
    assert parse_qs(urlparse(bob.out_href).query)["query"] == [
        '(verb=get OR verb=delete) AND NOT "user.username"="bob"']
    narrowed = client.get(bob.for_href).context["page"]
    assert narrowed.total == 2 and {r.record.username for r in narrowed.rows} == {"bob"}
    excluded = client.get(bob.out_href).context["page"]
    assert excluded.total == page.total - 2 and "bob" not in {r.record.username for r in excluded.rows}


def test_it_quotes_filter_values_so_they_match_only_themselves(client, admin, ingest, now):
    odd = 'we"ird*\\user?'
    ingest([audit_event(time=now, username=odd), audit_event(time=now, username='we"ird-other\\user!')],
           cluster="prod")
    _login(client, admin)
    text = add_clause("", "user.username", odd)
    assert text == '"user.username"="we\\"ird\\*\\\\user\\?"'
    page = _page(client, query=text)[1]
    assert page.total == 1 and page.rows[0].record.username == odd
    assert clause("objectRef.namespace", "") == '"objectRef.namespace" EMPTY'
    assert add_clause("verb=get", "objectRef.namespace", "", negate=True) == (
        'verb=get AND NOT "objectRef.namespace" EMPTY')


def test_it_lists_query_clauses_as_removable_pills(client, admin, events):
    _login(client, admin)
    _response, page = _page(client, query='verb=get AND NOT "user.username"="bob"', cluster="prod")
    assert [p.text for p in page.pills] == ["verb = get", 'NOT "user.username" = bob']
    assert page.pills[1].negated
    assert parse_qs(urlparse(page.pills[1].remove_href).query) == {"query": ["verb = get"], "cluster": ["prod"]}
    assert parse_qs(urlparse(page.cluster_pills[0][1]).query) == {"query": ['verb=get AND NOT "user.username"="bob"']}


# --- columns, rows, histogram ------------------------------------------------------------------

def test_it_shows_the_chosen_columns(client, admin, events):
    _login(client, admin)
    response, page = _page(client, query="verb=patch", columns="time,user.username,requestObject.spec.replicas")
    assert [c.label for c in page.columns] == ["Time", "user.username", "requestObject.spec.replicas"]
    assert [c.text for c in page.rows[0].cells][1:] == ["carol", "3"]
    # The chooser form repeats the parameter; both spellings give the same columns.
    repeated = client.get(EVENTS, {"columns": ["verb", "cluster"]}).context["state"]
    assert repeated.columns == ("verb", "cluster") and repeated.querystring() == "columns=verb%2Ccluster"
    remove = page.columns[1].remove_href
    assert parse_qs(urlparse(remove).query)["columns"] == ["time,requestObject.spec.replicas"]


def test_it_links_each_row_to_its_event_and_the_events_around_it(client, admin, events):
    _login(client, admin)
    _response, page = _page(client, query="verb=patch")
    row = page.rows[0]
    params = parse_qs(urlparse(row.around_href).query)
    assert params["cluster"] == ["dev"]
    start, end = (timezone.datetime.fromisoformat(params[k][0]) for k in ("start", "end"))
    assert start <= row.record.time - timedelta(minutes=5) < row.record.time + timedelta(minutes=5) <= end
    around = client.get(row.around_href).context["page"]
    assert {r.record.cluster for r in around.rows} == {"dev"} and row.record.id in {r.record.id for r in around.rows}


def test_it_expands_a_row_with_fields_and_json(client, admin, events):
    _login(client, admin)
    record = _page(client, query="verb=patch")[1].rows[0].record
    response = client.get(reverse("events:expand", args=[record.id]), {"query": "verb=patch"})
    body = response.content.decode()
    assert response.status_code == 200 and record.audit_id in body and "&quot;replicas&quot;: 3" in body
    fields = {f.key: f for f in response.context["fields"]}
    text, for_href, _out = fields["user.username"].values[0]
    assert text == "carol"
    assert parse_qs(urlparse(for_href).query)["query"] == ['verb=patch AND "user.username"="carol"']


def test_it_zooms_from_a_histogram_bar(client, admin, events):
    _login(client, admin)
    page = _page(client, query="verb=delete")[1]
    bar = next(b for b in page.histogram.bars if b.count)
    params = parse_qs(urlparse(bar.href).query)
    assert params["start"] == [bar.start] and params["end"] == [bar.end] and params["query"] == ["verb=delete"]
    assert _page(client, **{k: v[0] for k, v in params.items()})[1].total == bar.count


def test_it_converts_a_custom_range_from_the_viewer_time_zone(client, admin, events):
    _login(client, admin)
    client.cookies["tz"] = "Asia/Tokyo"
    response = client.get(EVENTS, {"query": "verb=get", "start_local": "2026-11-20T09:00",
                                   "end_local": "2026-11-20T21:00:30"})
    assert response.status_code == 302
    params = parse_qs(urlparse(response.url).query)
    assert params == {"query": ["verb=get"], "start": ["2026-11-20T00:00:00Z"], "end": ["2026-11-20T12:00:30Z"]}
    page = client.get(response.url).context["page"]
    assert page.range_label == "2026-11-20 09:00:00 → 2026-11-20 21:00:30"
    assert "Asia/Tokyo" in client.get(response.url).content.decode()


# --- paging ------------------------------------------------------------------------------------

def test_it_pages_newest_first_by_cursor(client, admin, ingest, now):
    ingest([audit_event(time=now - timedelta(minutes=i)) for i in range(60)], cluster="prod")
    _login(client, admin)
    first = _page(client)[1]
    assert len(first.rows) == 50 and first.older_href and first.total == 60
    times = [r.record.time for r in first.rows]
    assert times == sorted(times, reverse=True)
    response = client.get(first.older_href)
    second = response.context["page"]
    assert len(second.rows) == 10 and second.older_href is None and second.total == 60
    assert {r.record.id for r in first.rows}.isdisjoint(r.record.id for r in second.rows)
    body = response.content.decode()
    assert "Newest" in body and "cursor" not in urlparse(second.newest_href).query


def test_it_restarts_from_the_newest_page_on_a_bad_cursor(client, admin, events):
    _login(client, admin)
    response = client.get(EVENTS, {"query": "verb=get", "cursor": "zzz"})
    assert response.status_code == 302 and parse_qs(urlparse(response.url).query) == {"query": ["verb=get"]}


# --- exports -----------------------------------------------------------------------------------

def test_it_links_exports_to_exactly_the_shown_search(client, admin, events):
    _login(client, admin)
    response, page = _page(client, query="verb=get", cluster="prod", columns="time,user,object")
    params = parse_qs(urlparse(page.export.csv).query)
    assert urlparse(page.export.csv).path == "/api/v1/events/export"
    assert params["format"] == ["csv"] and params["query"] == ["verb=get"] and params["cluster"] == ["prod"]
    assert params["columns"] == ["time,user.username,objectRef.namespace,objectRef.resource,objectRef.name,auditID"]
    assert params["start"][0].endswith("Z") and params["end"][0].endswith("Z")  # the resolved range
    assert parse_qs(urlparse(page.export.json).query)["format"] == ["json"]
    rows = list(csv.DictReader(io.StringIO(b"".join(client.get(page.export.csv).streaming_content).decode())))
    assert {r["auditID"] for r in rows} == {r.record.audit_id for r in page.rows}
    body = response.content.decode()
    assert "max 100,000 rows" in body and "AUDITUI_EXPORT_MAX_ROWS" not in body


def test_it_warns_when_an_export_would_be_capped(client, admin, events, settings):
    settings.AUDITUI_EXPORT_MAX_ROWS = 3
    _login(client, admin)
    response, page = _page(client)
    assert page.export.truncated and page.export.cap == 3
    body = response.content.decode()
    assert "AUDITUI_EXPORT_MAX_ROWS" in body and "only the newest 3 of 7" in body


# --- saved searches ----------------------------------------------------------------------------

def test_it_saves_lists_opens_and_deletes_searches(client, admin, events):
    _login(client, admin)
    response = client.post(reverse("events:saved-create"),
                           {"name": "deletes", "params": "query=verb%3Ddelete&start=now-7d&cursor=abc"})
    saved = SavedSearch.objects.get(owner=admin, name="deletes")
    assert saved.params == "query=verb%3Ddelete&start=now-7d"
    assert response.status_code == 302 and response.url == f"{EVENTS}?{saved.params}"
    body = client.get(EVENTS).content.decode()
    assert "deletes" in body and f'href="{EVENTS}?query=verb%3Ddelete&amp;start=now-7d"' in body
    opened = client.get(reverse("events:saved-open", args=[saved.pk]))
    assert opened.url == f"{EVENTS}?{saved.params}" and client.get(opened.url).context["page"].total == 2
    client.post(reverse("events:saved-create"), {"name": "deletes", "params": "query=verb%3Dget"})
    assert SavedSearch.objects.get(owner=admin, name="deletes").params == "query=verb%3Dget"  # overwritten
    deleted = client.post(reverse("events:saved-delete", args=[saved.pk]), {"next": f"{EVENTS}?query=x"})
    assert deleted.url == f"{EVENTS}?query=x" and not SavedSearch.objects.exists()


def test_it_refuses_a_nameless_search(client, admin):
    _login(client, admin)
    response = client.post(reverse("events:saved-create"), {"name": " ", "params": "query=x"}, follow=True)
    assert not SavedSearch.objects.exists() and "Give the search a name" in response.content.decode()


def test_it_keeps_saved_searches_private(client, admin, scoped_user):
    theirs = SavedSearch.objects.create(owner=admin, name="admin secrets", params="query=secret")
    _login(client, scoped_user)
    assert "admin secrets" not in client.get(EVENTS).content.decode()
    assert client.get(reverse("events:saved-open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("events:saved-delete", args=[theirs.pk])).status_code == 404
    assert SavedSearch.objects.filter(pk=theirs.pk).exists()


def test_it_does_not_redirect_off_site_after_deleting(client, admin):
    saved = SavedSearch.objects.create(owner=admin, name="s", params="")
    _login(client, admin)
    response = client.post(reverse("events:saved-delete", args=[saved.pk]), {"next": "https://evil.example/"})
    assert response.url == EVENTS


# --- RBAC --------------------------------------------------------------------------------------

def test_it_shows_a_scoped_user_only_their_namespaces(client, scoped_user, events):
    _login(client, scoped_user)
    page = _page(client, start="now-7d")[1]
    assert page.total == 5 and {r.record.namespace for r in page.rows} == {"payments"}
    namespaces = next(f for f in page.sidebar if f.key == "objectRef.namespace")
    assert [(v.value, v.count) for v in namespaces.values] == [("payments", 5)]
    assert page.total == client.get("/api/v1/events", {"start": "now-7d"}).json()["count"]
    other = AuditEvent.objects.get(namespace="frontend")
    assert client.get(reverse("events:expand", args=[other.pk])).status_code == 404
    assert client.get(reverse("events:around", args=[other.pk])).status_code == 404


def test_it_shows_an_outsider_nothing(client, outsider, events):
    _login(client, outsider)
    response, page = _page(client, start="now-30d")
    assert page.total == 0 and page.rows == [] and all(not f.values for f in page.sidebar)
    assert "no access scope" in response.content.decode()


def test_it_requires_login(client):
    response = client.get(EVENTS)
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert client.post(reverse("events:saved-create"), {"name": "x"}).status_code == 302


# --- the event page ----------------------------------------------------------------------------

def test_it_links_the_event_page_to_itself_and_the_events_around_it(client, admin, events):
    _login(client, admin)
    event = AuditEvent.objects.get(verb="patch")
    body = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert f'href="/events/{event.pk}/"' in body and "Permalink" in body
    assert f'href="/events/{event.pk}/around/"' in body
    response = client.get(reverse("events:around", args=[event.pk]))
    params = parse_qs(urlparse(response.url).query)
    assert params["cluster"] == ["dev"] and set(params) == {"cluster", "start", "end"}
