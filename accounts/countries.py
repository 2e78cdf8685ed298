"""ISO 3166 countries, named in the active language by Babel."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from django.utils import translation

# Codes Babel knows that are not countries a tenant or a user can be located in.
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}


@lru_cache(maxsize=8)
def _territories(language: str) -> tuple[tuple[str, str], ...]:
    try:
        locale = Locale.parse(translation.to_locale(language))
    except (ValueError, TypeError):
        locale = Locale("en")
    names = {
        code: name
        for code, name in locale.territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }
    return tuple(sorted(names.items(), key=lambda item: item[1]))


def country_choices() -> list[tuple[str, str]]:
    return list(_territories(translation.get_language() or "en"))


def country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in _territories("en"))


def country_name(code: str) -> str:
    if not code:
        return ""
    return dict(_territories(translation.get_language() or "en")).get(code, code)


def country_code_of(english_name: str) -> str:
    """The code of a country named in English, as call records name the destination
    dialed ("United Kingdom": "GB"); empty when the name is not one Babel knows."""
    return {name: code for code, name in _territories("en")}.get(english_name, "")
