"""Add funds and the checkout never hang: when the gateway doesn't answer (or raises) or
the server fails mid-way, the flyout / page shows the order's state (pending, with its
number) and Try again, which posts the form's one-time token: the same order, so a retry
never charges twice. Through the Django test client, with and without htmx."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accounts.models import AdminRole
from credits.billing.rules import RechargeSettings
from credits.billing.services import orders
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.ledger import services as ledger
from credits.models import (
    CreditAccount,
    LedgerEntry,
    Order,
    OrderKind,
    OrderStatus,
    PaymentType,
    SandboxCharge,
)
from tests.accounts.factories import AdminFactory
from tests.credits.billing.gateways import FLAKY, FlakyGateway
from tests.credits.payments import (
    ADD_FUNDS_URL,
    DECLINED,
    SETUP_URL,
    payment_post,
    saved_card,
    token,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def flaky(settings, monkeypatch):
    """The sandbox behind a switch: ``flaky("unreachable")``, ``flaky(None)``."""
    settings.PAYMENT_GATEWAY = FLAKY
    monkeypatch.setattr(FlakyGateway, "fault", None)

    def switch(fault):
        monkeypatch.setattr(FlakyGateway, "fault", fault)

    return switch


@pytest.fixture
def credits(tenant, billing_admin):
    """Contoso set up with the 4242 card: a balance of 100."""
    card = saved_card(tenant, holder="Alex Wilber")
    order_place(
        tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
        amount=Decimal("100"), payment=Payment(type=PaymentType.CARD, card=card),
        idempotency_key=token(),
        recharge=RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20")),
    )
    return CreditAccount.objects.get(tenant=tenant)


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


def add_funds(client, credits, *, key=None, amount="60", **headers):
    data = {"amount": amount, "payment": f"card:{credits.billing_profile.card_id}",
            "token": key or token()}
    return client.post(ADD_FUNDS_URL, data, **headers)


def top_up():
    return Order.objects.get(kind=OrderKind.TOP_UP)


def balance(credits) -> Decimal:
    return CreditAccount.objects.get(pk=credits.pk).balance


def top_up_charges() -> int:
    return SandboxCharge.objects.filter(idempotency_key=orders.gateway_key(top_up())).count()


# --- Add funds ---------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["unreachable", "answer_lost", "broken"])
def test_add_funds_shows_the_pending_order_and_try_again_charges_once(
    billing_client, credits, flaky, fault
):
    flaky(fault)
    key = token()
    response = add_funds(billing_client, credits, key=key, **HTMX)

    assert response.status_code == 200 and "HX-Trigger" not in response
    panel = parse(response.content)
    order = top_up()
    assert order.status == OrderStatus.PENDING
    pending = panel.by_id("payment-pending").text
    assert "Processing payment…" in pending and order.number in pending
    assert "nothing is charged twice" in pending
    assert panel.by_id("pending-order-number").text == order.number
    assert panel.by_id("pending-order-status").text == "Pending"
    assert panel.by_id("pending-order-amount").text == "$60.00"
    retry = panel.by_id("payment-retry-form")
    assert retry.attrs["hx-post"] == ADD_FUNDS_URL and "data-payment-form" in retry.attrs
    [field] = retry.find_all("input", name="retry")
    assert field.attrs["value"] == key
    assert panel.by_id("payment-retry").text == "Try again"
    assert balance(credits) == 100

    flaky(None)
    done = billing_client.post(ADD_FUNDS_URL, {"retry": key}, **HTMX)

    assert json.loads(done["HX-Trigger"]) == {"credits-changed": {}}
    notice = parse(done.content).by_id("add-funds-done").text
    assert f"$60.00 added (order {order.number})" in notice and "$160.00" in notice
    assert top_up().status == OrderStatus.SUCCEEDED
    assert top_up_charges() == 1 and balance(credits) == 160
    # Try again pressed once more, or the first form sent again: the same order.
    billing_client.post(ADD_FUNDS_URL, {"retry": key}, **HTMX)
    add_funds(billing_client, credits, key=key, **HTMX)
    assert Order.objects.filter(kind=OrderKind.TOP_UP).count() == 1
    assert top_up_charges() == 1 and balance(credits) == 160


def test_try_again_while_the_gateway_is_still_down_stays_pending(billing_client, credits, flaky):
    flaky("unreachable")
    key = token()
    add_funds(billing_client, credits, key=key, **HTMX)
    again = parse(billing_client.post(ADD_FUNDS_URL, {"retry": key}, **HTMX).content)
    assert again.by_id("pending-order-number").text == top_up().number
    assert top_up().status == OrderStatus.PENDING and not top_up_charges()


def test_a_server_error_after_the_charge_shows_the_pending_order_not_a_500(
    billing_client, credits, monkeypatch
):
    def lost(**kwargs):
        raise ConnectionError("the database connection was lost")

    monkeypatch.setattr(ledger, "funds_add", lost)
    key = token()
    response = add_funds(billing_client, credits, key=key, **HTMX)

    assert response.status_code == 200
    panel = parse(response.content)
    order = top_up()
    assert "Something went wrong while order" in panel.by_id("payment-pending").text
    assert panel.by_id("pending-order-number").text == order.number
    assert order.status == OrderStatus.PENDING and top_up_charges() == 1

    monkeypatch.undo()
    billing_client.post(ADD_FUNDS_URL, {"retry": key}, **HTMX)
    assert top_up().status == OrderStatus.SUCCEEDED
    assert top_up_charges() == 1 and balance(credits) == 160
    assert LedgerEntry.objects.filter(reference_id=str(order.pk)).count() == 1


def test_a_server_error_before_any_order_says_nothing_was_charged_and_keeps_the_form(
    billing_client, credits, monkeypatch
):
    def broken(tenant, payment):
        raise RuntimeError("bug")

    monkeypatch.setattr(orders, "payment_check", broken)
    key = token()
    panel = parse(add_funds(billing_client, credits, key=key, **HTMX).content)

    assert "nothing was charged" in panel.by_id("payment-error").text
    [field] = panel.by_id("add-funds-form").find_all("input", name="token")
    assert field.attrs["value"] == key  # the same form: trying again is the same order
    assert not Order.objects.filter(kind=OrderKind.TOP_UP).exists()


def test_a_retry_of_a_declined_order_says_why_and_offers_a_fresh_form(
    billing_client, tenant, credits
):
    key = token()
    card = saved_card(tenant, DECLINED)
    billing_client.post(ADD_FUNDS_URL, {"amount": "60", "payment": f"card:{card.pk}",
                                        "token": key}, **HTMX)
    panel = parse(billing_client.post(ADD_FUNDS_URL, {"retry": key}, **HTMX).content)
    assert "declined" in panel.by_id("payment-error").text
    [field] = panel.by_id("add-funds-form").find_all("input", name="token")
    assert field.attrs["value"] != key
    assert SandboxCharge.objects.filter(succeeded=False).count() == 1


def test_a_retry_with_a_token_that_placed_no_order_charges_nothing(billing_client, credits):
    panel = parse(billing_client.post(ADD_FUNDS_URL, {"retry": token()}, **HTMX).content)
    assert "This form has expired" in panel.by_id("payment-error").text
    assert not Order.objects.filter(kind=OrderKind.TOP_UP).exists()


def test_a_retry_with_another_tenants_token_touches_nothing_of_theirs(
    billing_client, credits, other_tenant
):
    card = saved_card(other_tenant)
    foreign = Order.objects.create(
        tenant=other_tenant, kind=OrderKind.TOP_UP, amount=Decimal("50"), currency="GBP",
        payment_type=PaymentType.CARD, payment_method=card, idempotency_key=token(),
        fingerprint="x",
    )
    panel = parse(billing_client.post(ADD_FUNDS_URL, {"retry": foreign.idempotency_key},
                                      **HTMX).content)
    assert "This form has expired" in panel.by_id("payment-error").text
    assert Order.objects.get(pk=foreign.pk).status == OrderStatus.PENDING
    assert not SandboxCharge.objects.filter(idempotency_key=orders.gateway_key(foreign)).exists()


def test_without_javascript_the_page_shows_the_pending_order_and_try_again_works(
    billing_client, credits, flaky
):
    flaky("unreachable")
    key = token()
    page = parse(add_funds(billing_client, credits, key=key).content)
    assert page.by_id("pending-order-number").text == top_up().number
    assert page.by_id("payment-retry-form").attrs["action"] == ADD_FUNDS_URL

    flaky(None)
    response = billing_client.post(ADD_FUNDS_URL, {"retry": key}, follow=True)
    assert "$60.00 added" in parse(response.content).by_id("messages").text
    assert top_up_charges() == 1 and balance(credits) == 160


def test_a_reader_cannot_try_an_order_again(client, tenant, credits, flaky):
    reader = AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER])
    client.force_login(reader)
    assert client.post(ADD_FUNDS_URL, {"retry": token()}, **HTMX).status_code == 403


# --- the checkout ------------------------------------------------------------------------


def test_the_checkout_shows_the_pending_order_and_try_again_sets_up_credits_once(
    billing_client, tenant, flaky
):
    flaky("answer_lost")  # charged, but the answer never came back
    key = token()
    response = billing_client.post(SETUP_URL, payment_post(key=key), **HTMX)

    checkout = parse(response.content)
    order = Order.objects.get(kind=OrderKind.PURCHASE)
    assert order.status == OrderStatus.PENDING
    assert checkout.by_id("pending-order-number").text == order.number
    assert "Processing payment…" in checkout.by_id("payment-pending").text
    assert not checkout.has_id("payment-form")  # one action: Try again
    retry = checkout.by_id("payment-retry-form")
    hidden = {i.attrs["name"]: i.attrs.get("value", "") for i in retry.find_all("input")}
    assert hidden["retry"] == key and hidden["step"] == "payment"
    assert hidden["add_funds"] == "100" and hidden["recharge_with"] == "50"
    assert not CreditAccount.objects.filter(tenant=tenant).exists()

    flaky(None)
    done = billing_client.post(SETUP_URL, hidden)

    assert done.status_code == 302 and done.url == f"/billing/orders/{order.pk}/"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 1
    account = CreditAccount.objects.get(tenant=tenant)
    assert account.balance == 100 and account.auto_recharge_enabled
    # Try again pressed twice: the order page again, nothing more charged.
    assert billing_client.post(SETUP_URL, hidden).url == f"/billing/orders/{order.pk}/"
    assert SandboxCharge.objects.count() == 1


def test_a_server_error_in_the_checkout_shows_the_pending_set_up(
    billing_client, tenant, monkeypatch
):
    def lost(**kwargs):
        raise ConnectionError("the database connection was lost")

    monkeypatch.setattr(ledger, "funds_add", lost)
    key = token()
    checkout = parse(billing_client.post(SETUP_URL, payment_post(key=key), **HTMX).content)
    order = Order.objects.get(kind=OrderKind.PURCHASE)
    assert checkout.by_id("pending-order-number").text == order.number
    assert order.status == OrderStatus.PENDING

    monkeypatch.undo()
    retry = checkout.by_id("payment-retry-form")
    hidden = {i.attrs["name"]: i.attrs.get("value", "") for i in retry.find_all("input")}
    assert billing_client.post(SETUP_URL, hidden).status_code == 302
    assert CreditAccount.objects.get(tenant=tenant).balance == 100
    assert SandboxCharge.objects.count() == 1
