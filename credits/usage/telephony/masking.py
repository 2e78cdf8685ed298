"""Masking of external phone numbers on screen, the way the admin center shows them.

Privacy rules in some countries forbid showing an outside party's full number: the last
three digits are hidden for numbers of Belgium, Germany, Denmark, Spain, Finland, Italy,
the Netherlands, Norway and Sweden, the last four for Switzerland and France. The country
is the number's own region (``phonenumbers``), not the tenant's or the user's.

Only the *external* number of a call is masked: the destination of an outbound or dial-out
call, the caller of an inbound call. The organization's own numbers are shown in full.
Exports are not masked: they are the admin's reconciliation data and must re-import.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from credits.usage.choices import INBOUND_CALL_TYPES

MASK_CHARACTER = "*"
DIGITS_HIDDEN: dict[str, int] = {
    **dict.fromkeys(("BE", "DE", "DK", "ES", "FI", "IT", "NL", "NO", "SE"), 3),
    **dict.fromkeys(("CH", "FR"), 4),
}


@lru_cache(maxsize=65536)
def number_mask(number: str) -> str:
    """``number`` with its last digits hidden if its country requires it, else unchanged.

    ``+4930123456`` -> ``+4930123***``; ``+33142685300`` -> ``+3314268****``. Text that is
    not a phone number (empty, "anonymous") is returned as it is.
    """
    text = (number or "").strip()
    if not text:
        return number or ""
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return number
    hidden = DIGITS_HIDDEN.get(phonenumbers.region_code_for_number(parsed) or "", 0)
    if not hidden:
        return number
    positions = [index for index, char in enumerate(text) if char.isdigit()]
    chars = list(text)
    for index in positions[-hidden:]:
        chars[index] = MASK_CHARACTER
    return "".join(chars)


def call_numbers_masked(
    *, call_type: str, caller_id: str, destination_number: str
) -> tuple[str, str]:
    """(caller ID, destination number) as shown on screen: the external one masked."""
    if call_type in INBOUND_CALL_TYPES:
        return number_mask(caller_id), destination_number
    return caller_id, number_mask(destination_number)
