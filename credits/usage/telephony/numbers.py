"""Number classification with ``phonenumbers``: country, type, domestic or international.

Numbers must be E.164 (``+`` and the country code). The result of each distinct number
is cached: classification costs tens of microseconds, and the same numbers come back
again and again in call records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from credits.usage.choices import DestinationType

# phonenumbers' types mapped to the four the rates know. Shared-cost, VoIP, UAN and
# voicemail numbers are priced like fixed lines; personal numbers and pagers like mobiles.
_TYPES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: DestinationType.FIXED,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: DestinationType.FIXED,
    PhoneNumberType.SHARED_COST: DestinationType.FIXED,
    PhoneNumberType.VOIP: DestinationType.FIXED,
    PhoneNumberType.UAN: DestinationType.FIXED,
    PhoneNumberType.VOICEMAIL: DestinationType.FIXED,
    PhoneNumberType.MOBILE: DestinationType.MOBILE,
    PhoneNumberType.PERSONAL_NUMBER: DestinationType.MOBILE,
    PhoneNumberType.PAGER: DestinationType.MOBILE,
    PhoneNumberType.TOLL_FREE: DestinationType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: DestinationType.PREMIUM,
}

_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "its country code does not exist",
    ValidationResult.TOO_SHORT: "it is too short",
    ValidationResult.TOO_LONG: "it is too long",
    ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
}

MAX_NUMBER_LENGTH = 32
_E164 = re.compile(r"\+[0-9]+")


class InvalidNumber(ValueError):
    """The number cannot be called: ``reason`` says why, for the person reading it."""

    def __init__(self, number: str, reason: str) -> None:
        self.number = number
        self.reason = f"{number or 'The number'} is not a valid phone number: {reason}."
        super().__init__(self.reason)


@dataclass(frozen=True, slots=True)
class NumberInfo:
    e164: str
    country: str  # ISO 3166 region of the number
    number_type: str  # a DestinationType value

    def is_international_for(self, home_country: str) -> bool:
        return self.country != home_country


def number_classify(number: str) -> NumberInfo:
    """Classify an E.164 number or raise ``InvalidNumber`` saying why it is not one."""
    if not isinstance(number, str):
        raise InvalidNumber("", "it must be text")
    return _classify(number.strip())


@lru_cache(maxsize=65536)
def _classify(number: str) -> NumberInfo:
    if not number:
        raise InvalidNumber(number, "it is empty")
    if len(number) > MAX_NUMBER_LENGTH:
        raise InvalidNumber(number[:20] + "…", "it is too long")
    if not _E164.fullmatch(number):
        raise InvalidNumber(
            number, "use the E.164 format: + then the country code and the number, digits only"
        )
    try:
        parsed = phonenumbers.parse(number, None)
    except NumberParseException:
        raise InvalidNumber(number, "it is not a phone number in E.164 format") from None
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise InvalidNumber(number, _POSSIBLE_REASONS.get(possible, "it cannot exist"))
    kind = phonenumbers.number_type(parsed)  # UNKNOWN exactly when the number is invalid
    region = phonenumbers.region_code_for_number(parsed)
    if kind not in _TYPES or not region or region == "001":
        raise InvalidNumber(number, "no such number exists in its country's numbering plan")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return NumberInfo(e164=e164, country=region, number_type=_TYPES[kind])
