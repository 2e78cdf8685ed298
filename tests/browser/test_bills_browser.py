"""In Chromium: Billing > Bills & payments, a month's statement, and Reports > Minute pools."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from credits.models import MinutePool, OrderKind
from tests.browser.test_home_browser import sign_in
from tests.credits.billing.test_bills_page import declined, place
from tests.credits.calls import CONFERENCING, DOMESTIC, E5, INTERNATIONAL, person
from tests.credits.payments import saved_card

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _bills(tenant, user) -> None:
    card = saved_card(tenant, holder="Megan Bowen")
    place(tenant, user, "500", datetime(2025, 1, 9, 10, tzinfo=UTC), kind=OrderKind.PURCHASE,
          card=card)
    for month, day, amount in [(2, 3, "100"), (2, 21, "100"), (4, 2, "250"), (5, 14, "100"),
                               (5, 28, "100"), (6, 11, "150")]:
        place(tenant, user, amount, datetime(2025, month, day, 9, tzinfo=UTC), card=card)
    declined(tenant, user, "100", datetime(2025, 5, 20, 8, tzinfo=UTC))


def _pools(tenant) -> None:
    for index in range(4):
        person(tenant, f"us{index}", DOMESTIC)
    person(tenant, "us-intl", INTERNATIONAL)
    person(tenant, "ca", DOMESTIC, location="CA")
    person(tenant, "gb", DOMESTIC, location="GB")
    person(tenant, "de", INTERNATIONAL, location="DE")
    person(tenant, "conf1", CONFERENCING)
    person(tenant, "conf2", E5, location="GB")
    month = timezone.now().date().replace(day=1)
    for country, capability, used in [
        ("US", "MCOPSTN1", 7420), ("US", "MCOPSTN2", 512), ("CA", "MCOPSTN1", 1310),
        ("GB", "MCOPSTN1", 1200), ("DE", "MCOPSTN1", 260), ("DE", "MCOPSTN2", 75),
        ("", "MCOMEETADD", 44), ("FR", "MCOPSTN1", 35),
    ]:
        MinutePool.objects.create(tenant=tenant, month=month, country=country,
                                  capability=capability, minutes_used=used)
    MinutePool.objects.create(tenant=tenant, month=date(2025, 1, 1), country="US",
                              capability="MCOPSTN1", minutes_used=100)


def test_admin_reads_bills_a_statement_and_the_minute_pools(
    page, live_server, tenant, global_admin, screenshot
):
    _bills(tenant, global_admin)
    _pools(tenant)
    page.goto("/accounts/login/")
    sign_in(page, "admin@contoso.example")
    expect(page.locator("#topbar-tenant")).to_have_text("Contoso")

    nav = page.locator("#console-nav")
    nav.get_by_role("button", name="Billing").click()
    nav.get_by_role("link", name="Bills & payments").click()
    expect(page.get_by_role("heading", name="Bills & payments", exact=True)).to_be_visible()
    expect(page.locator("#statements-table tbody tr")).to_have_count(5)
    expect(page.locator("#statement-2025-05")).to_contain_text("$200.00")
    expect(page.locator("#attempts-table")).to_contain_text("Failed")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "bills.png")

    page.locator("#statement-2025-05").get_by_role("link", name="May 2025", exact=True).click()
    expect(page.locator("#statement-heading")).to_have_text("Statement for May 2025")
    expect(page.locator("#statement-total")).to_have_text("$200.00")
    expect(page.locator("#statement-lines tbody tr")).to_have_count(2)
    with page.expect_download() as download:
        page.locator("#statement-download").click()
    assert download.value.suggested_filename == "communications-credits-contoso-2025-05.csv"
    screenshot(page, "bill-statement.png")

    nav.get_by_role("button", name="Reports").click()
    nav.get_by_role("link", name="Minute pools").click()
    expect(page.get_by_role("heading", name="Minute pools", exact=True)).to_be_visible()
    expect(page.locator("#pool-MCOPSTN1-GB")).to_have_attribute("data-level", "danger")
    expect(page.locator("#pool-MCOPSTN2-US")).to_have_attribute("data-level", "warning")
    expect(page.locator("#pool-MCOPSTN1-FR")).to_contain_text("No license gives")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "minute-pools.png")

    last_month = page.locator("#pools-month option").nth(1).get_attribute("value")
    page.locator("#pools-month").select_option(last_month)  # htmx swaps the report
    expect(page.locator("#pools-summary")).to_contain_text(": 0 of ")
    expect(page).to_have_url(f"{live_server.url}/reports/minute-pools/?month={last_month}")
