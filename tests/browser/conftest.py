"""Browser tests: the live server driven by the system Chromium through Playwright.

`playwright install` is not used: tests launch /usr/bin/chromium. Without it they are
skipped with the reason, except under CI (CI=true), where a missing browser fails the
run so the browser tests can never be skipped silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 800}
BROWSER_DIR = Path(__file__).resolve().parent
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " at " + event.sourceFile + ":" +
                event.lineNumber);
});
"""


def pytest_collection_modifyitems(items):
    # Whatever a test under tests/browser forgets, it is a browser test.
    for item in items:
        if BROWSER_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("browser") is not None:
            # In the JUnit XML report, where CI (.ci/run) counts the browser tests that passed.
            item.user_properties.append(("marker", "browser"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = f"Browser tests need the system Chromium at {CHROMIUM}; it is not installed."
        if _in_ci():
            pytest.fail(f"{reason} CI=true, so this is a failure, not a skip.")
        pytest.skip(reason)
    return str(CHROMIUM)


@contextmanager
def _running_playwright() -> Iterator:
    """Playwright's sync API, keeping the test on its own database connections.

    Playwright leaves an event loop marked as running in this thread, and Django then
    keeps connections per async context rather than per thread: the test body would
    silently open a second connection (without the serialized-rollback data, and never
    closed). So the thread's connections are handed to the loop's context too.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    own = {alias: connections[alias] for alias in connections}  # before the loop runs
    # The test code talks to the database synchronously while the loop runs, which
    # Django otherwise refuses.
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, connection in own.items():
            connections[alias] = connection
        try:
            yield playwright
        finally:
            for alias in own:
                del connections[alias]  # the loop context's reference only


@pytest.fixture
def browser(chromium_executable: str, live_server, transactional_db) -> Iterator:
    """Chromium, started for each test after its database is ready and closed before
    the database is flushed."""
    with _running_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(request, browser, live_server) -> Iterator:
    """A fresh browser context on the live server; fails the test on broken assets,
    JavaScript errors or a server error (5xx), which a person would see as a broken
    page. A test that provokes server errors on purpose is marked ``server_errors``."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    # A loaded 2-core CI machine can be slow to answer: expect() waits as long as actions.
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    # Anything the Content-Security-Policy blocks (an inline script or style, another
    # host) is a broken page too: Chromium reports it on the console, and the page's
    # securitypolicyviolation event says which directive.
    context.add_init_script(CSP_LISTENER)

    def check_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            problems.append(text)

    page.on("console", check_console)

    server_errors_expected = request.node.get_closest_marker("server_errors") is not None

    def check_asset(response) -> None:
        if response.status >= 400 and "/static/" in response.url:
            problems.append(f"{response.status} for {response.url}")
        elif response.status >= 500 and not server_errors_expected:
            problems.append(f"{response.status} for {response.request.method} {response.url}")

    page.on("response", check_asset)
    try:
        yield page
    finally:
        context.close()
    assert problems == [], problems


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under docs/screenshots/ and return its path."""

    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
