"""In Chromium, as billing@northwind.example (a tenant without credits): Purchase services
→ Add-ons → Communications Credits, the set-up, the payment with the 4242 card, the
confirmation, then the subscription page: Add more funds and Modify recharge settings.

The screenshots land in docs/screenshots/ (purchase-services.png, credits-setup.png,
credits-payment.png, credits-confirmation.png, credits-subscription.png,
your-products.png, payment-methods.png).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AdminRole, Product
from credits.models import CreditAccount, Order, SandboxCharge
from tests.accounts.factories import (
    AdminFactory,
    SubscriptionFactory,
    TenantFactory,
    UserFactory,
    product,
)
from tests.browser.conftest import SCREENSHOTS
from tests.browser.signing_in import sign_in_with_second_factor
from tests.credits.payments import agreement, future_year

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data; serialized rollback keeps the product catalog.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def northwind():
    tenant = TenantFactory(
        name="Northwind Traders", slug="northwind", country="DE", currency="EUR",
        volume_licensing=True,
    )
    AdminFactory(tenant=tenant, username="billing@northwind.example", display_name="Alex Wilber",
                 roles=[AdminRole.BILLING_ADMIN])
    UserFactory.create_batch(3, tenant=tenant)
    SubscriptionFactory(tenant=tenant, product=product(Product.MICROSOFT_365_E5), seats=80)
    SubscriptionFactory(tenant=tenant, product=product(Product.DOMESTIC_CALLING_PLAN), seats=60)
    agreement(tenant, "61234567", "DE", name="Northwind Traders Europe",
              billing_address="Kaiserstraße 12\n60311 Frankfurt am Main\nGermany")
    agreement(tenant, "71234567", "US", name="Northwind Traders Americas",
              billing_address="1 Commerce Way\nSeattle, WA 98101\nUnited States")
    return tenant


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    sign_in_with_second_factor(page, username)
    expect(page.locator("#topbar-tenant")).to_have_text("Northwind Traders")


def page_screenshot(screenshot, page, name: str) -> None:
    """A full-page screenshot from the top (a scrolled page would draw the sticky top
    bar across the middle)."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def flyout_screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let the slide-in animation finish
    page.screenshot(path=str(SCREENSHOTS / name))


