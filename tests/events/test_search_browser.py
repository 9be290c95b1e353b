"""The events page in a real browser (chromium through Playwright): typing queries, errors,
sidebar filters, histogram zoom, expandable rows and exports. Needs ``tests.browser``."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from tests.factories import audit_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USERS = ("alice@example.com", "bob@example.com", "carol@example.com",
         "system:serviceaccount:kube-system:replicaset-controller", "system:kube-scheduler",
         "system:serviceaccount:ci:deployer")
NAMESPACES = ("payments", "checkout", "frontend", "kube-system", "monitoring", "ci")
RESOURCES = (("pods", ""), ("deployments", "apps"), ("networkpolicies", "networking.k8s.io"), ("secrets", ""),
             ("configmaps", ""), ("services", ""), ("globalnetworkpolicies", "projectcalico.org"))
VERBS = ("get", "get", "get", "list", "watch", "create", "update", "patch", "delete")


def demo_events(count: int = 600, seed: int = 7) -> list[dict]:
    """A day of varied activity: people and controllers, reads and writes, some refusals."""
    rng, now = random.Random(seed), timezone.now()
    events = []
    for _ in range(count):
        # More activity in recent hours, like a working day that is still going on.
        ago = timedelta(minutes=int(rng.triangular(1, 24 * 60 - 5, 60)))
        resource, group = rng.choice(RESOURCES)
        namespace = None if resource == "globalnetworkpolicies" else rng.choice(NAMESPACES)
        verb = rng.choice(VERBS)
        code = rng.choice((200,) * 12 + (201, 403, 404, 409)) if verb != "create" else rng.choice((201, 201, 403))
        events.append(audit_event(
            time=now - ago, verb=verb, resource=resource, api_group=group, namespace=namespace,
            name=f"{resource[:-1]}-{rng.randint(1, 40)}", username=rng.choice(USERS), code=code,
            sourceIPs=[f"10.0.{rng.randint(0, 3)}.{rng.randint(2, 250)}"],
        ))
    return events


@pytest.fixture
def demo_data(ingest):
    from tests.events.conftest import load_sample_events

    by_cluster: dict[str, list[dict]] = {}
    for cluster, event in load_sample_events():
        by_cluster.setdefault(cluster, []).append(event)
    for cluster, events in by_cluster.items():
        ingest(events, cluster=cluster)
    events = demo_events()
    ingest(events[:400], cluster="prod-eu")
    ingest(events[400:], cluster="prod-us")
    return events


def _total(page) -> int:
    return int(page.get_by_test_id("total").inner_text().replace(",", ""))


def _search(page, text: str) -> None:
    page.fill("#query", text)
    with page.expect_navigation():
        page.press("#query", "Enter")


def _column(page, index: int) -> list[str]:
    """The text of one column of the results (0 is the expand toggle)."""
    return page.locator(f"table.results-table tbody tr.event td:nth-child({index + 1})").all_inner_texts()


def test_it_searches_and_draws_the_histogram(log_in, admin, demo_data):
    page = log_in(admin)
    page.goto("/events/")
    everything = _total(page)
    _search(page, "verb=delete")
    deletes = sum(1 for e in demo_data if e["verb"] == "delete")
    assert _total(page) == deletes < everything
    assert parse_qs(urlparse(page.url).query)["query"] == ["verb=delete"]
    assert set(_column(page, 3)) == {"delete"}
    bars = page.locator(".hist-bars .bar")
    assert bars.count() > 20
    heights = page.locator(".hist-bars .bar.nz").count()
    assert heights > 0


def test_it_shows_a_bad_query_inline(log_in, admin, demo_data):
    page = log_in(admin)
    page.goto("/events/")
    _search(page, 'verb = ( AND "user.username"=alice')
    error = page.locator("#query-error")
    assert error.is_visible()
    assert "column 8" in error.inner_text()
    assert page.locator("#query-error pre.caret").inner_text().splitlines()[1] == " " * 7 + "^"
    assert page.locator("#query").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "query"
    assert page.locator("table.results-table").count() == 0


def test_it_narrows_the_results_with_a_sidebar_filter(log_in, admin, demo_data):
    page = log_in(admin)
    page.goto("/events/?" + "query=" + "verb%3Dget")
    before = _total(page)
    field = page.locator('details.field[data-field="user.username"]')
    value = field.locator(".values li .value").first.inner_text()
    with page.expect_navigation():
        field.locator(".filter-for").first.click()
    assert 0 < _total(page) < before
    assert parse_qs(urlparse(page.url).query)["query"] == [f'verb=get AND "user.username"="{value}"']
    assert set(_column(page, 4)) == {value}
    assert page.locator(".pill").count() == 2


def test_it_loads_a_closed_fields_values_when_opened(log_in, admin, demo_data):
    page = log_in(admin)
    page.goto("/events/")
    before = _total(page)
    field = page.locator('details.field[data-field="cluster"]')
    field.locator("summary").click()
    field.locator(".values li .value").first.wait_for()
    assert set(field.locator(".values li .value").all_inner_texts()) >= {"prod-eu", "prod-us"}
    with page.expect_navigation():
        field.locator(".filter-out").first.click()
    assert 0 < _total(page) < before
    assert parse_qs(urlparse(page.url).query)["query"][0].startswith('NOT "cluster"=')


def test_it_zooms_by_dragging_across_the_histogram(log_in, admin, demo_data):
    page = log_in(admin)
    page.goto("/events/")
    before = _total(page)
    bars = page.locator(".hist-bars .bar")
    first, last = bars.nth(bars.count() - 12).bounding_box(), bars.nth(bars.count() - 3).bounding_box()
    page.mouse.move(first["x"] + 2, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(last["x"] + 2, last["y"] + last["height"] / 2, steps=8)
    with page.expect_navigation():
        page.mouse.up()
    params = parse_qs(urlparse(page.url).query)
    start, end = (datetime.fromisoformat(params[k][0]) for k in ("start", "end"))
    assert end - start == timedelta(minutes=30) * 10  # ten half-hour bars, first to last
    assert _total(page) < before
    assert page.get_by_test_id("range-label").inner_text().count("→") == 1


def test_it_expands_a_row_in_place(log_in, admin, demo_data):
    page = log_in(admin)
    page.goto("/events/")
    audit_id = page.locator("tr.event").first.get_attribute("data-audit-id")
    page.locator("tr.event a.expand").first.click()
    expanded = page.locator("tr.expanded-row")
    expanded.locator(".field-table").wait_for()
    assert audit_id in expanded.locator(".field-table").inner_text()
    expanded.get_by_text("JSON", exact=True).click()
    assert expanded.locator(".field-table").is_hidden()
    assert f'"auditID": "{audit_id}"' in expanded.locator("pre.json").inner_text()
    assert expanded.get_by_text("Events around this one").is_visible()
    assert page.locator("tr.event a.expand").first.get_attribute("aria-expanded") == "true"


def test_it_exports_exactly_the_matching_rows(log_in, admin, demo_data, store):
    page = log_in(admin)
    page.goto("/events/")
    _search(page, '"responseStatus.code" >= 400 AND NOT verb=get')
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = {e["auditID"] for e in demo_data
                if e["responseStatus"]["code"] >= 400 and e["verb"] != "get"}
    assert expected and {row["auditID"] for row in rows} == expected
    assert len(rows) == len(expected) == _total(page)
    assert {"time", "cluster", "verb", "user.username", "responseStatus.code"} <= set(rows[0])


@pytest.mark.parametrize("browser_tz", ["Europe/Paris"])
def test_it_looks_right_with_demo_data(log_in, admin, demo_data):
    """A screenshot for people to look at: /tmp/search.png (a row expanded, the sidebar open)."""
    page = log_in(admin)
    page.set_viewport_size({"width": 1440, "height": 1300})
    page.goto("/events/?query=NOT+verb+IN+%7B%22get%22%2C%22list%22%2C%22watch%22%7D")
    page.locator("tr.event a.expand").nth(1).click()
    page.locator("tr.expanded-row .field-table").wait_for()
    page.screenshot(path="/tmp/search.png", full_page=False)
    assert "Europe/Paris" in page.locator(".timepicker summary").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440  # nothing overflows sideways
