"""A scoped viewer in a real browser: the limit is said on every page, an empty search says that
events outside the scope are not shown, and the line leads to the explanation."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
LINE = "Your view is limited to namespace payments in every cluster."


def test_it_says_the_limit_and_explains_it(log_in, scoped_user):
    page = log_in(scoped_user)
    for path in ("/", "/policies/", "/endpoints/"):
        page.goto(path)
        assert page.locator(".scope-line").inner_text().startswith(LINE)

    page.goto("/events/?query=verb%3Ddelete")
    empty = page.locator("td.empty").inner_text()
    assert "Events outside your scope are not shown" in empty
    with page.expect_navigation():
        page.click(".scope-line a")
    assert "/scope/" in page.url and "namespace payments in every cluster" in page.locator(".grants").inner_text()
