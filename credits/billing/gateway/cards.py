"""Card number helpers: Luhn check and brand detection. Pure functions."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"^\d{12,19}$")


def normalize_number(number: str) -> str:
    """Strip the spaces and dashes people type between groups of digits."""
    return re.sub(r"[\s-]", "", number or "")


def luhn_valid(number: str) -> bool:
    if not _DIGITS.match(number):
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    prefix2, prefix4 = int(number[:2] or 0), int(number[:4] or 0)
    if 51 <= prefix2 <= 55 or 2221 <= prefix4 <= 2720:
        return "Mastercard"
    if prefix2 in (34, 37):
        return "American Express"
    if number.startswith("6011") or number.startswith("65"):
        return "Discover"
    return "Card"
