"""The sandbox gateway: a card processor's test mode, behind the PaymentGateway interface."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import override_settings

from credits.billing.gateway import CardDetails, CardError, SavedCard, get_gateway
from credits.billing.gateway.base import PaymentGateway
from credits.billing.gateway.cards import card_brand, luhn_valid
from credits.billing.gateway.sandbox import SandboxGateway
from credits.models import SandboxCharge
from tests.credits.payments import DECLINED, INSUFFICIENT, MASTERCARD, PROCESSING_ERROR, VISA

TODAY = dt.date(2026, 3, 15)
pytestmark = pytest.mark.django_db


def tokenize(number=VISA, month=12, year=2029, cvc="123", today=TODAY):
    return SandboxGateway().tokenize_card(
        CardDetails(number=number, exp_month=month, exp_year=year, cvc=cvc, holder="A B"),
        today=today,
    )


def charge(card, amount="100.00", key="order:1", currency="USD", today=TODAY):
    return SandboxGateway().charge(
        card=SavedCard(token=card.token, exp_month=card.exp_month, exp_year=card.exp_year),
        amount=Decimal(amount), currency=currency, idempotency_key=key, today=today,
    )


def test_the_default_gateway_is_the_sandbox():
    assert isinstance(get_gateway(), SandboxGateway)


class _FakeGateway(SandboxGateway):
    pass


@override_settings(PAYMENT_GATEWAY="tests.credits.billing.test_payments_sandbox._FakeGateway")
def test_the_gateway_is_chosen_in_settings():
    gateway = get_gateway()
    assert type(gateway) is _FakeGateway
    assert isinstance(gateway, PaymentGateway)


def test_4242_tokenizes_and_charges():
    card = tokenize()
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "4242", 12, 2029)
    result = charge(card)
    assert result.succeeded and result.charge_id.startswith("ch_sandbox_")
    stored = SandboxCharge.objects.get()
    assert (stored.amount, stored.currency, stored.succeeded) == (Decimal("100"), "USD", True)


def test_the_token_holds_neither_the_number_nor_the_security_code():
    card = tokenize(number=MASTERCARD, cvc="987")
    assert card.brand == "Mastercard"
    # The outcome and random hex only: nothing derived from the number or the code.
    assert re.fullmatch(r"tok_sandbox_ok_[0-9a-f]{24}", card.token)
    assert MASTERCARD not in card.token
    assert MASTERCARD not in repr(CardDetails(number=MASTERCARD, exp_month=1, exp_year=2030,
                                              cvc="987"))


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (DECLINED, "card_declined"),
        (INSUFFICIENT, "insufficient_funds"),
        (PROCESSING_ERROR, "processing_error"),
    ],
)
def test_failing_test_cards_tokenize_then_fail_when_charged(number, code):
    result = charge(tokenize(number=number))
    assert not result.succeeded
    assert result.failure_code == code
    assert result.failure_message == CardError.MESSAGES[code]
    assert SandboxCharge.objects.get().succeeded is False


@pytest.mark.parametrize("number", ["4242424242424241", "1234", "4242-abcd-4242-4242", ""])
def test_a_number_failing_the_luhn_check_is_refused(number):
    with pytest.raises(CardError) as refused:
        tokenize(number=number)
    assert refused.value.code == "invalid_number"


def test_spaces_and_dashes_between_digit_groups_are_fine():
    assert tokenize(number="4242 4242-4242 4242").last4 == "4242"


@pytest.mark.parametrize("cvc", ["", "12", "12345", "abc"])
def test_a_bad_security_code_is_refused(cvc):
    with pytest.raises(CardError) as refused:
        tokenize(cvc=cvc)
    assert refused.value.code == "invalid_cvc"


@pytest.mark.parametrize(("month", "year"), [(0, 2029), (13, 2029), (5, 1999)])
def test_an_impossible_expiry_is_refused(month, year):
    with pytest.raises(CardError) as refused:
        tokenize(month=month, year=year)
    assert refused.value.code == "invalid_expiry"


def test_a_card_is_valid_through_the_last_day_of_its_expiry_month():
    assert tokenize(month=3, year=2026, today=dt.date(2026, 3, 31))
    with pytest.raises(CardError) as refused:
        tokenize(month=2, year=2026, today=dt.date(2026, 3, 1))
    assert refused.value.code == "expired_card"
    assert "expired" in refused.value.message


def test_a_saved_card_that_has_expired_since_fails_as_expired_when_charged():
    card = tokenize(month=2, year=2026, today=dt.date(2026, 1, 10))
    result = charge(card, today=dt.date(2026, 3, 1))
    assert not result.succeeded and result.failure_code == "expired_card"


def test_a_token_the_sandbox_never_issued_fails_with_a_processing_error():
    result = SandboxGateway().charge(
        card=SavedCard(token="tok_elsewhere_123", exp_month=1, exp_year=2030),
        amount=Decimal("50"), currency="USD", idempotency_key="k-1", today=TODAY,
    )
    assert not result.succeeded and result.failure_code == "processing_error"


def test_a_retry_with_the_same_key_charges_once_and_returns_the_first_result():
    card = tokenize()
    first = charge(card, key="order:7")
    again = charge(card, key="order:7")
    assert again.succeeded and again.charge_id == first.charge_id
    assert again.replayed and not first.replayed
    assert SandboxCharge.objects.count() == 1


def test_a_retried_decline_stays_a_decline_without_a_second_attempt():
    card = tokenize(number=DECLINED)
    first = charge(card, key="order:8")
    again = charge(card, key="order:8")
    assert (first.failure_code, again.failure_code) == ("card_declined", "card_declined")
    assert SandboxCharge.objects.count() == 1


def test_the_same_key_with_another_amount_is_refused_and_charges_nothing_more():
    card = tokenize()
    charge(card, key="order:9", amount="100")
    with pytest.raises(CardError) as conflict:
        charge(card, key="order:9", amount="200")
    assert conflict.value.code == "idempotency_conflict"
    assert SandboxCharge.objects.count() == 1


def test_different_keys_are_different_charges():
    card = tokenize()
    charge(card, key="order:10")
    charge(card, key="order:11")
    assert SandboxCharge.objects.filter(succeeded=True).count() == 2


@pytest.mark.parametrize("amount", ["0", "-5", "NaN"])
def test_a_charge_needs_a_positive_amount(amount):
    with pytest.raises(ValueError):
        charge(tokenize(), amount=amount)
    assert not SandboxCharge.objects.exists()


def test_a_charge_needs_an_idempotency_key():
    with pytest.raises(ValueError):
        charge(tokenize(), key="")


def test_card_helpers():
    assert luhn_valid(VISA) and not luhn_valid("4242424242424243")
    assert card_brand("371449635398431") == "American Express"
    assert card_brand("6011111111111117") == "Discover"
    assert card_brand("2223003122003222") == "Mastercard"


def saved(card):
    return SavedCard(token=card.token, exp_month=card.exp_month, exp_year=card.exp_year)


def test_verification_passes_a_card_that_can_pay_and_charges_nothing():
    SandboxGateway().verify_card(saved(tokenize()), today=TODAY)
    assert not SandboxCharge.objects.exists()


@pytest.mark.parametrize(
    ("number", "code"),
    [(DECLINED, "card_declined"), (INSUFFICIENT, "insufficient_funds"),
     (PROCESSING_ERROR, "processing_error")],
)
def test_verification_refuses_failing_cards_with_the_charge_time_code_and_message(number, code):
    card = tokenize(number)
    with pytest.raises(CardError) as refused:
        SandboxGateway().verify_card(saved(card), today=TODAY)
    assert refused.value.code == code
    assert refused.value.message == CardError(code).message == charge(card).failure_message
    assert SandboxCharge.objects.count() == 1  # only the charge made for the comparison


def test_verification_refuses_an_expired_card_and_a_foreign_token():
    card = tokenize(month=2, year=2026, today=dt.date(2026, 2, 1))
    with pytest.raises(CardError) as expired:
        SandboxGateway().verify_card(saved(card), today=TODAY)
    assert expired.value.code == "expired_card"
    with pytest.raises(CardError) as foreign:
        SandboxGateway().verify_card(SavedCard("tok_other_1", 12, 2029), today=TODAY)
    assert foreign.value.code == "processing_error"


def test_the_status_of_a_charge_is_found_by_its_idempotency_key():
    gateway = SandboxGateway()
    assert gateway.charge_status("order:1") is None  # nothing was charged with this key
    first = charge(tokenize(), key="order:1")
    status = gateway.charge_status("order:1")
    assert status.succeeded and status.charge_id == first.charge_id
    charge(tokenize(DECLINED), key="order:2")
    declined = gateway.charge_status("order:2")
    assert not declined.succeeded and declined.failure_code == "card_declined"
    assert SandboxCharge.objects.count() == 2  # a look-up charges nothing
