"""Browser fixtures (a pytest plugin: ``pytest_plugins = ["tests.browser"]``).

Playwright's Python package drives Debian's ``chromium`` (``apt-get install chromium``), never a
browser downloaded by ``playwright install``. When chromium is missing the tests skip locally and
fail in CI (``CI=true``), so a CI run never silently tests less. Pages run against pytest-django's
``live_server``; tests that use them need ``transactional_db`` so the server sees their data.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import PASSWORD

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}


def _chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if os.path.exists(configured) else None
    return shutil.which("chromium") or shutil.which("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session."""
    executable = _chromium_path()
    if executable is None:
        message = "needs Debian's chromium for browser tests: apt-get install -y chromium (or set CHROMIUM)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are still synchronous, so Django's async guard must stand aside.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def browser_tz() -> str:
    """The viewer's time zone; override in a test module to see pages in another zone."""
    return "UTC"


@pytest.fixture
def browser_page(browser, live_server, browser_tz) -> Iterator:
    """A fresh context (cookies, downloads) and page, with the ``tz`` cookie already set so
    ``timezone.js`` has no reason to reload the first page. Uncaught script errors fail the test."""
    context = browser.new_context(base_url=live_server.url, timezone_id=browser_tz, viewport=VIEWPORT,
                                  accept_downloads=True, locale="en-US")
    context.add_cookies([{"name": "tz", "value": browser_tz, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    context.close()
    assert not script_errors, f"JavaScript errors on the page: {script_errors}"


@pytest.fixture
def log_in(browser_page) -> Callable:
    """``log_in(user)`` posts the login form in the page, as a person would."""

    def _log_in(user, password: str = PASSWORD):
        browser_page.goto("/login/")
        browser_page.fill("#id_username", user.get_username())
        browser_page.fill("#id_password", password)
        with browser_page.expect_navigation():
            browser_page.click("button[type=submit]")
        assert "/login/" not in browser_page.url, "login failed"
        return browser_page

    return _log_in
