"""Amounts as people read them: formatted by Babel for the active language."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError, localedata
from babel.numbers import format_currency
from django.utils import translation

# The Babel locale of each console language: its script and the region whose conventions
# it follows (README, "Languages and time zones").
LANGUAGE_LOCALES: dict[str, str] = {
    "en": "en_US",
    "zh-hans": "zh_Hans_CN",
    "zh-hant": "zh_Hant_TW",
}


def active_locale() -> str:
    """The Babel locale of the active Django language: ``en_US``, ``zh_Hans_CN``,
    ``zh_Hant_TW``; another language's own locale when Babel knows it, else ``en_US``."""
    language = (translation.get_language() or "en").lower()
    if language in LANGUAGE_LOCALES:
        return LANGUAGE_LOCALES[language]
    name = translation.to_locale(language)
    try:
        Locale.parse(name)
    except (ValueError, UnknownLocaleError):
        return LANGUAGE_LOCALES["en"]
    return name


def tenant_locale(country: str) -> str:
    """The active language with the organization's country conventions, for what is
    written to a tenant rather than shown to one admin (emails, the Message center):
    ``en_DE`` gives ``1.234,50 €``, ``en_GB`` ``£1,234.50``; a language Babel has no
    variant of for that country keeps its own (``zh_Hans_CN``)."""
    base = active_locale()
    language = Locale.parse(base)
    parts = [language.language] + ([language.script] if language.script else [])
    candidate = "_".join([*parts, country]) if country else base
    return candidate if localedata.exists(candidate) else base


def format_money(
    amount: object, currency: str, *, locale: str | None = None, exact: bool = False
) -> str:
    """``$1,234.50`` / ``1.234,50 €``: the amount in the currency's usual decimals, for the
    active language. ``exact`` keeps the decimals a rated charge may have beyond them
    (``$0.0575``, a balance of ``$258.7826``), for ledger rows."""
    if amount is None or amount == "":
        return ""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    if not value.is_finite():
        return str(amount)
    if not exact:
        return format_currency(value, currency, locale=locale or active_locale())
    # Trailing zeros go (31.2500 -> 31.25); Babel pads back to the currency's decimals.
    return format_currency(
        value.normalize(), currency, locale=locale or active_locale(), decimal_quantization=False
    )
