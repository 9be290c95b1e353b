"""The endpoints page in a real browser: filter by a selector, open a pod's policies."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_filters_by_selector_and_opens_a_pod(log_in, admin, payments_cluster):
    page = log_in(admin)
    page.goto("/endpoints/")
    assert page.locator("table.endpoints-table tbody tr").count() == 3
    page.fill("input[name=selector]", "app == 'web'")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    rows = page.locator("table.endpoints-table tbody tr")
    assert rows.count() == 1 and "protected" in rows.first.inner_text()
    if os.environ.get("STATE_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["STATE_SCREENSHOTS"], "endpoints.png"), full_page=True)
    with page.expect_navigation():
        rows.first.locator("a").first.click()
    assert "Policies applied, and since when" in page.content()
    assert "NetworkPolicy.networking.k8s.io(payments/web-in)" in page.locator("table.endpoints-table").inner_text()
    if os.environ.get("STATE_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["STATE_SCREENSHOTS"], "endpoint.png"), full_page=True)


def test_it_shows_a_bad_selector_beside_the_form(log_in, admin, payments_cluster):
    page = log_in(admin)
    page.goto("/endpoints/?selector=app%20%3D%3D")
    assert "selector: expected string" in page.locator(".form-error").inner_text()
