"""In Chromium: Add funds and the checkout never hang on "Processing payment…".

The gateway raising (it didn't answer) shows the pending order with its number and Try
again in the flyout / page; a server error the view can't answer (a 500) is said on the
form by billing.js, whose busy button becomes Try again. Trying again posts the same
one-time token: the same order, charged once.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import AdminRole
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import gateway_key, order_place
from credits.billing.views import subscription
from credits.models import CreditAccount, Order, OrderKind, OrderStatus, PaymentType, SandboxCharge
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.browser.signing_in import sign_in_with_second_factor
from tests.credits.billing.gateways import FLAKY, FlakyGateway
from tests.credits.payments import future_year, saved_card, token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def flaky(settings, monkeypatch):
    settings.PAYMENT_GATEWAY = FLAKY
    monkeypatch.setattr(FlakyGateway, "fault", None)

    def switch(fault):
        monkeypatch.setattr(FlakyGateway, "fault", fault)

    return switch


@pytest.fixture
def contoso():
    tenant = TenantFactory(name="Contoso", slug="contoso", country="US", currency="USD")
    admin = AdminFactory(tenant=tenant, username="billing@contoso.example",
                         display_name="Alex Wilber", roles=[AdminRole.BILLING_ADMIN])
    return tenant, admin


@pytest.fixture
def credits(contoso):
    tenant, admin = contoso
    order_place(
        tenant=tenant, acting_user=admin, kind=OrderKind.PURCHASE, amount=Decimal("100"),
        payment=Payment(type=PaymentType.CARD, card=saved_card(tenant, holder="Alex Wilber")),
        idempotency_key=token(),
        recharge=RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20")),
    )
    return tenant


def sign_in(page) -> None:
    page.goto("/accounts/login/")
    sign_in_with_second_factor(page, "billing@contoso.example")
    expect(page.locator("#topbar-tenant")).to_have_text("Contoso")


def open_add_funds(page):
    page.goto("/billing/products/communications-credits/")
    page.get_by_role("link", name="Add more funds").click()
    flyout = page.locator("#flyout")
    flyout.get_by_label("Amount", exact=True).fill("60")
    return flyout


def top_up_charges() -> int:
    order = Order.objects.get(kind=OrderKind.TOP_UP)
    return SandboxCharge.objects.filter(idempotency_key=gateway_key(order)).count()


def test_a_gateway_that_does_not_answer_shows_the_pending_order_and_try_again_pays_once(
    page, live_server, credits, flaky
):
    sign_in(page)
    flyout = open_add_funds(page)
    flaky("unreachable")
    flyout.get_by_role("button", name="Add funds").click()

    pending = flyout.locator("#payment-pending")
    expect(pending).to_contain_text("Processing payment…")
    order = Order.objects.get(kind=OrderKind.TOP_UP)
    expect(flyout.locator("#pending-order-number")).to_have_text(order.number)
    expect(flyout.locator("#pending-order-status")).to_have_text("Pending")
    expect(pending).to_be_focused()
    retry = flyout.get_by_role("button", name="Try again")
    expect(retry).to_be_enabled()
    expect(page.locator("#credits-balance")).to_have_text("$100.00")

    flaky(None)
    retry.click()
    expect(flyout.locator("#add-funds-done")).to_contain_text(
        f"$60.00 added (order {order.number})"
    )
    expect(page.locator("#credits-balance")).to_have_text("$160.00")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUCCEEDED
    assert top_up_charges() == 1
    assert CreditAccount.objects.get(tenant=credits).balance == 160


@pytest.mark.server_errors
def test_a_server_error_does_not_leave_add_funds_on_processing_payment(
    page, live_server, credits, monkeypatch
):
    def crash(**kwargs):
        raise RuntimeError("the server failed after the payment")

    sign_in(page)
    flyout = open_add_funds(page)
    monkeypatch.setattr(subscription, "balance_at", crash)  # after the order is paid: a 500
    button = flyout.get_by_role("button", name="Add funds")
    with page.expect_response(re.compile(r"/add-funds/$")) as answer:
        button.click()
    assert answer.value.status == 500

    interrupted = flyout.locator("#payment-interrupted")
    expect(interrupted).to_contain_text("may still be in progress")
    expect(interrupted).to_contain_text("nothing is charged twice")
    expect(interrupted).to_contain_text("(HTTP 500)")
    retry = flyout.locator("#add-funds-submit")
    expect(retry).to_have_text("Try again")
    expect(retry).to_be_enabled()
    expect(flyout.get_by_text("Processing payment…")).to_be_hidden()

    monkeypatch.undo()
    retry.click()
    expect(flyout.locator("#add-funds-done")).to_contain_text("$60.00 added")
    expect(page.locator("#credits-balance")).to_have_text("$160.00")
    assert Order.objects.filter(kind=OrderKind.TOP_UP).count() == 1
    assert top_up_charges() == 1


def test_the_checkout_shows_the_pending_order_and_try_again_sets_up_credits(
    page, live_server, contoso, flaky
):
    sign_in(page)
    page.goto("/billing/purchase-services/communications-credits/")
    page.get_by_label("Add funds", exact=True).fill("100")
    page.get_by_label("Recharge with", exact=True).fill("50")
    page.get_by_label("When the balance falls below", exact=True).fill("20")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("A new credit or debit card").check()
    page.get_by_label("Name on card").fill("Alex Wilber")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date (MM/YY)").fill(f"12/{future_year() % 100:02d}")
    page.get_by_label("Security code").fill("123")
    flaky("answer_lost")  # the card is charged, the answer never comes back
    page.get_by_role("button", name="Place order").click()

    expect(page.locator("#payment-pending")).to_contain_text("Processing payment…")
    order = Order.objects.get(kind=OrderKind.PURCHASE)
    expect(page.locator("#pending-order-number")).to_have_text(order.number)
    expect(page.locator("#payment-form")).to_have_count(0)

    flaky(None)
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", name="Thanks for your order")).to_be_visible()
    expect(page.locator("#order-number")).to_have_text(order.number)
    assert SandboxCharge.objects.count() == 1
    assert CreditAccount.objects.get(tenant=contoso[0]).balance == 100
