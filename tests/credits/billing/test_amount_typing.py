"""Every money field reads amounts as people type them (README, "Typing amounts"):
Add funds, Recharge with, When the balance falls below and the monthly limit at set-up,
Add more funds, Modify recharge settings, the backoffice's staff operations and the
credit limit. ``1,000`` and ``1 000`` are a thousand; ``25,5``, ``1e3``, ``NaN`` and
``１２３`` are refused at the field with nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.models import (
    CreditAccount,
    InvoicingApproval,
    LedgerEntry,
    Order,
    OrderKind,
    PaymentType,
)
from tests.accounts.backoffice import admin_url, form_data
from tests.accounts.factories import StaffFactory
from tests.credits.payments import (
    ADD_FUNDS_URL,
    RECHARGE_URL,
    SETUP_URL,
    counts,
    payment_post,
    saved_card,
    setup_post,
    token,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db

UNREADABLE = [
    ("25,5", "Use a point for decimals: 25.5"),
    ("1e3", "without an exponent: for example 1000, not 1e3."),
    ("NaN", "Enter the amount as a number, for example 1,000.50."),
    ("Infinity", "Enter the amount as a number, for example 1,000.50."),
    ("１２３", "Type the amount with the digits 0 to 9."),
    ("٣٠٠", "Type the amount with the digits 0 to 9."),
    ("1,00,000", "Put thousands separators between groups of 3 digits"),
]


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


@pytest.fixture
def credits(tenant, billing_admin):
    card = saved_card(tenant, holder="Alex Wilber")
    order_place(
        tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
        amount=Decimal("100"), payment=Payment(type=PaymentType.CARD, card=card),
        idempotency_key=token(),
        recharge=RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20")),
    )
    return CreditAccount.objects.get(tenant=tenant)


# --- set-up -----------------------------------------------------------------------------


def test_set_up_takes_amounts_with_thousands_separators(billing_client, tenant):
    setup = setup_post("1,000.50", recharge="1\u202f000", below="250", limit="5 000")
    response = billing_client.post(SETUP_URL, payment_post(setup=setup))
    assert response.status_code == 302
    order = Order.objects.get(tenant=tenant)
    assert order.amount == Decimal("1000.50")
    account = CreditAccount.objects.get(tenant=tenant)
    assert (account.recharge_amount, account.recharge_trigger,
            account.monthly_recharge_limit) == (Decimal("1000"), Decimal("250"), Decimal("5000"))


@pytest.mark.parametrize("field", ["add_funds", "recharge_with", "recharge_below",
                                   "monthly_limit"])
@pytest.mark.parametrize(("typed", "message"), UNREADABLE)
def test_set_up_refuses_unreadable_amounts_at_the_field(billing_client, field, typed, message):
    data = setup_post("100", recharge="60", below="20", limit="300")
    data[field] = typed
    before = counts()
    page = parse(billing_client.post(SETUP_URL, data).content)
    form = page.by_id("setup-form")
    assert message in form.text
    assert form.by_id(f"id_{field}").attrs.get("aria-invalid") == "true"
    assert counts() == before


# --- Add more funds ---------------------------------------------------------------------


def test_add_funds_takes_a_grouped_amount(billing_client, credits):
    response = billing_client.post(ADD_FUNDS_URL, {
        "amount": "1,250.75", "payment": f"card:{credits.billing_profile.card_id}",
        "token": token(),
    }, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "$1,250.75 added" in parse(response.content).by_id("add-funds-done").text
    assert Order.objects.get(kind=OrderKind.TOP_UP).amount == Decimal("1250.75")


@pytest.mark.parametrize(("typed", "message"), UNREADABLE)
def test_add_funds_refuses_unreadable_amounts(billing_client, credits, typed, message):
    before = counts()
    response = billing_client.post(ADD_FUNDS_URL, {
        "amount": typed, "payment": f"card:{credits.billing_profile.card_id}", "token": token(),
    }, HTTP_HX_REQUEST="true")
    assert message in parse(response.content).by_id("add-funds-form").text
    assert counts() == before


# --- Modify recharge settings -----------------------------------------------------------


def test_recharge_settings_take_grouped_amounts(billing_client, credits):
    response = billing_client.post(RECHARGE_URL, {
        "auto_recharge": "on", "recharge_with": "2,000", "recharge_below": "1 500.5",
        "monthly_limit": "10,000",
    }, HTTP_HX_REQUEST="true")
    assert parse(response.content).by_id("recharge-done").text == "Recharge settings saved."
    account = CreditAccount.objects.get(pk=credits.pk)
    assert (account.recharge_amount, account.recharge_trigger,
            account.monthly_recharge_limit) == (Decimal("2000"), Decimal("1500.5"),
                                                Decimal("10000"))


@pytest.mark.parametrize("field", ["recharge_with", "recharge_below", "monthly_limit"])
@pytest.mark.parametrize(("typed", "message"), UNREADABLE[:5])
def test_recharge_settings_refuse_unreadable_amounts(billing_client, credits, field, typed,
                                                     message):
    data = {"auto_recharge": "on", "recharge_with": "60", "recharge_below": "20",
            "monthly_limit": "300", field: typed}
    before = CreditAccount.objects.filter(pk=credits.pk).values().get()
    response = billing_client.post(RECHARGE_URL, data, HTTP_HX_REQUEST="true")
    assert message in parse(response.content).by_id("recharge-form").text
    assert CreditAccount.objects.filter(pk=credits.pk).values().get() == before


# --- the backoffice ---------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(username="platform@console.example"))
    return client


def _issue_credit(client, account, amount):
    page = client.post(admin_url(CreditAccount, "changelist"), {
        "action": "issue_credit", "index": "0", "_selected_action": [account.pk],
    })
    data = form_data(page.content, "operation-form")
    data.update({"amount": [amount], "reason": ["Goodwill for the outage"]})
    return client.post(admin_url(CreditAccount, "changelist"), data)


def test_staff_credit_takes_a_grouped_amount(staff_client, credits):
    response = _issue_credit(staff_client, credits, "1,000.25")
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(account=credits, memo="Goodwill for the outage")
    assert entry.amount == Decimal("1000.25")


@pytest.mark.parametrize(("typed", "message"), UNREADABLE)
def test_staff_operations_refuse_unreadable_amounts(staff_client, credits, typed, message):
    entries = LedgerEntry.objects.count()
    response = _issue_credit(staff_client, credits, typed)
    assert response.status_code == 200
    assert message in parse(response.content).by_id("operation-form").text
    assert LedgerEntry.objects.count() == entries


def _approve(client, tenant, limit):
    return client.post(admin_url(InvoicingApproval, "add"), {
        "tenant": tenant.pk, "credit_limit": limit, "is_active": "on",
    })


def test_credit_limit_takes_a_grouped_amount(staff_client, tenant):
    assert _approve(staff_client, tenant, "25,000").status_code == 302
    assert InvoicingApproval.objects.get(tenant=tenant).credit_limit == Decimal("25000")


@pytest.mark.parametrize(("typed", "message"), UNREADABLE)
def test_credit_limit_refuses_unreadable_amounts(staff_client, tenant, typed, message):
    response = _approve(staff_client, tenant, typed)
    assert response.status_code == 200
    assert message in parse(response.content).text
    assert not InvoicingApproval.objects.exists()
    assert not AuditEvent.objects.filter(action="backoffice.add").exists()
