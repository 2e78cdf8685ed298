"""The Communications Credits subscription page: Consumption (balance, Add more funds),
Billing (payment method, recharge settings, Modify recharge settings, Change payment
method), fund lots, paginated transactions, the 90-day chart, recent changes, and the
Auto recharge settings link; its dialogs; roles, isolation and query counts."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AdminRole, AuditEvent
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.models import CreditAccount, Order, OrderKind, OrderStatus, PaymentType, SandboxCharge
from tests.accounts.factories import AdminFactory
from tests.credits.factories import charge, fund
from tests.credits.payments import (
    ADD_FUNDS_URL,
    DECLINED,
    PAYMENT_METHOD_URL,
    RECHARGE_URL,
    SETUP_URL,
    SUBSCRIPTION_URL,
    agreement,
    counts,
    expired_card,
    invoicing_approved,
    saved_card,
    token,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db

PAGE_MAX_QUERIES = 16  # +1: the failed auto-recharge banner; +1: the funding advice
DIALOG_MAX_QUERIES = 9


@pytest.fixture
def credits(tenant, billing_admin):
    """Contoso set up with the 4242 card: 100 USD, recharge 50 below 20."""
    card = saved_card(tenant, holder="Alex Wilber")
    order_place(
        tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
        amount=Decimal("100"), payment=Payment(type=PaymentType.CARD, card=card),
        idempotency_key=token(),
        recharge=RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20")),
    )
    return CreditAccount.objects.get(tenant=tenant)


@pytest.fixture
def reader(tenant):
    return AdminFactory(tenant=tenant, username="reader@contoso.example",
                        roles=[AdminRole.GLOBAL_READER])


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


def page_of(client, url=SUBSCRIPTION_URL, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200
    return parse(response.content)


def add_funds_post(card_pk, amount="60", **extra):
    return {"amount": amount, "payment": f"card:{card_pk}", "token": token(), **extra}


# --- what the page shows --------------------------------------------------------------


def test_consumption_shows_the_balance_and_add_more_funds(billing_client, credits):
    page = page_of(billing_client)
    consumption = page.by_id("credits-consumption")
    assert consumption.find_all("h2")[0].text == "Consumption"
    assert page.by_id("credits-balance").text == "$100.00"
    add = page.by_id("add-more-funds")
    assert add.text == "Add more funds"
    assert add.attrs["href"] == ADD_FUNDS_URL and add.attrs["hx-get"] == ADD_FUNDS_URL


def test_billing_shows_the_payment_method_and_recharge_settings(billing_client, credits):
    page = page_of(billing_client)
    assert page.by_id("credits-billing").find_all("h2")[0].text == "Billing"
    assert page.by_id("billing-payment-method").text.startswith("Visa •••• 4242 · expires 12/")
    assert page.by_id("billing-auto-recharge").text == "On"
    assert page.by_id("billing-recharge-with").text == "$50.00"
    assert page.by_id("billing-recharge-below").text == "$20.00"
    assert page.by_id("billing-monthly-limit").text == "No limit"
    assert page.by_id("modify-recharge-settings").text == "Modify recharge settings"
    assert page.by_id("change-payment-method").attrs["href"] == PAYMENT_METHOD_URL


def test_lots_show_purchase_date_amount_remaining_and_expiry(billing_client, credits):
    charge(credits, "30")
    rows = page_of(billing_client).by_id("lots-table").table_rows()
    assert len(rows) == 1
    purchased, source, amount, remaining, expires = rows[0]
    assert (source, amount, remaining) == ("Purchase", "$100.00", "$70.00")
    lot = credits.lots.get()
    assert str(lot.expires_at.year) in expires and str(lot.purchased_at.year) in purchased


def test_transactions_are_paged_newest_first_and_pages_swap_in_place(billing_client, credits):
    for n in range(25):
        charge(credits, "0.5", memo=f"call {n}")
    page = page_of(billing_client)
    rows = page.by_id("transactions-table").table_rows()
    assert len(rows) == 20
    assert rows[0][1] == "Usage charge" and rows[0][3] == "-$0.50" and rows[0][4] == "$87.50"

    second = billing_client.get(
        page.by_id("transactions-older").attrs["href"], HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="credits-transactions",
    )
    assert b"<html" not in second.content and b"credits-consumption" not in second.content
    rows = parse(second.content).by_id("transactions-table").table_rows()
    assert len(rows) == 6
    assert rows[-1][1] == "Purchase" and rows[-1][3] == "+$100.00"
    assert rows[-1][2].startswith("Order CC-")


def test_the_chart_has_the_balance_of_each_of_the_last_90_days(billing_client, credits):
    charge(credits, "12.34")
    page = page_of(billing_client)
    data = json.loads("".join(page.by_id("balance-chart-data").children))
    assert len(data["labels"]) == len(data["values"]) == 90
    assert data["labels"][-1] == timezone.now().date().isoformat()
    assert Decimal(data["values"][-1]) == Decimal("87.66")
    assert Decimal(data["values"][0]) == 0
    assert data["display"][-1] == "$87.66" and data["currency"] == "USD"
    assert page.by_id("balance-chart").attrs["data-balance-chart"] == "balance-chart-data"


def test_the_chart_carries_the_balance_forward_over_days_without_entries(account):
    from credits.billing.selectors.subscription import balance_history

    now = timezone.now()
    fund(account, "200", at=now - timedelta(days=120))
    charge(account, "50", at=now - timedelta(days=40))
    points = balance_history(account, now=now)
    assert points[0].balance == Decimal("200")
    # points[-1] is today, so the charge 40 days ago is points[-41].
    assert points[-42].balance == Decimal("200") and points[-41].balance == Decimal("150")
    assert points[-1].balance == Decimal("150")


def test_the_chart_is_each_days_last_balance_in_one_query(account, django_assert_num_queries):
    from credits.billing.selectors.subscription import balance_history
    from credits.models import LedgerEntry

    now = timezone.now().replace(hour=12)
    fund(account, "500", at=now - timedelta(days=10, hours=3))
    for days_ago, hours in ((9, 5), (9, 1), (9, 0), (6, 2), (2, 4), (2, 3), (0, 1)):
        charge(account, "7.25", at=now - timedelta(days=days_ago, hours=hours))
    with django_assert_num_queries(1):
        points = balance_history(account, now=now)

    entries = list(LedgerEntry.objects.filter(account=account).order_by("created_at", "id"))
    for point in points:
        before_end = [
            e.balance_after for e in entries
            if e.created_at.astimezone(UTC).date() <= point.day
        ]
        assert point.balance == (before_end[-1] if before_end else Decimal("0")), point


def test_recent_changes_show_who_did_what_before_and_after(billing_client, credits):
    history = page_of(billing_client).by_id("history-list").text
    assert "Order paid" in history and "Recharge settings changed" in history
    assert "Alex Wilber" in history
    assert "balance: $0.00 → $100.00" in history


def test_auto_recharge_settings_link_near_the_bottom(billing_client, credits):
    page = page_of(billing_client)
    link = page.by_id("auto-recharge-settings")
    assert link.text == "Auto recharge settings" and link.attrs["href"] == RECHARGE_URL
    ids = [n.attrs.get("id") for n in page.by_id("credits-page").iter() if n.attrs.get("id")]
    assert ids.index("auto-recharge-settings") > ids.index("credits-transactions")


def test_the_whole_content_refreshes_on_credits_changed(billing_client, credits):
    page = page_of(billing_client)
    region = page.by_id("credits-page")
    assert region.attrs["hx-trigger"] == "credits-changed from:body"
    response = billing_client.get(
        SUBSCRIPTION_URL, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="credits-page"
    )
    assert b"<html" not in response.content
    assert parse(response.content).by_id("credits-balance").text == "$100.00"


def test_an_expired_card_paying_for_credits_is_flagged(billing_client, tenant, billing_admin):
    card = expired_card(tenant)
    invoicing_approved(tenant)
    order_place(tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
                amount=Decimal("50"), payment=Payment(type=PaymentType.INVOICE),
                idempotency_key=token(), recharge=RechargeSettings(enabled=False))
    from credits.billing.services.recharge_settings import billing_profile_write

    billing_profile_write(account=CreditAccount.objects.get(tenant=tenant), acting_user=None,
                          payment_type=PaymentType.CARD, card=card)
    page = page_of(billing_client)
    assert "This card has expired" in page.by_id("billing-card-expired").text


# --- roles and isolation --------------------------------------------------------------


def test_global_reader_sees_everything_without_the_buttons(client, reader, credits):
    client.force_login(reader)
    page = page_of(client)
    assert page.by_id("credits-balance").text == "$100.00"
    assert page.by_id("billing-recharge-with").text == "$50.00"
    for button in ("add-more-funds", "modify-recharge-settings", "change-payment-method",
                   "auto-recharge-settings"):
        assert not page.has_id(button), button
    for url in (ADD_FUNDS_URL, RECHARGE_URL, PAYMENT_METHOD_URL):
        assert client.get(url).status_code == 403
        assert client.post(url, {}).status_code == 403


def test_another_tenants_admin_sees_only_their_own_credits(client, credits, other_tenant_admin):
    client.force_login(other_tenant_admin)
    response = client.get(SUBSCRIPTION_URL)
    assert response.status_code == 302 and response.url == SETUP_URL  # not set up there
    before = counts()
    card_pk = credits.billing_profile.card_id
    response = client.post(ADD_FUNDS_URL, add_funds_post(card_pk))
    assert response.status_code == 302 and response.url == SETUP_URL
    assert counts() == before


def test_a_reader_of_a_tenant_without_credits_is_told_they_arent_set_up(client, reader):
    client.force_login(reader)
    page = page_of(client)
    assert "aren't set up" in page.by_id("credits-not-set-up").text


# --- Add more funds ---------------------------------------------------------------------


def test_add_funds_dialog_offers_the_billing_profile_card_first(billing_client, credits):
    response = billing_client.get(ADD_FUNDS_URL, HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content
    form = parse(response.content).by_id("add-funds-form")
    checked = [i.attrs["value"] for i in form.find_all("input", name="payment")
               if "checked" in i.attrs]
    assert checked == [f"card:{credits.billing_profile.card_id}"]


def test_add_funds_updates_the_balance_in_place(billing_client, credits):
    response = billing_client.post(
        ADD_FUNDS_URL, add_funds_post(credits.billing_profile.card_id, "60"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"credits-changed": {}}
    done = parse(response.content).by_id("add-funds-done").text
    assert "$60.00 added" in done and "Your balance is $160.00." in done
    assert page_of(billing_client).by_id("credits-balance").text == "$160.00"
    order = Order.objects.get(kind=OrderKind.TOP_UP)
    assert order.status == OrderStatus.SUCCEEDED and order.ledger_entry.amount == 60


def test_add_funds_without_javascript_redirects_with_a_message(billing_client, credits):
    response = billing_client.post(ADD_FUNDS_URL, add_funds_post(credits.billing_profile.card_id),
                                   follow=True)
    assert response.redirect_chain[-1][0] == SUBSCRIPTION_URL
    page = parse(response.content)
    assert "$60.00 added" in page.by_id("messages").text
    assert page.by_id("credits-balance").text == "$160.00"


def test_add_funds_double_submitted_charges_once(billing_client, credits):
    data = add_funds_post(credits.billing_profile.card_id)
    billing_client.post(ADD_FUNDS_URL, data, HTTP_HX_REQUEST="true")
    billing_client.post(ADD_FUNDS_URL, data, HTTP_HX_REQUEST="true")
    assert Order.objects.filter(kind=OrderKind.TOP_UP).count() == 1
    assert SandboxCharge.objects.count() == 2  # the set-up and one top-up
    assert CreditAccount.objects.get(pk=credits.pk).balance == Decimal("160")


@pytest.mark.parametrize(("amount", "message"), [
    ("20", "The minimum is $50.00."), ("", "Enter an amount."),
    ("20000", "The maximum for one order is $10,000.00."),
    ("60.555", "Use at most 2 decimal places for USD."), ("-60", "can't be negative"),
    ("sixty", "Enter the amount as a number"),
])
def test_add_funds_refuses_bad_amounts_with_nothing_written(billing_client, credits, amount,
                                                            message):
    before = counts()
    response = billing_client.post(
        ADD_FUNDS_URL, add_funds_post(credits.billing_profile.card_id, amount),
        HTTP_HX_REQUEST="true",
    )
    assert message in parse(response.content).by_id("add-funds-form").text
    assert "HX-Trigger" not in response
    assert counts() == before


def test_add_funds_with_an_expired_card_is_refused_with_nothing_written(
    billing_client, tenant, credits
):
    card = expired_card(tenant)
    before = counts()
    response = billing_client.post(ADD_FUNDS_URL, add_funds_post(card.pk),
                                   HTTP_HX_REQUEST="true")
    assert "expired" in parse(response.content).by_id("add-funds-form").text
    assert counts() == before


def test_add_funds_with_a_declined_card_adds_nothing(billing_client, tenant, credits):
    card = saved_card(tenant, DECLINED)
    before = counts()
    response = billing_client.post(ADD_FUNDS_URL, add_funds_post(card.pk),
                                   HTTP_HX_REQUEST="true")
    assert "The card was declined" in parse(response.content).by_id("payment-error").text
    after = counts()
    assert after["entries"] == before["entries"]
    assert after["succeeded_charges"] == before["succeeded_charges"]
    assert CreditAccount.objects.get(pk=credits.pk).balance == Decimal("100")
    assert Order.objects.get(kind=OrderKind.TOP_UP).status == OrderStatus.FAILED


def test_add_funds_with_an_agreement_of_another_region_links_to_a_service_request(
    billing_client, tenant, credits
):
    ea = agreement(tenant, "71234567", "JP")
    before = counts()
    response = billing_client.post(ADD_FUNDS_URL, {
        "amount": "60", "payment": "ea", "enterprise_agreement": str(ea.pk),
        "po_number": "PO-1", "token": token(),
    }, HTTP_HX_REQUEST="true")
    page = parse(response.content)
    assert "Japan (Asia Pacific)" in page.by_id("payment-error").text
    assert page.by_id("open-service-request").attrs["href"].startswith("/support/requests/?")
    assert counts() == before


# --- Modify recharge settings -----------------------------------------------------------


def test_recharge_dialog_shows_the_current_settings(billing_client, credits):
    form = page_of(billing_client, RECHARGE_URL).by_id("recharge-form")

    def value(name):
        return form.find_all("input", name=name)[0].attrs.get("value")

    assert (value("recharge_with"), value("recharge_below"), value("monthly_limit")) == (
        "50", "20", None,
    )
    assert "checked" in form.find_all("input", name="auto_recharge")[0].attrs
    assert form.by_id("recharge-save").text == "Save changes"


def test_save_changes_stores_and_audits_the_new_settings(billing_client, credits, billing_admin):
    response = billing_client.post(RECHARGE_URL, {
        "auto_recharge": "on", "recharge_with": "75", "recharge_below": "30",
        "monthly_limit": "300",
    }, HTTP_HX_REQUEST="true")
    assert json.loads(response["HX-Trigger"]) == {"credits-changed": {}}
    assert parse(response.content).by_id("recharge-done").text == "Recharge settings saved."
    account = CreditAccount.objects.get(pk=credits.pk)
    assert (account.recharge_amount, account.recharge_trigger, account.monthly_recharge_limit) == (
        Decimal("75"), Decimal("30"), Decimal("300"),
    )
    event = AuditEvent.objects.filter(action="credits.recharge_settings_update").first()
    assert event.actor == billing_admin
    assert event.before["amount"] == "50.0000" and event.after["amount"] == "75.0000"
    page = page_of(billing_client)
    assert page.by_id("billing-recharge-with").text == "$75.00"
    assert page.by_id("billing-monthly-limit").text == "$300.00"


def test_turning_auto_recharge_off_keeps_the_amounts(billing_client, credits):
    billing_client.post(RECHARGE_URL, {"recharge_with": "50", "recharge_below": "20"})
    account = CreditAccount.objects.get(pk=credits.pk)
    assert not account.auto_recharge_enabled and account.recharge_amount == Decimal("50")
    assert page_of(billing_client).by_id("billing-auto-recharge").text == "Off"


@pytest.mark.parametrize(("data", "message"), [
    ({"recharge_with": "10", "recharge_below": "5"}, "The minimum is $50.00."),
    ({"recharge_with": "60", "recharge_below": "-1"}, "can't be negative"),
    ({"recharge_with": "60", "recharge_below": "5", "monthly_limit": "59"},
     "at least the recharge amount"),
    ({"recharge_with": "60", "recharge_below": ""}, "Enter the balance below which"),
    ({"recharge_with": "60", "recharge_below": "20000"}, "Enter at most $10,000.00."),
    ({"recharge_with": "60", "recharge_below": "20", "monthly_limit": "0"},
     "greater than zero"),
    ({"recharge_with": "50", "recharge_below": "10000"},
     "must be less than “Recharge with” ($50.00), so that one recharge lifts the balance"),
    ({"recharge_with": "60", "recharge_below": "60"}, "must be less than “Recharge with”"),
])
def test_bad_recharge_settings_are_refused_with_nothing_written(billing_client, credits, data,
                                                                message):
    before = (counts(), CreditAccount.objects.filter(pk=credits.pk).values().get())
    response = billing_client.post(RECHARGE_URL, {"auto_recharge": "on", **data},
                                   HTTP_HX_REQUEST="true")
    assert message in parse(response.content).by_id("recharge-form").text
    assert "HX-Trigger" not in response
    assert (counts(), CreditAccount.objects.filter(pk=credits.pk).values().get()) == before


def test_auto_recharge_needs_a_payment_method(billing_client, account):
    before = counts()
    response = billing_client.post(RECHARGE_URL, {
        "auto_recharge": "on", "recharge_with": "50", "recharge_below": "20",
    })
    assert "Choose a payment method for auto-recharge first." in parse(response.content).text
    assert counts() == before


# --- Change payment method --------------------------------------------------------------


def test_change_payment_method_to_invoice(billing_client, tenant, credits):
    invoicing_approved(tenant)
    response = billing_client.post(PAYMENT_METHOD_URL, {"payment": "invoice", "po_number": "77"},
                                   HTTP_HX_REQUEST="true")
    assert json.loads(response["HX-Trigger"]) == {"credits-changed": {}}
    profile = CreditAccount.objects.get(pk=credits.pk).billing_profile
    assert (profile.payment_type, profile.card, profile.po_number) == ("invoice", None, "77")
    assert AuditEvent.objects.filter(action="credits.billing_profile_update").count() == 2


def test_change_payment_method_refuses_an_agreement_of_another_region(
    billing_client, tenant, credits
):
    ea = agreement(tenant, "71234567", "GB")
    before = counts()
    response = billing_client.post(PAYMENT_METHOD_URL, {
        "payment": "ea", "enterprise_agreement": str(ea.pk), "po_number": "1",
    })
    page = parse(response.content)
    assert "United Kingdom (Europe, Middle East and Africa)" in page.by_id("payment-error").text
    assert page.has_id("open-service-request")
    assert counts() == before


def test_change_payment_method_refuses_an_expired_card(billing_client, tenant, credits):
    card = expired_card(tenant)
    before = counts()
    response = billing_client.post(PAYMENT_METHOD_URL, {"payment": f"card:{card.pk}"})
    assert "expired" in parse(response.content).by_id("payment-method-form").text
    assert counts() == before


def _new_card_post(number, expiry=None):
    return {"payment": "new_card", "holder": "Alex Wilber", "card_number": number,
            "expiry": expiry or "12/40", "cvc": "123"}


def test_change_payment_method_takes_a_new_card_and_saves_it(billing_client, tenant, credits):
    form = page_of(billing_client, PAYMENT_METHOD_URL).by_id("payment-method-form")
    assert "new_card" in [i.attrs["value"] for i in form.find_all("input", name="payment")]
    charges = SandboxCharge.objects.count()

    response = billing_client.post(PAYMENT_METHOD_URL, _new_card_post("5555555555554444"))

    assert response.status_code in (200, 302)
    profile = credits.billing_profile
    profile.refresh_from_db()
    assert profile.payment_type == PaymentType.CARD and profile.card.last4 == "4444"
    assert profile.card.tenant == tenant and not profile.card.is_default
    assert SandboxCharge.objects.count() == charges  # checked, not charged
    assert AuditEvent.objects.filter(action="credits.card_add").exists()


@pytest.mark.parametrize(
    ("number", "expiry", "message"),
    [
        ("4242424242424241", None, "card number"),
        ("four two four two", None, "card number"),
        ("", None, "Enter the card number"),
        ("4242424242424242", "01/20", "expired"),
        ("4242424242424242", "13/40", "expiry"),
        # Verified when saved: cards that can't pay are refused with the charge message.
        ("4000000000000002", None, "The card was declined."),
        ("4000000000009995", None, "The card has insufficient funds."),
        ("4000000000000119", None, "processing error"),
    ],
)
def test_change_payment_method_refuses_a_bad_new_card_and_saves_nothing(
    billing_client, credits, number, expiry, message
):
    before = counts()
    profile_card = credits.billing_profile.card_id
    response = billing_client.post(PAYMENT_METHOD_URL, _new_card_post(number, expiry))
    assert response.status_code == 200
    page = parse(response.content)
    shown = page.by_id("payment-method-form").text
    if page.has_id("payment-error"):  # a refusal of the card as a whole
        shown += " " + page.by_id("payment-error").text
    assert message.lower() in shown.lower()
    assert counts() == before
    credits.billing_profile.refresh_from_db()
    assert credits.billing_profile.card_id == profile_card


# --- query counts --------------------------------------------------------------------


def _count(client, url=SUBSCRIPTION_URL) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_page_query_count_does_not_grow_with_lots_entries_or_history(billing_client, credits):
    small = _count(billing_client)
    for _ in range(30):
        fund(credits, "10")
        charge(credits, "1.25")
    billing_client.post(RECHARGE_URL, {"auto_recharge": "on", "recharge_with": "60",
                                       "recharge_below": "25"})
    large = _count(billing_client)
    assert small == large <= PAGE_MAX_QUERIES


def test_page_query_count_is_bounded(billing_client, credits, django_assert_max_num_queries):
    billing_client.get(SUBSCRIPTION_URL)
    with django_assert_max_num_queries(PAGE_MAX_QUERIES):
        billing_client.get(SUBSCRIPTION_URL)


@pytest.mark.parametrize("url", [ADD_FUNDS_URL, RECHARGE_URL, PAYMENT_METHOD_URL])
def test_dialog_query_counts_are_bounded_and_flat(billing_client, tenant, credits, url):
    few = _count(billing_client, url)
    for _ in range(5):
        saved_card(tenant)
    assert _count(billing_client, url) == few <= DIALOG_MAX_QUERIES


@pytest.mark.parametrize(
    ("url", "title"),
    [
        (ADD_FUNDS_URL, "Add more funds"),
        (RECHARGE_URL, "Modify recharge settings"),
        (PAYMENT_METHOD_URL, "Change payment method"),
    ],
)
def test_each_dialog_is_a_whole_page_without_javascript(billing_client, credits, url, title):
    page = page_of(billing_client, url)
    assert page.find_all("h1")[0].text.strip() == title
    assert page.find_all("title")[0].text.startswith(f"{title} · Communications Credits")
    current = [li for li in page.find_all("li") if li.attrs.get("aria-current") == "page"]
    assert [li.text.strip() for li in current] == [title]
    assert [s for s in page.find_all("section") if s.attrs.get("aria-label") == title]
