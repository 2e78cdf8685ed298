"""In Chromium: Billing > Rates, searched by country as one types (htmx)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from credits.usage.services.rates import sample_rates_load
from tests.browser.test_home_browser import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_billing_admin_searches_the_rates(page, live_server, billing_admin, screenshot):
    sample_rates_load()
    page.goto("/accounts/login/")
    sign_in(page, "billing@contoso.example")
    expect(page.locator("#topbar-tenant")).to_have_text("Contoso")

    nav = page.locator("#console-nav")
    nav.get_by_role("button", name="Billing").click()
    nav.get_by_role("link", name="Rates").click()

    expect(page.get_by_role("heading", name="Rates", exact=True)).to_be_visible()
    expect(page.locator("#rates-count")).to_contain_text("62 countries")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "rates.png")
    page.get_by_label("Search by country").fill("germ")
    expect(page.locator("#rates-table tbody tr")).to_have_count(1)
    expect(page.locator("#rate-DE")).to_contain_text("Germany")
    expect(page).to_have_url(f"{live_server.url}/billing/rates/?q=germ")
