"""Accessibility in Chromium (README, "Accessibility"): axe-core (vendored from its npm
package under tests/browser/vendor/axe-core/, used by the tests only) finds no serious or
critical violation on the console's main pages and flyouts; a flyout's form moves the
focus to the first invalid field after an error, and Esc closes a flyout; at 390 px wide
every table column can be reached by scrolling the table sideways."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import AdminRole, Product
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.models import CreditAccount, OrderKind, PaymentType
from tests.accounts.factories import (
    AdminFactory,
    LicenseAssignmentFactory,
    SubscriptionFactory,
    TenantFactory,
    UserFactory,
    product,
)
from tests.browser.conftest import VIEWPORT
from tests.browser.signing_in import sign_in_with_second_factor
from tests.credits import calls
from tests.credits.calls import CREDITS, DE_FIXED, import_rows, person, record
from tests.credits.payments import saved_card, token
from tests.credits.report_data import days_ago

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

test_rates = calls.test_rates

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# The page's own rules, as WCAG 2.1 AA asks (best practices are advice, not failures).
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                     "wcag21aa"]}}
SERIOUS = {"serious", "critical"}
MAIN_PAGES = (
    "/",
    "/billing/purchase-services/",
    "/billing/products/",
    "/billing/products/communications-credits/",
    "/users/active/",
    "/reports/pstn-usage/",
    "/reports/minute-pools/",
    "/billing/bills/",
    "/billing/payment-methods/",
    "/billing/rates/",
    "/message-center/",
)


@pytest.fixture
def axe_page(browser, live_server):
    """A page whose context lets the test inject axe-core (a script tag the console's
    Content-Security-Policy would refuse: the policy is the pages' own, not the tests')."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="en-US",
                                  bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], errors


def axe_problems(page, where: str) -> list[str]:
    """The serious and critical violations axe-core finds on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [
        f"{where}: {v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:4])
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def contoso(tenant, global_admin, billing_admin, test_rates):
    for code in (Product.MICROSOFT_365_E5, Product.DOMESTIC_CALLING_PLAN):
        SubscriptionFactory(tenant=tenant, product=product(code), seats=25)
    users = UserFactory.create_batch(3, tenant=tenant, usage_location="US")
    for user in users:
        LicenseAssignmentFactory(user=user, product=product(Product.MICROSOFT_365_E5))
    card = saved_card(tenant, holder="Alex Wilber")
    order_place(
        tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
        amount=Decimal("100"), payment=Payment(type=PaymentType.CARD, card=card),
        idempotency_key=token(),
        recharge=RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20")),
    )
    caller = person(tenant, "cy", CREDITS)
    import_rows(tenant, [record(upn=caller.username, destination=DE_FIXED, seconds=95,
                                start=days_ago(n + 1)) for n in range(3)])
    assert CreditAccount.objects.get(tenant=tenant).balance < 100
    return tenant


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    sign_in_with_second_factor(page, username)
    expect(page.locator("#topbar-tenant")).to_be_visible()


def test_the_main_pages_and_flyouts_have_no_serious_violations(axe_page, contoso):
    page = axe_page
    page.goto("/accounts/login/")
    problems = axe_problems(page, "sign-in")
    sign_in(page, "admin@contoso.example")
    for url in MAIN_PAGES:
        page.goto(url)
        expect(page.locator("h1").first).to_be_visible()
        problems += axe_problems(page, url)

    # The user panel's Licenses and apps tab (a flyout).
    page.goto("/users/active/")
    page.get_by_role("link", name="Cy", exact=True).click()
    expect(page.locator("#flyout")).to_be_visible()
    page.locator("#flyout").get_by_role("link", name="Licenses and apps").click()
    expect(page.locator("#flyout").get_by_role("button", name="Save")).to_be_visible()
    page.wait_for_timeout(400)
    problems += axe_problems(page, "user panel, Licenses and apps")

    # The subscription's flyouts: Add more funds, Modify recharge settings.
    for button in ("Add more funds", "Modify recharge settings"):
        page.goto("/billing/products/communications-credits/")
        page.locator(f"[data-flyout-title='{button}']").first.click()
        expect(page.locator("#flyout form")).to_be_visible()
        page.wait_for_timeout(400)
        problems += axe_problems(page, f"flyout {button}")
    assert problems == []


def test_the_set_up_steps_have_no_serious_violations(axe_page, tenant):
    northwind = TenantFactory(name="Northwind Traders", slug="northwind", country="DE",
                              currency="EUR")
    AdminFactory(tenant=northwind, username="billing@northwind.example",
                 display_name="Alex Wilber", roles=[AdminRole.BILLING_ADMIN])
    page = axe_page
    sign_in(page, "billing@northwind.example")
    page.goto("/billing/purchase-services/communications-credits/")
    expect(page.get_by_label("Add funds")).to_be_visible()
    problems = axe_problems(page, "set-up")
    page.get_by_label("Add funds").fill("25,5")
    page.get_by_label("Recharge with").fill("50")
    page.get_by_label("When the balance falls below").fill("20")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#setup-form .invalid-feedback").first).to_be_visible()
    problems += axe_problems(page, "set-up with an error")
    page.get_by_label("Add funds").fill("1,000")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("button", name="Place order")).to_be_visible()
    problems += axe_problems(page, "payment step")
    assert problems == []


def test_a_flyout_focuses_the_first_invalid_field_and_esc_closes_it(axe_page, contoso):
    page = axe_page
    sign_in(page, "billing@contoso.example")
    page.goto("/billing/products/communications-credits/")
    page.locator("[data-flyout-title='Modify recharge settings']").first.click()
    flyout = page.locator("#flyout")
    expect(flyout.locator("form")).to_be_visible()
    flyout.get_by_label("When the balance falls below").fill("1e3")
    flyout.get_by_role("button", name="Save changes").click()
    expect(flyout).to_contain_text("without an exponent")
    expect(flyout.get_by_label("When the balance falls below")).to_be_focused()
    page.keyboard.press("Escape")
    expect(flyout).to_be_hidden()

    page.locator("[data-flyout-title='Add more funds']").first.click()
    expect(flyout.locator("form")).to_be_visible()
    flyout.get_by_label("Amount").fill("25,5")
    flyout.get_by_role("button", name="Add funds").click()
    expect(flyout).to_contain_text("Use a point for decimals: 25.5")
    expect(flyout.get_by_label("Amount")).to_be_focused()
    page.keyboard.press("Escape")
    expect(flyout).to_be_hidden()


def test_at_390_px_every_table_column_can_be_reached(axe_page, contoso):
    page = axe_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "admin@contoso.example")
    for url in ("/users/active/", "/billing/products/communications-credits/",
                "/reports/pstn-usage/", "/billing/bills/", "/billing/rates/",
                "/reports/minute-pools/", "/billing/products/"):
        page.goto(url)
        expect(page.locator("h1").first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, "the page itself scrolls sideways", width)
        tables = page.locator("table")
        for n in range(tables.count()):
            table = tables.nth(n)
            if not table.is_visible():
                continue
            wrapped = table.evaluate("t => !!t.closest('.table-responsive')")
            fits = table.evaluate("t => t.getBoundingClientRect().right <= window.innerWidth")
            assert wrapped or fits, (url, n, "a table wider than the screen without a scroll")
            last = table.locator("tr").first.locator("th, td").last
            last.scroll_into_view_if_needed()
            box = last.bounding_box()
            assert box is not None and box["x"] + min(box["width"], 20) <= 390, (url, n, box)
