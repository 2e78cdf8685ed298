"""In Chromium: the Content-Security-Policy blocks nothing the console needs. The main
pages load, the charts draw, htmx swaps, the language menu submits itself and the
statement's Print button works, with no CSP violation (the ``page`` fixture fails a test
on any)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_home_browser import sign_in
from tests.credits import calls
from tests.credits import report_data as reports
from tests.credits.billing.test_bills_page import place
from tests.credits.payments import saved_card

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

usage = reports.usage
test_rates = calls.test_rates


def test_main_pages_work_under_the_content_security_policy(
    page, live_server, tenant, global_admin, usage
):
    # Contoso's calls come with its credit account: a month with an Add funds order.
    place(tenant, global_admin, "100", datetime(2025, 5, 14, 9, tzinfo=UTC),
          card=saved_card(tenant))
    headers = page.goto("/accounts/login/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    sign_in(page, "admin@contoso.example")
    expect(page.locator("#topbar-tenant")).to_have_text("Contoso")

    for url, heading in [
        ("/users/active/", "Active users"),
        ("/billing/bills/", "Bills & payments"),
        ("/billing/products/communications-credits/", "Communications Credits"),
        ("/reports/minute-pools/", "Minute pools"),
        ("/billing/rates/", None),
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        if heading:
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()

    # A progress bar's width comes from a class, not a style attribute.
    page.goto("/reports/minute-pools/")
    widths = page.locator(".progress-bar").evaluate_all(
        """bars => bars.map(bar => {
            const percent = Number(bar.className.match(/console-pct-(\\d+)/)[1]);
            const drawn = bar.getBoundingClientRect().width;
            const full = bar.parentElement.getBoundingClientRect().width;
            return [percent, Math.round(100 * drawn / full)];
        })"""
    )
    assert widths and all(abs(percent - drawn) <= 1 for percent, drawn in widths), widths

    # The report's charts draw (Chart.js sizes its canvas without inline style markup)
    # and htmx swaps the report when the filters are applied.
    page.goto("/reports/pstn-usage/?range=28")
    canvas = page.locator("canvas").first
    expect(canvas).to_be_visible()
    assert canvas.evaluate("el => el.width") > 0
    page.get_by_label("Call type").select_option("user_in")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"call_type=user_in"))

    # The statement's Print button (print.js, no inline handler).
    page.goto("/billing/bills/2025-05/")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.locator("#statement-print").click()
    assert page.evaluate("window.printed") is True

    # The language menu submits itself (autosubmit.js, no inline onchange).
    page.goto("/")
    page.locator("#language-select").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.wait_for_load_state("load")  # the menu submits itself once its script ran
    page.locator("#language-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
