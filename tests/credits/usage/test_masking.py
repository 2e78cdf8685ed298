"""On-screen masking of outside parties' numbers, as the admin center does it. (The
exports carry full numbers: see test_report_exports.)"""

from __future__ import annotations

import pytest

from credits.models import CallType
from credits.usage.telephony.masking import DIGITS_HIDDEN, call_numbers_masked, number_mask


@pytest.mark.parametrize(("number", "shown"), [
    ("+3225551234", "+3225551***"),  # BE
    ("+4930123456", "+4930123***"),  # DE fixed
    ("+4915123456789", "+4915123456***"),  # DE mobile
    ("+4533123456", "+4533123***"),  # DK
    ("+34912345678", "+34912345***"),  # ES
    ("+358912345678", "+358912345***"),  # FI
    ("+390612345678", "+390612345***"),  # IT
    ("+31201234567", "+31201234***"),  # NL
    ("+4722123456", "+4722123***"),  # NO
    ("+46812345678", "+46812345***"),  # SE
    ("+41446681800", "+4144668****"),  # CH: four digits
    ("+33142685300", "+3314268****"),  # FR: four digits
])
def test_numbers_of_masking_countries_lose_their_last_digits(number, shown):
    assert number_mask(number) == shown


@pytest.mark.parametrize("number", [
    "+12065550100",  # US
    "+442079460000",  # GB
    "+917410410123",  # IN
    "+81312345678",  # JP
    "+15145550100",  # CA
])
def test_numbers_of_other_countries_are_shown_in_full(number):
    assert number_mask(number) == number


@pytest.mark.parametrize("text", ["", "anonymous", "+", "12", "not a number"])
def test_text_that_is_not_a_number_is_left_alone(text):
    assert number_mask(text) == text


def test_the_country_comes_from_the_number_not_the_prefix_length():
    # +1 covers the US and Canada; +7 Russia; neither masks. +39 06... Italy masks.
    assert number_mask("+74951234567") == "+74951234567"
    assert number_mask("+390612345678").endswith("***")


def test_the_rule_covers_exactly_the_admin_center_countries():
    assert {country for country, digits in DIGITS_HIDDEN.items() if digits == 3} == {
        "BE", "DE", "DK", "ES", "FI", "IT", "NL", "NO", "SE"}
    assert {country for country, digits in DIGITS_HIDDEN.items() if digits == 4} == {"CH", "FR"}


@pytest.mark.parametrize("call_type", [CallType.USER_IN, CallType.CONF_IN, CallType.UCAP_IN])
def test_inbound_calls_mask_the_caller(call_type):
    assert call_numbers_masked(
        call_type=call_type, caller_id="+4930123456", destination_number="+4930999888"
    ) == ("+4930123***", "+4930999888")


@pytest.mark.parametrize("call_type", [
    CallType.USER_OUT, CallType.USER_OUT_CONF, CallType.USER_OUT_TRANSFER,
    CallType.USER_OUT_FORWARDING, CallType.CONF_OUT, CallType.UCAP_OUT,
])
def test_outbound_and_dial_out_calls_mask_the_destination(call_type):
    assert call_numbers_masked(
        call_type=call_type.value, caller_id="+33142685300", destination_number="+33142685399"
    ) == ("+33142685300", "+3314268****")
