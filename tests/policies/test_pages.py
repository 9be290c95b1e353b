"""The policy pages, server-rendered and usable without JavaScript."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.policies.conftest import GNP_PAGE, K8S_PAGE
from tests.policies.stories import PolicyStory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_it_lists_changed_policies_with_their_facts(admin_client, stories):
    response = admin_client.get("/policies/")
    assert response.status_code == 200
    text = _text(response)
    assert "4 policies" in text and "Last 24 hours" in text
    assert f'href="{K8S_PAGE}?cluster=c1&amp;start=' in response.content.decode()  # its changes in the window
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*allow-web(?:(?!</tr>).)*</tr>", response.content.decode(), re.S)[0]
    assert "NetworkPolicy" in row and ">6<" in row and "dave@example.com" in row and "Exists" in row


def test_it_offers_windows_and_a_custom_range_in_the_viewers_zone(admin_client, stories):
    assert "1 polic" in _text(admin_client.get("/policies/?changed_within=1h"))
    admin_client.cookies["tz"] = "Europe/Berlin"
    response = admin_client.get("/policies/?start_local=2026-11-20T13:00:00&end_local=2026-11-20T14:00:00")
    assert response.status_code == 302
    assert "start=2026-11-20T12%3A00%3A00Z" in response["Location"] and "end=2026-11-20T13" in response["Location"]
    assert "2026-11-20 13:00:00 → 2026-11-20 14:00:00" in _text(admin_client.get(response["Location"]))


def test_it_reports_a_bad_window(admin_client, stories):
    response = admin_client.get("/policies/?changed_within=forever")
    assert response.status_code == 200 and "is not a duration" in _text(response)


def test_it_lists_all_known_policies_on_the_second_tab(admin_client, stories):
    text = _text(admin_client.get("/policies/?tab=known"))
    assert "5 policies" in text and "office" in text


def test_it_filters_the_list(admin_client, stories):
    assert "1 policy" in _text(admin_client.get("/policies/?kind=globalnetworkpolicies.projectcalico.org"))
    assert "1 policy" in _text(admin_client.get("/policies/?q=cart"))
    assert "2 policies" in _text(admin_client.get("/policies/?user=bob@example.com"))


def test_it_shows_every_change_with_who_when_where_and_a_diff(admin_client, stories):
    response = admin_client.get(f"{K8S_PAGE}?cluster=c1")
    html, text = response.content.decode(), _text(response)
    assert response.status_code == 200
    assert html.count('data-testid="change"') == 6
    assert "bob@example.com" in text and "10.0.0.7" in text and "kubectl/v1.31.0" in text
    assert 'title="Groups: system:authenticated"' in html
    assert "spec.ingress[0].ports[1]" in text and "8443/TCP" in text
    assert "metadata.labels.owner" in text
    assert 'class="yaml-diff diff-unified"' in html and 'class="yaml-diff diff-split"' in html
    assert "Recreated as a new object" in text and text.count("Life ") == 2
    assert re.search(r"Failed attempts.*mallory@example.com.*403.*Forbidden", text)
    first_event = stories["k8s"].events[0]
    assert "/events/" in html and first_event["auditID"] in html


def test_it_links_each_change_to_the_events_around_it(admin_client, stories):
    html = admin_client.get(f"{K8S_PAGE}?cluster=c1").content.decode()
    link = re.search(r'href="(/events/\?cluster=c1&amp;start=[^"]+)">Events around this change', html)[1]
    start = re.search(r"start=([0-9T%A-Z-]+)&amp;end=([0-9T%A-Z-]+)", link)
    assert start and "%3A" in start[1]


def test_it_hides_noise_unless_asked(admin_client, stories):
    def timeline(query):
        html = admin_client.get(f"{K8S_PAGE}?cluster=c1{query}").content.decode()
        return html[html.index('<ol class="timeline">'):]

    quiet, loud = timeline(""), timeline("&noise=1")
    assert "metadata.resourceVersion" not in quiet and "managedFields:" not in quiet and "bookkeeping change" in quiet
    assert "metadata.resourceVersion" in loud and "managedFields:" in loud


def test_it_renders_the_split_view_without_javascript(admin_client, stories):
    html = admin_client.get(f"{K8S_PAGE}?cluster=c1&view=split").content.decode()
    assert 'class="history view-split"' in html


def test_it_shows_the_policy_as_it_was_at_an_instant(admin_client, stories):
    story = stories["k8s"]
    after_json_patch = story.events[2]["requestReceivedTimestamp"]
    html = admin_client.get(f"{K8S_PAGE}?cluster=c1&at={after_json_patch}").content.decode()
    snapshot = re.search(r'<section class="card snapshot".*?</section>', html, re.S)[0]
    assert "port: 8443" in snapshot and "egress" not in snapshot
    before = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "did not exist" in _text(admin_client.get(f"{K8S_PAGE}?cluster=c1&at={before}"))
    assert "not a time" in _text(admin_client.get(f"{K8S_PAGE}?cluster=c1&at=yesterday"))


def test_it_takes_the_instant_in_the_viewers_zone(admin_client, stories):
    admin_client.cookies["tz"] = "America/New_York"
    response = admin_client.get(f"{K8S_PAGE}?cluster=c1&at_local=2026-01-15T07:00:00")
    assert response.status_code == 302 and "at=2026-01-15T12%3A00%3A00Z" in response["Location"]


def test_it_asks_which_object_when_the_name_is_ambiguous(admin_client, stories):
    response = admin_client.get(K8S_PAGE)
    assert response.status_code == 300
    assert f"{K8S_PAGE}?cluster=c1" in response.content.decode() and "?cluster=c2" in response.content.decode()


def test_it_accepts_the_bare_resource_where_unambiguous(admin_client, stories):
    assert admin_client.get("/policies/globalnetworkpolicies/-/security.block-metadata/").status_code == 200
    assert admin_client.get("/policies/networkpolicies/checkout/platform.cart/").status_code == 200


def test_it_answers_404_for_unknown_objects_and_kinds(admin_client, stories):
    assert admin_client.get("/policies/networkpolicies.networking.k8s.io/payments/nope/").status_code == 404
    assert admin_client.get("/policies/pods/payments/allow-web/").status_code == 404
    assert admin_client.get(f"{GNP_PAGE.replace('/-/', '/payments/')}").status_code == 404


def test_it_escapes_everything(admin_client, ingest):
    evil = PolicyStory(name="evil", start=timezone.now() - timedelta(hours=1), user="<script>alert(1)</script>")
    evil.create({"podSelector": {"matchLabels": {"app": "<img src=x onerror=alert(1)>"}}})
    evil.merge_patch({"metadata": {"annotations": {"note": "</td><script>x()</script>"}}})
    ingest(evil.events, cluster="c1")
    html = admin_client.get("/policies/networkpolicies.networking.k8s.io/payments/evil/?cluster=c1&view=split").content
    assert b"<script>alert" not in html and b"<img src=x" not in html and b"</td><script>" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert b"<script>alert" not in admin_client.get("/policies/").content


def test_it_pages_long_histories_newest_page_first(admin_client, ingest):
    story = PolicyStory(name="busy", start=timezone.now() - timedelta(hours=20))
    story.create({"podSelector": {}, "policyTypes": ["Ingress"]})
    for n in range(60):
        story.merge_patch({"metadata": {"labels": {"n": str(n)}}}, minutes=1)
    ingest(story.events, cluster="c1")
    page = "/policies/networkpolicies.networking.k8s.io/payments/busy/?cluster=c1"
    html = admin_client.get(page).content.decode()
    assert "Changes 12–61 of 61" in html and html.count('data-testid="change"') == 50
    assert "continued" in html
    first = admin_client.get(page + "&page=1").content.decode()
    assert "Changes 1–11 of 61" in first and 'id="change-1"' in first
    at = story.events[3]["requestReceivedTimestamp"]
    assert 'id="change-4"' in admin_client.get(f"{page}&at={at}").content.decode()


def test_it_needs_a_login(client, stories):
    assert client.get("/policies/").status_code == 302
    assert client.get(f"{K8S_PAGE}?cluster=c1").status_code == 302


def test_it_shows_the_changes_of_a_window_and_links_the_whole_history(admin_client, stories):
    update_time = stories["k8s"].events[3]["requestReceivedTimestamp"]
    response = admin_client.get(f"{K8S_PAGE}?cluster=c1&start={update_time}")
    html, text = response.content.decode(), _text(response)
    assert html.count('data-testid="change"') == 3 and "Changes received from" in text
    assert "spec.egress" in text  # the update is diffed against the version before the window
    assert f'href="{K8S_PAGE}?cluster=c1"' in html
    assert "not a time" in _text(admin_client.get(f"{K8S_PAGE}?cluster=c1&start=soon"))


def test_it_lists_metadata_level_changes_without_content(admin_client, ingest):
    story = PolicyStory(name="quiet", level="Metadata", start=timezone.now() - timedelta(hours=2))
    story.create({"podSelector": {}})
    story.merge_patch({"metadata": {"labels": {"a": "b"}}})
    ingest(story.events, cluster="c1")
    response = admin_client.get("/policies/networkpolicies.networking.k8s.io/payments/quiet/?cluster=c1")
    text = _text(response)
    assert response.content.decode().count('data-testid="change"') == 2
    assert "Content not recorded at this audit level." in text and "Diff" not in text
