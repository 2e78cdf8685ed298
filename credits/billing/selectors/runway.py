"""How long the balance lasts at the current rate (README, "Runway"): on Home's
Communications Credits card and on the Communications Credits page.

The rate is the Funding advice's daily rate (``credits.billing.selectors.funding_advice``:
the higher of the last 28 and 90 days' average spend), read through its public function,
so the runway and the advice always agree. The days are the usable balance divided by
that rate, rounded down. Nothing is said when the balance is at or below zero (the page
says calls are refused); "no recent spend" when nothing was spent in the last 90 days;
"more than a year" from ``MAX_DAYS`` on, as unused funds expire 12 months after purchase.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Tenant
from credits.billing.selectors.funding_advice import FundingAdvice, funding_advice
from credits.ledger.models.accounts import CreditAccount

MAX_DAYS = 365


@dataclass(frozen=True)
class Runway:
    """``days`` the balance lasts at ``daily_rate``; ``days is None``: no recent spend."""

    days: int | None
    daily_rate: Decimal
    currency: str
    max_days: int = MAX_DAYS

    @property
    def no_spend(self) -> bool:
        return self.days is None

    @property
    def over_a_year(self) -> bool:
        return self.days is not None and self.days >= self.max_days


def runway_of(*, balance: Decimal | None, advice: FundingAdvice | None) -> Runway | None:
    """The runway of ``balance`` at the advice's rate; None when there is nothing to say
    (credits not set up, or the balance at or below zero)."""
    if advice is None or balance is None or balance <= 0:
        return None
    if advice.daily_rate <= 0:
        return Runway(days=None, daily_rate=advice.daily_rate, currency=advice.currency)
    return Runway(
        days=int(balance / advice.daily_rate), daily_rate=advice.daily_rate,
        currency=advice.currency,
    )


def credits_runway(
    *,
    tenant: Tenant,
    account: CreditAccount,
    balance: Decimal,
    at: dt.datetime | None = None,
    advice: FundingAdvice | None = None,
) -> Runway | None:
    """The runway of ``account``; pass the ``advice`` when the page has read it already
    (no query), else one read of the advice's spend (none when the balance is not
    positive)."""
    if balance is None or balance <= 0:
        return None
    if advice is None:
        advice = funding_advice(tenant=tenant, account=account, at=at)
    return runway_of(balance=balance, advice=advice)


__all__ = ["MAX_DAYS", "Runway", "credits_runway", "runway_of"]