def test_billing_admin_sets_up_credits_adds_funds_and_modifies_recharge_settings(
    page, live_server, northwind, screenshot
):
    sign_in(page, "billing@northwind.example")

    # Purchase services → Add-ons → Communications Credits
    nav = page.locator("#console-nav")
    nav.get_by_role("button", name="Billing").click()
    nav.get_by_role("link", name="Purchase services").click()
    expect(page.get_by_role("heading", name="Purchase services", exact=True)).to_be_visible()
    expect(page.locator("#section-add_ons")).to_contain_text("Communications Credits")
    page_screenshot(screenshot, page, "purchase-services.png")
    page.get_by_role("link", name="Add-ons", exact=True).click()
    expect(page.locator("#section-microsoft_365")).to_have_count(0)
    page.get_by_role("link", name="Communications Credits", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/billing/purchase-services/communications-credits/")

    # Add funds 100, Auto-recharge on, Recharge with 50, When the balance falls below 20
    page.get_by_label("Add funds", exact=True).fill("100")
    auto = page.get_by_label("Auto-recharge", exact=True)
    expect(auto).to_be_checked()
    page.get_by_label("Recharge with", exact=True).fill("50")
    page.get_by_label("When the balance falls below", exact=True).fill("20")
    # A monthly recharge limit of 5 recharges is proposed as "Recharge with" is typed.
    limit = page.get_by_label("Monthly recharge limit (optional)")
    expect(limit).to_have_value("250")
    page_screenshot(screenshot, page, "credits-setup.png")
    page.get_by_role("button", name="Next").click()

    # Payment: the 4242 card, Place order
    expect(page.get_by_role("heading", name="Payment information")).to_be_visible()
    expect(page.locator("#summary-amount")).to_have_text("€100.00")
    expect(page.locator("#summary-recharge")).to_contain_text(
        "On: recharge with €50.00 when the balance falls below €20.00, at most €250.00 a month"
    )
    page.get_by_label("A new credit or debit card").check()
    page.get_by_label("Name on card").fill("Alex Wilber")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date (MM/YY)").fill(f"12/{future_year() % 100:02d}")
    page.get_by_label("Security code").fill("123")
    expect(page.locator("#ea-fields")).to_be_hidden()
    page_screenshot(screenshot, page, "credits-payment.png")
    page.get_by_role("button", name="Place order").click()

    # The confirmation
    expect(page.get_by_role("heading", name="Thanks for your order")).to_be_visible()
    expect(page.locator("#order-amount")).to_have_text("€100.00")
    expect(page.locator("#order-payment")).to_contain_text("Visa •••• 4242")
    page_screenshot(screenshot, page, "credits-confirmation.png")
    page.get_by_role("link", name="Go to Communications Credits").click()

    # The subscription page: balance 100 and the recharge settings
    expect(page).to_have_url(f"{live_server.url}/billing/products/communications-credits/")
    expect(page.locator("#credits-balance")).to_have_text("€100.00")
    expect(page.locator("#billing-auto-recharge")).to_have_text("On")
    expect(page.locator("#billing-recharge-with")).to_have_text("€50.00")
    expect(page.locator("#billing-recharge-below")).to_have_text("€20.00")
    expect(page.locator("#billing-payment-method")).to_contain_text("Visa •••• 4242")
    expect(page.locator("#lots-table tbody tr")).to_have_count(1)
    expect(page.locator("#balance-chart")).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && !!Chart.getChart(document.getElementById('balance-chart'))"
    )
    page_screenshot(screenshot, page, "credits-subscription.png")

    # Add more funds 60 → 160, updated in place
    page.get_by_role("link", name="Add more funds").click()
    flyout = page.locator("#flyout")
    expect(flyout.get_by_label("Amount", exact=True)).to_be_visible()
    flyout.get_by_label("Amount", exact=True).fill("60")
    expect(flyout.get_by_label(re.compile(r"Visa •••• 4242"))).to_be_checked()
    flyout_screenshot(page, "credits-add-funds.png")
    flyout.get_by_role("button", name="Add funds").click()
    expect(flyout.locator("#add-funds-done")).to_contain_text("€60.00 added")
    expect(page.locator("#credits-balance")).to_have_text("€160.00")
    expect(page.locator("#transactions-table tbody tr")).to_have_count(2)
    flyout.get_by_role("link", name="Close").click()
    expect(flyout).to_be_hidden()

    # Modify recharge settings → Save changes → the new values show
    page.get_by_role("link", name="Modify recharge settings").click()
    expect(flyout.get_by_label("Recharge with", exact=True)).to_have_value("50")
    flyout.get_by_label("Recharge with", exact=True).fill("75")
    flyout.get_by_label("When the balance falls below", exact=True).fill("30")
    flyout.get_by_label("Monthly recharge limit (optional)").fill("300")
    flyout.get_by_role("button", name="Save changes").click()
    expect(flyout.locator("#recharge-done")).to_have_text("Recharge settings saved.")
    expect(page.locator("#billing-recharge-with")).to_have_text("€75.00")
    expect(page.locator("#billing-recharge-below")).to_have_text("€30.00")
    expect(page.locator("#billing-monthly-limit")).to_have_text("€300.00")
    flyout_screenshot(page, "credits-recharge-settings.png")
    flyout.get_by_role("link", name="Close").click()
    expect(flyout).to_be_hidden()

    account = CreditAccount.objects.get(tenant=northwind)
    assert account.balance == 160
    assert Order.objects.filter(tenant=northwind).count() == 2
    assert SandboxCharge.objects.filter(succeeded=True).count() == 2

    # Your products and Payment methods
    page.locator("#console-nav").get_by_role("link", name="Your products").click()
    expect(page.locator("#product-row-MCOPSTNC")).to_contain_text("0 / Unlimited")
    expect(page.locator("#products-credits-balance")).to_have_text("€160.00")
    page_screenshot(screenshot, page, "your-products.png")
    page.locator("#console-nav").get_by_role("link", name="Payment methods").click()
    expect(page.locator("#cards-table")).to_contain_text("Visa •••• 4242")
    expect(page.locator("#agreements-table")).to_contain_text("71234567")
    page_screenshot(screenshot, page, "payment-methods.png")

    # Home: the balance card
    page.locator("#console-nav").get_by_role("link", name="Home").click()
    expect(page.locator("#home-credits-balance")).to_have_text("€160.00")
    expect(page.locator("#home-add-funds")).to_be_visible()


