"""Billing > Payment methods: cards (add, set default, remove) and Enterprise Agreements."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole, AuditEvent
from credits.billing.gateway import CardDetails, SavedCard
from credits.billing.gateway.sandbox import SandboxGateway
from credits.billing.services.payment_methods import card_add, card_remove, card_set_default
from credits.billing.services.recharge_settings import billing_profile_write
from credits.exceptions import CardRefused, PaymentMethodInUse
from credits.models import BillingProfile, PaymentMethod, PaymentType, SandboxCharge
from tests.accounts.factories import AdminFactory
from tests.credits.payments import (
    DECLINED,
    INSUFFICIENT,
    MASTERCARD,
    PAYMENT_METHODS_URL,
    PROCESSING_ERROR,
    VISA,
    agreement,
    expired_card,
    future_year,
    saved_card,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db

PAGE_MAX_QUERIES = 9
ADD_URL = "/billing/payment-methods/add/"


def details(number=VISA, month=12, year=None, cvc="123", holder="Alex Wilber"):
    return CardDetails(number=number, exp_month=month, exp_year=year or future_year(), cvc=cvc,
                       holder=holder)


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


@pytest.fixture
def reader(tenant):
    return AdminFactory(tenant=tenant, username="reader@contoso.example",
                        roles=[AdminRole.GLOBAL_READER])


# --- services ------------------------------------------------------------------------


def test_card_add_keeps_only_token_brand_last4_and_expiry(tenant, billing_admin):
    card = card_add(tenant=tenant, acting_user=billing_admin, card=details(MASTERCARD))
    assert (card.brand, card.last4, card.holder, card.exp_month) == (
        "Mastercard", "4444", "Alex Wilber", 12,
    )
    assert card.gateway_token.startswith("tok_sandbox_") and MASTERCARD not in card.gateway_token
    stored = json.dumps(list(PaymentMethod.objects.values()), default=str)
    assert MASTERCARD not in stored and "cvc" not in stored
    assert card.is_default  # the first card
    event = AuditEvent.objects.get(action="credits.card_add")
    assert event.actor == billing_admin and event.after["card"] == "Mastercard •••• 4444"


def test_a_later_card_is_default_only_when_asked(tenant, billing_admin):
    first = card_add(tenant=tenant, acting_user=billing_admin, card=details())
    second = card_add(tenant=tenant, acting_user=billing_admin, card=details(MASTERCARD))
    assert not second.is_default
    third = card_add(tenant=tenant, acting_user=billing_admin, card=details(MASTERCARD),
                     make_default=True)
    first.refresh_from_db()
    assert third.is_default and not first.is_default
    assert PaymentMethod.objects.filter(tenant=tenant, is_default=True).count() == 1


@pytest.mark.parametrize(("card", "code"), [
    (details(number="4242424242424241"), "invalid_number"),
    (details(month=1, year=2020), "expired_card"),
    (details(cvc="1"), "invalid_cvc"),
])
def test_a_refused_card_is_not_saved(tenant, billing_admin, card, code):
    with pytest.raises(CardRefused) as refused:
        card_add(tenant=tenant, acting_user=billing_admin, card=card)
    assert refused.value.card_code == code
    assert not PaymentMethod.objects.exists() and not AuditEvent.objects.exists()


def test_set_default_moves_the_default(tenant, billing_admin):
    first, second = saved_card(tenant), saved_card(tenant, MASTERCARD)
    card_set_default(card=second, acting_user=billing_admin)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    assert AuditEvent.objects.filter(action="credits.card_set_default").get().before == {
        "default": "Visa •••• 4242"
    }


def test_an_expired_card_cannot_be_the_default(tenant, billing_admin):
    saved_card(tenant)
    old = expired_card(tenant, MASTERCARD)
    with pytest.raises(CardRefused):
        card_set_default(card=old, acting_user=billing_admin)
    old.refresh_from_db()
    assert not old.is_default


def test_remove_makes_the_card_inert_and_promotes_another_default(tenant, billing_admin):
    first, second = saved_card(tenant), saved_card(tenant, MASTERCARD)
    card_remove(card=first, acting_user=billing_admin)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.removed_at and first.gateway_token == "" and not first.is_default
    assert second.is_default
    assert list(PaymentMethod.objects.saved()) == [second]


def test_the_card_paying_for_credits_cannot_be_removed(tenant, billing_admin, account):
    card = saved_card(tenant)
    billing_profile_write(account=account, acting_user=None, payment_type=PaymentType.CARD,
                          card=card)
    with pytest.raises(PaymentMethodInUse) as refused:
        card_remove(card=card, acting_user=billing_admin)
    assert "pays for Communications Credits" in refused.value.message
    card.refresh_from_db()
    assert card.removed_at is None and card.gateway_token


# --- the page --------------------------------------------------------------------------


def test_page_lists_cards_with_brand_last4_expiry_and_the_agreements(
    billing_client, tenant, account
):
    visa = saved_card(tenant, holder="Alex Wilber")
    expired_card(tenant, MASTERCARD)
    billing_profile_write(account=account, acting_user=None, payment_type=PaymentType.CARD,
                          card=visa)
    agreement(tenant, "61234567", "US", name="Contoso Americas")
    agreement(tenant, "71234567", "DE", name="Contoso Europe")

    page = parse(billing_client.get(PAYMENT_METHODS_URL).content)

    rows = page.by_id("cards-table").table_rows()
    assert rows[0][:4] == ["Visa •••• 4242", "Alex Wilber", f"12/{future_year()}",
                           "Default Communications Credits"]
    assert rows[1][0] == "Mastercard •••• 4444" and rows[1][2].endswith("Expired")
    ea_rows = page.by_id("agreements-table").table_rows()
    assert [r[0] for r in ea_rows] == ["61234567", "71234567"]
    assert ea_rows[0][3] == "Americas" and ea_rows[1][3] == "Europe, Middle East and Africa"
    assert page.by_id("add-card").attrs["href"] == ADD_URL


def test_page_shows_no_card_number_anywhere(billing_client, tenant):
    saved_card(tenant)
    assert VISA.encode() not in billing_client.get(PAYMENT_METHODS_URL).content


def test_add_a_card_through_the_dialog(billing_client, tenant):
    response = billing_client.post(ADD_URL, {
        "holder": "Megan Bowen", "card_number": "5555 5555 5555 4444",
        "expiry": f"06/{future_year() % 100}", "cvc": "123",
    }, HTTP_HX_REQUEST="true")
    assert json.loads(response["HX-Trigger"]) == {"payment-methods-changed": {}}
    assert "Mastercard •••• 4444 was added." in parse(response.content).by_id("card-added").text
    assert PaymentMethod.objects.get(tenant=tenant).holder == "Megan Bowen"


def test_add_a_card_without_javascript_redirects(billing_client, tenant):
    response = billing_client.post(ADD_URL, {
        "card_number": VISA, "expiry": f"06/{future_year()}", "cvc": "123",
    })
    assert response.status_code == 302 and response.url == PAYMENT_METHODS_URL


@pytest.mark.parametrize(("data", "message"), [
    ({"card_number": "4242424242424241"}, "The card number is not valid."),
    ({"expiry": "01/20"}, "The card has expired."),
    ({"expiry": "1/2"}, "Enter the expiry date as MM/YY"),
    ({"cvc": "12345"}, "Ensure this value has at most 4 characters"),
])
def test_a_refused_card_keeps_the_dialog_open_with_the_reason(billing_client, data, message):
    base = {"holder": "A", "card_number": VISA, "expiry": f"06/{future_year() % 100}",
            "cvc": "123"}
    response = billing_client.post(ADD_URL, {**base, **data}, HTTP_HX_REQUEST="true")
    form = parse(response.content).by_id("card-add-form")
    assert message in form.text
    assert form.find_all("input", name="card_number")[0].attrs.get("value") is None
    assert not PaymentMethod.objects.exists()


def test_set_default_and_remove_answer_htmx_with_the_cards(billing_client, tenant):
    first, second = saved_card(tenant), saved_card(tenant, MASTERCARD)
    response = billing_client.post(f"/billing/payment-methods/{second.pk}/default/",
                                   HTTP_HX_REQUEST="true")
    page = parse(response.content)
    assert b"<html" not in response.content
    assert page.by_id("cards-notice").text == "Mastercard •••• 4444 is now your default card."
    response = billing_client.post(f"/billing/payment-methods/{first.pk}/remove/")
    assert response.status_code == 302
    assert list(PaymentMethod.objects.saved()) == [second]


def test_removing_the_card_paying_for_credits_is_explained(billing_client, tenant, account):
    card = saved_card(tenant)
    billing_profile_write(account=account, acting_user=None, payment_type=PaymentType.CARD,
                          card=card)
    response = billing_client.post(f"/billing/payment-methods/{card.pk}/remove/",
                                   HTTP_HX_REQUEST="true")
    assert "pays for Communications Credits" in parse(response.content).by_id("cards-error").text
    assert PaymentMethod.objects.saved().count() == 1
    assert BillingProfile.objects.get().card == card


# --- roles and isolation ----------------------------------------------------------------


def test_global_reader_sees_cards_without_the_buttons(client, reader, tenant):
    card = saved_card(tenant)
    client.force_login(reader)
    page = parse(client.get(PAYMENT_METHODS_URL).content)
    assert page.by_id("cards-table").table_rows()[0][0] == "Visa •••• 4242"
    assert not page.has_id("add-card") and not page.has_id(f"card-remove-{card.pk}")
    assert client.get(ADD_URL).status_code == 403
    assert client.post(f"/billing/payment-methods/{card.pk}/remove/").status_code == 403
    assert client.post(f"/billing/payment-methods/{card.pk}/default/").status_code == 403
    assert PaymentMethod.objects.saved().count() == 1


def test_another_tenants_cards_are_404(client, tenant, other_tenant_admin):
    card = saved_card(tenant)
    client.force_login(other_tenant_admin)
    for action in ("default", "remove"):
        assert client.post(f"/billing/payment-methods/{card.pk}/{action}/").status_code == 404
    page = parse(client.get(PAYMENT_METHODS_URL).content)
    assert page.has_id("cards-empty")
    card.refresh_from_db()
    assert card.removed_at is None and card.is_default


def test_a_removed_card_is_404(billing_client, tenant, billing_admin):
    card = saved_card(tenant)
    card_remove(card=card, acting_user=billing_admin)
    assert billing_client.post(f"/billing/payment-methods/{card.pk}/default/").status_code == 404


# --- query counts -------------------------------------------------------------------------


def test_page_query_count_does_not_grow_with_cards_or_agreements(billing_client, tenant, account):
    def measure() -> int:
        billing_client.get(PAYMENT_METHODS_URL)
        with CaptureQueriesContext(connection) as queries:
            billing_client.get(PAYMENT_METHODS_URL)
        return len(queries)

    saved_card(tenant)
    few = measure()
    for n in range(6):
        saved_card(tenant, MASTERCARD if n % 2 else VISA)
        agreement(tenant, f"6123456{n}", "US")
    assert measure() == few <= PAGE_MAX_QUERIES


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        (DECLINED, "card_declined", "The card was declined."),
        (INSUFFICIENT, "insufficient_funds", "The card has insufficient funds."),
        (PROCESSING_ERROR, "processing_error", "because of a processing error"),
    ],
)
def test_a_card_that_cant_pay_is_refused_when_saved_with_the_charge_message(
    tenant, billing_admin, number, code, message
):
    """Saving a card runs a zero-amount verification: the sandbox's failing test cards
    are refused there with the same message a charge gives, and nothing is saved."""
    with pytest.raises(CardRefused) as refused:
        card_add(tenant=tenant, acting_user=billing_admin, card=details(number))
    assert refused.value.card_code == code
    assert message in refused.value.message
    assert not PaymentMethod.objects.exists()
    assert not SandboxCharge.objects.exists()  # a verification charges nothing
    assert not AuditEvent.objects.filter(action="credits.card_add").exists()


def test_a_saved_card_that_fails_later_fails_when_charged(tenant):
    """A card saved while it could pay (verified then) and declined later."""
    card = saved_card(tenant, DECLINED)
    result = SandboxGateway().charge(
        card=SavedCard(card.gateway_token, card.exp_month, card.exp_year),
        amount=Decimal("50"), currency="USD", idempotency_key="manual-1",
    )
    assert result.failure_code == "card_declined"


def test_add_card_dialog_query_count_is_bounded(billing_client, django_assert_max_num_queries):
    billing_client.get(ADD_URL)
    with django_assert_max_num_queries(PAGE_MAX_QUERIES):
        assert billing_client.get(ADD_URL, HTTP_HX_REQUEST="true").status_code == 200
