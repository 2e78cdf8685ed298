"""Number classification with phonenumbers: country, type, domestic or international."""

from __future__ import annotations

import pytest

from credits.usage.telephony.numbers import InvalidNumber, number_classify
from credits.usage.telephony.rating import billed_minutes


@pytest.mark.parametrize(
    ("number", "country", "kind"),
    [
        ("+12065550100", "US", "fixed"),  # US numbers do not tell fixed from mobile
        ("+18005550123", "US", "toll_free"),
        ("+19002345678", "US", "premium"),
        ("+15145550100", "CA", "fixed"),
        ("+17875550100", "PR", "fixed"),
        ("+442079460000", "GB", "fixed"),
        ("+447400123456", "GB", "mobile"),
        ("+448001234567", "GB", "toll_free"),
        ("+449012345678", "GB", "premium"),
        ("+4930123456", "DE", "fixed"),
        ("+4915123456789", "DE", "mobile"),
        ("+918123456789", "IN", "mobile"),
    ],
)
def test_classifies_country_and_type(number, country, kind):
    info = number_classify(number)
    assert (info.e164, info.country, info.number_type) == (number, country, kind)


def test_domestic_or_international_is_relative_to_the_usage_location():
    info = number_classify("+442079460000")
    assert not info.is_international_for("GB")
    assert info.is_international_for("US")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "it is empty"),
        ("2065550100", "use the E.164 format"),
        ("+1 206 555 0100", "use the E.164 format"),
        ("+1-206-555-0100", "use the E.164 format"),
        ("+12065550100x12", "use the E.164 format"),
        ("+4412", "it is too short"),
        ("+4420794600001234", "it is too long"),
        ("+999123456", "it is not a phone number in E.164 format"),
        ("+447700900123", "no such number exists in its country's numbering plan"),
        ("+" + "1" * 40, "it is too long"),
    ],
)
def test_invalid_numbers_are_rejected_with_the_reason(number, reason):
    with pytest.raises(InvalidNumber) as error:
        number_classify(number)
    assert reason in error.value.reason
    assert "is not a valid phone number" in error.value.reason


def test_surrounding_spaces_are_ignored():
    assert number_classify(" +12065550100 ").e164 == "+12065550100"


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (3600, 60), (3601, 61)]
)
def test_billed_per_started_minute(seconds, minutes):
    assert billed_minutes(seconds) == minutes
