"""The alerts of Home's Communications Credits card (README, "Home"): what needs an
admin's attention, each with the link that fixes it.

- **Low balance**: at or below zero (paid calls are refused); below "When the balance
  falls below" while auto-recharge is on; below about ``LOW_DAYS`` (7) days of spend
  while it is off (the spend of the last 28 days, as the funding advice measures it).
- **Funds expiring**: what is left in lots expiring within ``EXPIRING_DAYS`` (30), and
  the first expiry date.
- **Expired card**: the card that pays for credits (the billing profile's) has expired,
  so the next recharge or purchase with it will be refused.

A failed auto-recharge and an overdue invoice come from ``credits_home_card``. Reads in
a fixed number of queries: two (lots, billing profile), three while auto-recharge is off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Min, Q, Sum
from django.utils import timezone

from credits.billing.models import BillingProfile, PaymentMethod
from credits.billing.selectors.funding_advice import SHORT_WINDOW_DAYS, window_start
from credits.common.money import ZERO
from credits.ledger.choices import EntryKind
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry
from credits.ledger.models.lots import FundLot
from credits.ledger.models.rollup import LedgerDaySummary

LOW_DAYS = 7
EXPIRING_DAYS = 30

ZERO_BALANCE = "zero"
BELOW_TRIGGER = "trigger"
BELOW_A_WEEK = "week"


@dataclass(frozen=True)
class HomeAlerts:
    low: str = ""  # ZERO_BALANCE, BELOW_TRIGGER, BELOW_A_WEEK, or "" when not low
    week_of_spend: Decimal | None = None
    expiring_amount: Decimal = ZERO
    expiring_at: dt.datetime | None = None
    expired_card: PaymentMethod | None = None
    low_days: int = LOW_DAYS
    expiring_days: int = EXPIRING_DAYS

    @property
    def any(self) -> bool:
        return bool(self.low or self.expiring_amount or self.expired_card)


def _spend_28(account: CreditAccount, at: dt.datetime) -> Decimal:
    """What the last 28 days (whole UTC days up to ``at``) spent, as the funding advice
    measures it, in one query: from the ledger's day rollup while ``at`` is after the
    account's latest entry (Home, live: its cost follows the days, not the entries), else
    from the entries up to ``at``."""
    start = window_start(at, SHORT_WINDOW_DAYS)
    last = account.last_posted_at
    if last is None or at >= last:
        total = LedgerDaySummary.objects.filter(
            account=account, day__gte=start.date(), day__lte=at.astimezone(dt.UTC).date()
        ).aggregate(total=Sum("spent"))["total"]
        return max(total or ZERO, ZERO)
    spent = Q(kind=EntryKind.USAGE) | Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.USAGE)
    total = LedgerEntry.objects.for_account(account).filter(
        spent, created_at__gte=start, created_at__lt=at
    ).aggregate(total=Sum("amount"))["total"]
    return max(-(total or ZERO), ZERO)


def home_alerts(
    *, account: CreditAccount, balance: Decimal, at: dt.datetime | None = None
) -> HomeAlerts:
    """The alerts of ``account`` whose usable balance is ``balance`` (see the module)."""
    at = at or timezone.now()
    low, week = "", None
    if balance <= 0:
        low = ZERO_BALANCE
    elif account.auto_recharge_enabled and account.recharge_trigger is not None:
        if balance < account.recharge_trigger:
            low = BELOW_TRIGGER
    else:
        spent = _spend_28(account, at)
        week = (spent / SHORT_WINDOW_DAYS * LOW_DAYS).quantize(Decimal("0.01"))
        if week > 0 and balance < week:
            low = BELOW_A_WEEK
    expiring = FundLot.objects.for_account(account).expiring(
        dt.timedelta(days=EXPIRING_DAYS), at
    ).filter(remaining__gt=0).aggregate(amount=Sum("remaining"), first=Min("expires_at"))
    profile = BillingProfile.objects.filter(account=account).select_related("card").first()
    card = profile.card if profile is not None else None
    return HomeAlerts(
        low=low,
        week_of_spend=week,
        expiring_amount=expiring["amount"] or ZERO,
        expiring_at=expiring["first"],
        expired_card=card if card is not None and card.is_expired(at.date()) else None,
    )


__all__ = ["BELOW_A_WEEK", "BELOW_TRIGGER", "ZERO_BALANCE", "HomeAlerts", "home_alerts"]
