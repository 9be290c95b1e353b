"""The policy pages in a real browser: list → policy → diff → split view, and the screenshot."""

from __future__ import annotations

import os

import pytest

from tests.policies.conftest import K8S_PAGE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_goes_from_the_list_to_a_policy_diff_in_split_view(log_in, admin, stories):
    page = log_in(admin)
    page.goto("/policies/")
    assert page.get_by_test_id("policy-count").inner_text().startswith("4")
    with page.expect_navigation():
        page.click(f'a[href^="{K8S_PAGE}?cluster=c1&start="]')
    assert page.get_by_test_id("change-count").inner_text() == "6"
    change = page.locator("#change-3")
    diff = change.get_by_test_id("diff")
    assert not diff.locator("table.diff-unified").is_visible()
    diff.locator("summary").click()
    unified = diff.locator("table.diff-unified")
    assert unified.is_visible() and any("8443" in t for t in unified.locator("tr.add").all_inner_texts())
    page.click("[data-toggle=view] a[data-view=split]")  # switches in place (policies.js)
    split = diff.locator("table.diff-split")
    assert split.is_visible() and not unified.is_visible()
    assert "view=split" in page.url
    added = split.locator("td.code.add").all_inner_texts()
    assert any("8443" in text for text in added)
    page.reload()  # the URL keeps the layout
    assert "view-split" in page.locator("[data-history]").get_attribute("class")


def test_it_shows_the_policy_as_it_was_from_a_change(log_in, admin, stories):
    page = log_in(admin)
    page.goto(f"{K8S_PAGE}?cluster=c1")
    with page.expect_navigation():
        page.locator("#change-2").get_by_text("As it was after this change").click()
    snapshot = page.get_by_test_id("snapshot")
    assert "owner: sre" in snapshot.inner_text() and "8443" not in snapshot.inner_text()


def test_it_expands_every_diff_at_once(log_in, admin, stories):
    page = log_in(admin)
    page.goto(f"{K8S_PAGE}?cluster=c1")
    page.click("[data-expand-all]")
    opened = page.locator("details.diff[open]").count()
    assert opened == page.locator("details.diff").count() > 3


def test_it_renders_a_simulated_history_in_split_view(log_in, admin, ingest, tmp_path):
    """A Calico policy's whole history from two simulated days, in split view, the newest diffs
    open; ``POLICY_SCREENSHOT=/tmp/policy.png`` keeps the screenshot to look at."""
    from datetime import timedelta

    from django.utils import timezone

    from auditui.events.simulator import generate

    start = timezone.now() - timedelta(days=2)
    ingest([e for _c, e in generate(clusters=["prod-eu"], start=start, days=2, events_per_second=0.05, seed=1)],
           cluster="prod-eu")
    page = log_in(admin)
    page.goto("/policies/?kind=globalnetworkpolicies.projectcalico.org")
    with page.expect_navigation():
        page.locator("table.policies-table td.name a").first.click()
    with page.expect_navigation():
        page.get_by_text("Show the whole history").click()
    page.click("[data-toggle=view] a[data-view=split]")
    page.eval_on_selector_all("li.change details.diff", "els => els.slice(-3).forEach(d => d.open = true)")
    assert page.locator("li.change").count() >= 2
    assert page.locator("table.diff-split, .diff-split").count() >= 1
    shot = os.environ.get("POLICY_SCREENSHOT") or str(tmp_path / "policy.png")
    page.screenshot(path=shot, full_page=True)
    assert os.path.getsize(shot) > 10_000