def test_an_agreement_in_another_region_is_refused_with_a_service_request_link(
    page, live_server, northwind
):
    sign_in(page, "billing@northwind.example")
    page.goto("/billing/purchase-services/communications-credits/")
    page.get_by_label("Add funds", exact=True).fill("100")
    page.get_by_label("Auto-recharge", exact=True).uncheck()
    expect(page.get_by_label("Recharge with", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Enterprise Agreement (EA number, PO number if applicable)").check()
    expect(page.locator("#new-card-fields")).to_be_hidden()
    page.get_by_label("EA number", exact=True).select_option(
        label="71234567 · Northwind Traders Americas"
    )
    page.get_by_label("PO number (if applicable)", exact=True).fill("4500012345")
    page.get_by_role("button", name="Place order").click()

    expect(page.locator("#payment-error")).to_contain_text("United States (Americas)")
    expect(page.get_by_label("PO number (if applicable)", exact=True)).to_have_value("4500012345")
    page.get_by_role("link", name="Open a service request").click()
    expect(page.get_by_label("Title")).to_have_value(
        "Review the billing address of Enterprise Agreement 71234567"
    )
    page.get_by_role("button", name="Open request").click()
    expect(page.locator("#service-request-status")).to_have_text("Open")
    assert not CreditAccount.objects.filter(tenant=northwind).exists()
    assert not Order.objects.exists()


def test_a_declined_card_keeps_what_was_typed_except_the_number_and_code(
    page, live_server, northwind
):
    sign_in(page, "billing@northwind.example")
    page.goto("/billing/purchase-services/communications-credits/")
    page.get_by_label("Add funds", exact=True).fill("120")
    page.get_by_label("Recharge with", exact=True).fill("50")
    page.get_by_label("When the balance falls below", exact=True).fill("10")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Name on card").fill("Alex Wilber")
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry date (MM/YY)").fill(f"11/{future_year() % 100:02d}")
    page.get_by_label("Security code").fill("321")
    page.get_by_role("button", name="Place order").click()

    expect(page.locator("#payment-error")).to_contain_text("The card was declined")
    expect(page.get_by_label("Name on card")).to_have_value("Alex Wilber")
    expect(page.get_by_label("Expiry date (MM/YY)")).to_have_value(f"11/{future_year() % 100:02d}")
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_label("Security code")).to_have_value("")
    expect(page.locator("#summary-amount")).to_have_text("€120.00")
    assert not CreditAccount.objects.filter(tenant=northwind).exists()


def test_the_billing_pages_fit_a_phone_screen(page, live_server, northwind):
    from decimal import Decimal

    from credits.billing.services.checks import Payment
    from credits.billing.services.orders import order_place
    from credits.models import OrderKind, PaymentType
    from tests.credits.payments import invoicing_approved, token

    invoicing_approved(northwind)
    order_place(tenant=northwind, acting_user=None, kind=OrderKind.PURCHASE,
                amount=Decimal("100"), payment=Payment(type=PaymentType.INVOICE),
                idempotency_key=token())
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "billing@northwind.example")
    for url in ("/billing/purchase-services/", "/billing/products/",
                "/billing/products/communications-credits/", "/billing/payment-methods/"):
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)


def test_the_proposed_monthly_limit_follows_recharge_with_until_the_admin_sets_one(
    page, live_server, northwind
):
    sign_in(page, "billing@northwind.example")
    page.goto("/billing/purchase-services/communications-credits/")
    recharge = page.get_by_label("Recharge with", exact=True)
    limit = page.get_by_label("Monthly recharge limit (optional)")
    expect(limit).to_have_value("")
    recharge.fill("60")
    expect(limit).to_have_value("300")
    recharge.fill("80.50")
    expect(limit).to_have_value("402.5")
    # The admin's own choice, even an empty one (no limit), is kept from then on.
    limit.fill("")
    recharge.fill("100")
    expect(limit).to_have_value("")
    page.get_by_label("Add funds", exact=True).fill("100")
    page.get_by_label("When the balance falls below", exact=True).fill("20")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#summary-recharge")).to_have_text(
        "On: recharge with €100.00 when the balance falls below €20.00"
    )
