"""Amounts as people type them (README, "Typing amounts"): ``amount_parse`` is the one
reading of every money field. Thousands separators and the language's decimal point are
accepted and normalized; exponents, NaN, Infinity, other digits and ambiguous commas are
refused with a message saying how to type the amount."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from credits.common.money import amount_parse
from credits.exceptions import AmountNotReadable
from tests.hypothesis_budget import examples

AMOUNTS = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("99999999999"), places=4,
    allow_nan=False, allow_infinity=False,
)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1000", "1000"), ("1,000", "1000"), ("1 000", "1000"), ("1\u00a0000", "1000"),
        ("1\u202f000", "1000"), ("1,000.50", "1000.50"), ("1 000.50", "1000.50"),
        ("12,345,678.9", "12345678.9"), ("25.5", "25.5"), (" 25.5 ", "25.5"),
        ("25,500", "25500"), (".5", "0.5"), ("25.", "25"), ("-60", "-60"), ("+60", "60"),
        ("\u221260", "-60"), ("0", "0"),
    ],
)
def test_point_locales_accept_grouped_amounts(typed, amount):
    for locale in ("en_US", "zh_Hans_CN", "zh_Hant_TW"):
        assert amount_parse(typed, locale=locale) == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("25,5", "25.5"), ("1.000", "1000"), ("1.000,50", "1000.50"), ("1 000,5", "1000.5"),
     ("1\u202f000,25", "1000.25")],
)
def test_comma_locales_read_the_comma_as_the_decimal_point(typed, amount):
    assert amount_parse(typed, locale="de_DE") == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25,5", "Use a point for decimals: 25.5"),
        ("25,50", "Use a point for decimals: 25.50"),
        ("1e3", "without an exponent: for example 1000, not 1e3."),
        ("1E-2", "without an exponent"),
        ("2.5e+3", "without an exponent"),
        ("NaN", "Enter the amount as a number, for example 1,000.50."),
        ("nan", "Enter the amount as a number"),
        ("Infinity", "Enter the amount as a number"),
        ("-inf", "Enter the amount as a number"),
        ("１２３", "Type the amount with the digits 0 to 9."),
        ("٣", "Type the amount with the digits 0 to 9."),
        ("1२3", "Type the amount with the digits 0 to 9."),
        ("1,5000", "Put thousands separators between groups of 3 digits"),
        ("10 00", "Put thousands separators between groups of 3 digits"),
        ("1,000 000", "Put thousands separators between groups of 3 digits"),
        ("1.000,50", "Enter the amount as a number"),
        ("1.2.3", "Enter the amount as a number"),
        ("$100", "Enter the amount as a number"),
        ("sixty", "Enter the amount as a number"),
        ("--5", "Enter the amount as a number"),
        ("", "Enter an amount."),
        ("   ", "Enter an amount."),
    ],
)
def test_unreadable_text_is_refused_saying_how_to_type_it(typed, message):
    with pytest.raises(AmountNotReadable) as refused:
        amount_parse(typed, locale="en_US")
    assert message in refused.value.message


def test_a_point_in_a_comma_locale_is_ambiguous_too():
    with pytest.raises(AmountNotReadable, match="Use a comma for decimals: 25,5"):
        amount_parse("25.5", locale="de_DE")


def test_the_active_language_decides_when_no_locale_is_given():
    with translation.override("zh-hans"):
        assert amount_parse("1,000.5") == Decimal("1000.5")
        with pytest.raises(AmountNotReadable, match="25.5"):
            amount_parse("25,5")


@settings(max_examples=examples(100))
@given(AMOUNTS, st.sampled_from(["en_US", "zh_Hans_CN", "zh_Hant_TW", "de_DE", "fr_FR"]))
def test_what_babel_writes_for_a_locale_reads_back_unchanged(amount, locale):
    """An amount formatted with the locale's own grouping (``1,234.5``, ``1.234,5``,
    ``1 234,5`` with a narrow no-break space) is read back as the same number."""
    text = format_decimal(amount, format="#,##0.####", locale=locale)
    assert amount_parse(text, locale=locale) == amount


@settings(max_examples=examples(100))
@given(AMOUNTS, st.sampled_from([",", " ", "\u00a0", "\u202f"]))
def test_any_thousands_separator_is_normalized(amount, separator):
    plain = f"{amount:f}"
    whole, _point, fraction = plain.partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    typed = separator.join(groups) + (f".{fraction}" if fraction else "")
    assert amount_parse(typed, locale="en_US") == amount


@settings(max_examples=examples(100))
@given(st.text(min_size=1, max_size=12))
def test_any_text_is_either_a_finite_amount_or_a_message(text):
    try:
        value = amount_parse(text, locale="en_US")
    except AmountNotReadable as refused:
        assert refused.message
    else:
        assert value.is_finite()
        assert all(ch.isascii() for ch in text.strip() if ch.isdigit())


@settings(max_examples=examples(50))
@given(st.integers(min_value=0, max_value=10**9),
       st.characters(categories=["Nd"]).filter(lambda ch: not "0" <= ch <= "9"))
def test_digits_other_than_0_to_9_are_always_refused(number, digit):
    with pytest.raises(AmountNotReadable, match="digits 0 to 9"):
        amount_parse(f"{number}{digit}", locale="en_US")
