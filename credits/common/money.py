"""Money values of the ledger: stored precision, currency minor units, input validation.

Precision, decided once for every money column of the credits app (``money_field``):

- **4 decimal places.** Amounts that people enter (a funding, an adjustment) have at most
  the minor unit of the tenant's currency (2 for USD, 0 for JPY, 3 for KWD; Babel knows
  them), and the ledger refuses more. Rated usage charges need finer steps: per-minute
  rates such as 0.019 are charged per started minute, so a call can cost 0.057; the
  ledger keeps usage charges to 4 decimals and refuses a fifth. 4 also covers every
  ISO 4217 minor unit in use (CLF has 4).
- **15 significant digits** (``max_digits=15``: up to 99,999,999,999.9999). PostgreSQL
  stores ``numeric(15, 4)`` exactly. SQLite has no decimal type: it keeps a numeric
  column as an 8-byte REAL, which holds 15 significant decimal digits exactly (DBL_DIG),
  so every value the column admits round-trips through SQLite unchanged. The ledger also
  computes new balances in Python with ``Decimal`` and writes them as values, never as
  SQL arithmetic, so no float rounding happens on SQLite either.
- **One posting at most ``MAX_POSTING_AMOUNT``** (10,000,000 units of the currency), a
  sanity cap that turns a typo or a unit mix-up into an error; a balance can never come
  near the column's limit before an operator notices.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel.numbers import (
    UnknownCurrencyError,
    format_decimal,
    get_currency_precision,
    get_decimal_symbol,
)
from django.db import models
from django.utils.translation import gettext as _

from credits.common.formatting import active_locale
from credits.exceptions import AmountNotReadable, CurrencyMismatch, InvalidAmount

MONEY_MAX_DIGITS = 15
MONEY_DECIMAL_PLACES = 4
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)  # Decimal("0.0001")
MONEY_LIMIT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)  # exclusive bound
MAX_POSTING_AMOUNT = Decimal("10000000")
ZERO = Decimal("0").quantize(MONEY_QUANTUM)


def money_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    """A money column with the ledger's precision (see the module docstring)."""
    return models.DecimalField(
        verbose_name, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


@lru_cache(maxsize=64)
def currency_decimals(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    try:
        digits = get_currency_precision(currency)
    except UnknownCurrencyError:  # pragma: no cover - Babel falls back to 2 for unknown codes
        digits = 2
    return min(digits, MONEY_DECIMAL_PLACES)


def decimal_places(value: Decimal) -> int:
    """How many digits a finite ``value`` needs after the point (``1.50`` -> 1,
    ``100`` -> 0): the one test of "too many decimals" for amounts and rates."""
    exponent = value.normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def quantize(amount: Decimal) -> Decimal:
    """The amount at the ledger's 4 decimals (exact for every amount the ledger accepts)."""
    return amount.quantize(MONEY_QUANTUM)


def sum_quantize(total: object) -> Decimal:
    """A database SUM of amounts at the money precision: ``ZERO`` for no rows, and exact
    on SQLite, which sums decimals as floats."""
    return ZERO if total is None else quantize(Decimal(str(total)))


def amount_validate(
    amount: object,
    *,
    currency: str,
    account_currency: str,
    decimals: int,
) -> Decimal:
    """Return ``amount`` as a 4-decimal ``Decimal`` or raise a domain error saying why not.

    Accepts only ``Decimal`` (a ``float`` is a bug in the caller: it cannot hold 0.10
    exactly), strictly positive, finite, with at most ``decimals`` digits after the point,
    at most ``MAX_POSTING_AMOUNT``, in the account's currency.
    """
    if currency != account_currency:
        raise CurrencyMismatch(
            f"The amount is in {currency or 'no currency'}, but this credit account is in "
            f"{account_currency}."
        )
    if isinstance(amount, bool) or not isinstance(amount, Decimal):
        raise InvalidAmount(
            f"Amounts must be Decimal values, not {type(amount).__name__} ({amount!r})."
        )
    if not amount.is_finite():
        raise InvalidAmount(f"{amount} is not an amount.")
    if amount <= 0:
        raise InvalidAmount(f"The amount must be greater than zero, not {amount}.")
    if decimal_places(amount) > decimals:
        if decimals == 0:
            allowed = f"whole amounts of {currency}"
        else:
            allowed = f"at most {decimals} decimal place{'s' if decimals > 1 else ''} in {currency}"
        raise InvalidAmount(f"{amount} has more decimals than allowed: use {allowed}.")
    if amount > MAX_POSTING_AMOUNT:
        raise InvalidAmount(
            f"{amount} {currency} is over the maximum of {MAX_POSTING_AMOUNT:,} for one posting."
        )
    return quantize(amount)


# ------------------------------------------------------------------ amounts as people type them

# Spaces people (and the locales' own formats) put between thousands: a space, a no-break
# space and a narrow no-break space (fr_FR, and what some keyboards paste).
_SPACES = " \u00a0\u202f"
_MINUS = "-\u2212"  # ASCII hyphen-minus and the minus sign


def _separators(locale: str) -> tuple[str, str]:
    """The locale's decimal point and thousands separator (``.`` and ``,`` for en_US,
    zh_Hans_CN, zh_Hant_TW; ``,`` and ``.`` for de_DE). Only ``.`` and ``,`` are taken as
    either; a locale whose group symbol is a space groups with spaces."""
    decimal = get_decimal_symbol(locale)
    decimal = decimal if decimal in ".," else "."
    group = "." if decimal == "," else ","
    return decimal, group


def amount_parse(text: str, *, locale: str | None = None) -> Decimal:
    """An amount typed by a person, as a ``Decimal``, or ``AmountNotReadable`` saying how
    to type it (README, "Typing amounts"). One parser for every money field.

    In the active language's conventions (``locale``, by default the admin's): digits
    0-9 only, an optional sign, the locale's decimal point once, and thousands separators
    (the locale's group symbol, a space, a no-break or narrow no-break space) between
    groups of exactly 3 digits: ``1,000``, ``1 000``, ``1,000.50``, ``25.5``. With a
    point as decimal point, a comma followed by 1 or 2 digits (``25,5``) could be either,
    so it is refused ("Use a point for decimals: 25.5"); likewise a point in a comma
    locale. Exponents (``1e3``), ``NaN``, ``Infinity`` and other digits (``１２３``,
    ``٣``) are refused. Range, sign and decimals are the callers' rules.
    """
    locale = locale or active_locale()
    decimal_symbol, group_symbol = _separators(locale)
    raw = (text or "").strip()
    if not raw:
        raise AmountNotReadable(_("Enter an amount."))
    example = format_decimal(Decimal("1000.50"), format="#,##0.00", locale=locale)
    if any(
        unicodedata.category(ch) == "Nd" and not ("0" <= ch <= "9") for ch in raw
    ):
        raise AmountNotReadable(_("Type the amount with the digits 0 to 9."))
    lowered = raw.lower()
    if any(word in lowered for word in ("nan", "inf")):
        raise AmountNotReadable(
            _("Enter the amount as a number, for example %(example)s.") % {"example": example}
        )
    if re.fullmatch(r"[+\-\u2212]?[0-9.,]*[0-9][0-9.,]*e[+\-]?[0-9]+", lowered):
        raise AmountNotReadable(
            _("Write the amount in full, without an exponent: for example 1000, not 1e3.")
        )
    sign = ""
    if raw[0] in _MINUS + "+":
        sign = "-" if raw[0] in _MINUS else ""
        raw = raw[1:].lstrip(_SPACES)
    allowed = re.escape(decimal_symbol + group_symbol + _SPACES)
    if not raw or not re.fullmatch(rf"[0-9{allowed}]+", raw):
        raise AmountNotReadable(
            _("Enter the amount as a number, for example %(example)s.") % {"example": example}
        )
    whole, point, fraction = raw.partition(decimal_symbol)
    if point and decimal_symbol in fraction:
        raise AmountNotReadable(
            _("Enter the amount as a number, for example %(example)s.") % {"example": example}
        )
    if not point and decimal_symbol == "." and re.fullmatch(r"[0-9]+,[0-9]{1,2}", whole):
        raise AmountNotReadable(
            _("Use a point for decimals: %(example)s") % {"example": whole.replace(",", ".")}
        )
    if not point and decimal_symbol == "," and re.fullmatch(r"[0-9]+\.[0-9]{1,2}", whole):
        raise AmountNotReadable(
            _("Use a comma for decimals: %(example)s") % {"example": whole.replace(".", ",")}
        )
    if fraction and not re.fullmatch(r"[0-9]+", fraction):
        raise AmountNotReadable(
            _("Enter the amount as a number, for example %(example)s.") % {"example": example}
        )
    digits = whole
    if any(ch in whole for ch in group_symbol + _SPACES):
        separators = {ch for ch in whole if not "0" <= ch <= "9"}
        grouped = len(separators) == 1 and re.fullmatch(
            rf"[0-9]{{1,3}}({re.escape(separators.pop())}[0-9]{{3}})+", whole
        )
        if not grouped:
            raise AmountNotReadable(
                _("Put thousands separators between groups of 3 digits, for example "
                  "%(example)s.") % {"example": example}
            )
        digits = re.sub(r"[^0-9]", "", whole)
    if not digits and not fraction:
        raise AmountNotReadable(
            _("Enter the amount as a number, for example %(example)s.") % {"example": example}
        )
    try:
        return Decimal(f"{sign}{digits or '0'}{'.' + fraction if fraction else ''}")
    except InvalidOperation:  # pragma: no cover - the text was checked character by character
        raise AmountNotReadable(
            _("Enter the amount as a number, for example %(example)s.") % {"example": example}
        ) from None
