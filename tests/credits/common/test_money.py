from decimal import Decimal

import pytest

from credits.common.money import MAX_POSTING_AMOUNT, amount_validate, currency_decimals
from credits.exceptions import CurrencyMismatch, InvalidAmount


def test_currency_decimals_follow_the_minor_unit():
    assert currency_decimals("USD") == 2
    assert currency_decimals("JPY") == 0
    assert currency_decimals("KWD") == 3


def test_valid_amount_is_returned_at_ledger_precision():
    valid = amount_validate(Decimal("12.5"), currency="USD", account_currency="USD", decimals=2)
    assert str(valid) == "12.5000"


@pytest.mark.parametrize(
    ("amount", "decimals", "message"),
    [
        (Decimal("0"), 2, "greater than zero"),
        (Decimal("-5"), 2, "greater than zero"),
        (Decimal("1.005"), 2, "at most 2 decimal places in USD"),
        (Decimal("10.5"), 0, "whole amounts"),
        (MAX_POSTING_AMOUNT + 1, 2, "over the maximum"),
        (Decimal("NaN"), 2, "not an amount"),
        (Decimal("Infinity"), 2, "not an amount"),
        (10.5, 2, "Decimal values, not float"),
        (10, 2, "Decimal values, not int"),
        ("10", 2, "Decimal values, not str"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(amount, decimals, message):
    with pytest.raises(InvalidAmount, match=message):
        amount_validate(amount, currency="USD", account_currency="USD", decimals=decimals)


def test_amount_in_another_currency_is_refused():
    with pytest.raises(CurrencyMismatch, match="in EUR, but this credit account is in USD"):
        amount_validate(Decimal("10"), currency="EUR", account_currency="USD", decimals=2)


def test_trailing_zeros_beyond_the_minor_unit_are_fine():
    assert amount_validate(Decimal("10.5000"), currency="USD", account_currency="USD", decimals=2)
