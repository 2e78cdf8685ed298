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

from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import UnknownCurrencyError, get_currency_precision
from django.db import models

from credits.exceptions import CurrencyMismatch, InvalidAmount

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
