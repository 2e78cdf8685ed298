"""Funding advice: auto-recharge amounts sized from what calls actually cost.

What is measured is the **usage entries of the ledger** (net of their reversals), not
``CallRecord.charge``: the ledger is the record of money that left the balance, whatever
posted it (a file import, the usage API, the simulator, a correction), and a reversed
charge no longer counts. Expiries are not spend: expired funds are not a reason to buy
more. They are read from the ledger's day rollup (``LedgerDaySummary``, kept by every
posting), so one query reads both windows from at most 90 rows, however many entries the
account has; only a moment before the account's latest entry adds the raw entries of its
own day up to that moment.

- The windows are whole UTC days up to now, like the PSTN usage report's date ranges:
  the last 28 days are today and the 27 days before it, so the card's 28-day spend is the
  report's amount charged for "Last 28 days".
- The daily rate is the spend of the last 28 days and of the last 90 days, each divided
  by its days, and the **higher** of the two, so a recent surge is not averaged away (and a
  quiet month does not hide a busy quarter). An account younger than a window divides by
  the days it has existed (at least ``MIN_DIVISOR_DAYS``), so a new tenant is not told a
  tenth of what it spends.
- "When the balance falls below" is about ``TRIGGER_DAYS`` (7) days of spend: time for
  the recharge's payment to go through. "Recharge with" is about ``RECHARGE_DAYS`` (30).
- Both are rounded **up** to ``STEP`` (10) in the currency, and never above what the
  settings accept. "Recharge with" is never under the minimum order
  (``MIN_ORDER_AMOUNT``, 50); "When the balance falls below" is at least ``STEP`` and
  always at least ``STEP`` below "Recharge with", as the settings require.
- **One rate per card**: the days each amount lasts (``trigger_days``, ``days_covered``)
  are that amount divided by the daily rate, so every sentence agrees with the others.
- "Use these amounts" also proposes a monthly recharge limit when the account's limit
  would refuse the proposal: ``PROPOSED_RECHARGES_PER_MONTH`` times "Recharge with", as
  the set-up form proposes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone

from accounts.models import Tenant
from accounts.permissions import Action
from credits.billing.rules import (
    MAX_MONTHLY_RECHARGE_LIMIT,
    MAX_ORDER_AMOUNT,
    MAX_RECHARGE_TRIGGER,
    MIN_ORDER_AMOUNT,
    PROPOSED_RECHARGES_PER_MONTH,
    RechargeSettings,
    amount_problem,
    recharge_settings_check,
)
from credits.common.money import ZERO
from credits.exceptions import InvalidRechargeSettings
from credits.ledger.choices import EntryKind
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry
from credits.ledger.models.rollup import LedgerDaySummary
from credits.ledger.selectors import credit_account_for_tenant

SHORT_WINDOW_DAYS = 28
LONG_WINDOW_DAYS = 90
TRIGGER_DAYS = 7
RECHARGE_DAYS = 30
STEP = Decimal("10")
MIN_DIVISOR_DAYS = 7
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class FundingAdvice:
    """The suggested recharge settings and the numbers behind them.

    ``enough_data`` is False when nothing was spent in the last 90 days: there is then
    nothing to size the amounts from, and ``trigger``/``amount`` are None.
    """

    currency: str
    spend_28: Decimal
    spend_90: Decimal
    days_28: int  # the days each spend is divided by (fewer for a young account)
    days_90: int
    daily_28: Decimal
    daily_90: Decimal
    daily_rate: Decimal  # the higher of the two averages: the one used
    trigger: Decimal | None
    amount: Decimal | None
    days_covered: int  # how many days of calls "Recharge with" pays for at that rate
    at: dt.datetime
    monthly_limit: Decimal | None = None  # the account's monthly recharge limit, if any
    trigger_days: int = 0  # how many days of calls the trigger amount lasts at that rate
    recharge_days: int = RECHARGE_DAYS
    recharges_per_month: int = PROPOSED_RECHARGES_PER_MONTH
    step: Decimal = STEP
    minimum: Decimal = MIN_ORDER_AMOUNT

    @property
    def enough_data(self) -> bool:
        return self.amount is not None

    @property
    def over_monthly_limit(self) -> bool:
        """The account's monthly recharge limit would refuse a recharge of this size."""
        return (
            self.amount is not None
            and self.monthly_limit is not None
            and self.amount > self.monthly_limit
        )

    @property
    def proposed_limit(self) -> Decimal | None:
        """The monthly recharge limit "Use these amounts" proposes: None when the account's
        limit allows ``PROPOSED_RECHARGES_PER_MONTH`` recharges of the proposal already (or
        it has none)."""
        if self.amount is None or self.monthly_limit is None:
            return None
        proposed = min(self.amount * PROPOSED_RECHARGES_PER_MONTH, MAX_MONTHLY_RECHARGE_LIMIT)
        return proposed if self.monthly_limit < proposed else None

    @property
    def uses_recent_rate(self) -> bool:
        """The last 28 days spend faster than the last 90: the surge sizes the advice."""
        return self.daily_28 > self.daily_90

    @property
    def query(self) -> str:
        """``amount=…&trigger=…`` for Modify recharge settings, pre-filled."""
        if not self.enough_data:
            return ""
        values = {"amount": _plain(self.amount), "trigger": _plain(self.trigger)}
        if self.proposed_limit is not None:
            values["limit"] = _plain(self.proposed_limit)
        return urlencode(values)


def _plain(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _round_up(value: Decimal, *, minimum: Decimal, maximum: Decimal) -> Decimal:
    stepped = (value / STEP).to_integral_value(rounding=ROUND_CEILING) * STEP
    return min(max(stepped, minimum), maximum)


def funding_advice(
    *, tenant: Tenant, at: dt.datetime | None = None, account: CreditAccount | None = None
) -> FundingAdvice | None:
    """Suggested "When the balance falls below" and "Recharge with" for the tenant, from
    its spend of the last 28 and 90 days before ``at`` (default now). None when credits
    are not set up. Pass ``account`` when the caller has it already (one query less)."""
    if account is None:
        account = credit_account_for_tenant(tenant)
    if account is None:
        return None
    at = at or timezone.now()
    row = _spend_read(account, at)
    spend_28 = max(row["spend_28"] or ZERO, ZERO)
    spend_90 = max(row["spend_90"] or ZERO, ZERO)
    age_days = LONG_WINDOW_DAYS
    if row["first"] is not None:
        age_days = max(math.ceil((at - row["first"]).total_seconds() / 86400), 1)
    days_28 = max(min(SHORT_WINDOW_DAYS, age_days), MIN_DIVISOR_DAYS)
    days_90 = max(min(LONG_WINDOW_DAYS, age_days), MIN_DIVISOR_DAYS)
    daily_28 = spend_28 / days_28
    daily_90 = spend_90 / days_90
    daily_rate = max(daily_28, daily_90)
    trigger = amount = None
    days_covered = trigger_days = 0
    if daily_rate > 0:
        amount = _round_up(
            daily_rate * RECHARGE_DAYS, minimum=MIN_ORDER_AMOUNT, maximum=MAX_ORDER_AMOUNT
        )
        trigger = _round_up(
            daily_rate * TRIGGER_DAYS, minimum=STEP,
            maximum=min(MAX_RECHARGE_TRIGGER, amount - STEP),
        )
        # The same (rounded) rate as the card shows, for every "about N days".
        shown_rate = max(daily_rate.quantize(_CENT, rounding=ROUND_HALF_UP), _CENT)
        days_covered = int(amount / shown_rate)
        trigger_days = int(trigger / shown_rate)
    return FundingAdvice(
        currency=account.currency,
        spend_28=spend_28.quantize(_CENT, rounding=ROUND_HALF_UP),
        spend_90=spend_90.quantize(_CENT, rounding=ROUND_HALF_UP),
        days_28=days_28,
        days_90=days_90,
        daily_28=daily_28.quantize(_CENT, rounding=ROUND_HALF_UP),
        daily_90=daily_90.quantize(_CENT, rounding=ROUND_HALF_UP),
        daily_rate=daily_rate.quantize(_CENT, rounding=ROUND_HALF_UP),
        trigger=trigger,
        amount=amount,
        days_covered=days_covered,
        at=at,
        monthly_limit=account.monthly_recharge_limit,
        trigger_days=trigger_days,
    )


def _spend_read(account: CreditAccount, at: dt.datetime) -> dict:
    """The spend of the two windows ending with ``at`` and the time of the account's
    first entry before ``at``, in one query.

    Whole days come from the day rollup. When ``at`` is after the account's latest
    entry (the live card), its own day is whole as well; for an earlier moment that day
    is summed from its entries up to ``at`` (one day of entries, never the history)."""
    day = at.astimezone(dt.UTC).date()
    start_28 = window_start(at, SHORT_WINDOW_DAYS).date()
    start_90 = window_start(at, LONG_WINDOW_DAYS).date()
    last = account.last_posted_at
    today_whole = last is None or at > last
    days = LedgerDaySummary.objects.filter(
        account=OuterRef("pk"), day__gte=start_90,
        **({"day__lte": day} if today_whole else {"day__lt": day}),
    ).order_by().values("account")
    first = (
        LedgerEntry.objects.filter(account=OuterRef("pk"), created_at__lt=at)
        .order_by("created_at").values("created_at")[:1]
    )
    columns = {
        "spend_28": Subquery(
            days.filter(day__gte=start_28).annotate(total=Sum("spent")).values("total")
        ),
        "spend_90": Subquery(days.annotate(total=Sum("spent")).values("total")),
        "first": Subquery(first),
    }
    if not today_whole:
        midnight = window_start(at, 1)
        spent = Q(kind=EntryKind.USAGE) | Q(
            kind=EntryKind.REVERSAL, reverses__kind=EntryKind.USAGE
        )
        today = (
            LedgerEntry.objects.filter(
                spent, account=OuterRef("pk"), created_at__gte=midnight, created_at__lt=at
            )
            .order_by().values("account").annotate(total=Sum("amount")).values("total")
        )
        columns["today"] = Subquery(today)
    row = CreditAccount.objects.filter(pk=account.pk).annotate(**columns).values(
        *columns
    ).get()
    # Usage entries are negative and their reversals positive: today's spend is minus
    # their sum; whole days are in the rollup already as spend.
    today_spend = -(row.pop("today", None) or ZERO)
    if today_spend:
        row["spend_28"] = (row["spend_28"] or ZERO) + today_spend
        row["spend_90"] = (row["spend_90"] or ZERO) + today_spend
    return row


def window_start(at: dt.datetime, days: int) -> dt.datetime:
    """The start (UTC midnight) of the window of ``days`` whole days ending with ``at``'s."""
    first = at.astimezone(dt.UTC).date() - dt.timedelta(days=days - 1)
    return dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)


def funding_advice_context(
    *,
    tenant: Tenant,
    user,
    account: CreditAccount | None = None,
    at: dt.datetime | None = None,
    deferred: bool = False,
) -> dict:
    """What ``credits/billing/includes/funding_advice.html`` needs, for any page that shows it
    (the subscription page, the PSTN usage report): the advice, and whether this admin
    may apply it (the "Use these amounts" button opens Modify recharge settings).

    ``deferred`` reads nothing: the include then loads the card from
    ``credits:funding_advice`` once the page is shown (htmx), so a report page keeps
    its own query budget."""
    can_apply = user.has_action(Action.MANAGE_BILLING)
    if not can_apply:
        # Only the billing roles can act on it: the others are not told to change
        # settings they can't reach.
        return {"funding_advice": None, "funding_advice_deferred": False}
    if deferred:
        return {"funding_advice": None, "funding_advice_deferred": True}
    return {
        "funding_advice": funding_advice(tenant=tenant, at=at, account=account),
        "funding_advice_can_apply": can_apply,
        "funding_advice_deferred": False,
    }


def recharge_prefill(params, *, currency: str) -> dict:
    """Initial values for Modify recharge settings from ``?amount=…&trigger=…`` (the
    advice's "Use these amounts"). A value the settings would refuse is ignored; with
    any value kept, auto-recharge is switched on. Nothing is saved: the admin still
    presses Save changes."""
    initial: dict = {}
    amount = (params.get("amount") or "").strip()[:30]
    if amount and amount_problem(amount, currency=currency) is None:
        initial["recharge_with"] = amount
    trigger = (params.get("trigger") or "").strip()[:30]
    if trigger:
        try:
            recharge_settings_check(
                RechargeSettings(enabled=False, trigger=Decimal(trigger)), currency=currency
            )
        except (InvalidRechargeSettings, ArithmeticError, ValueError):
            pass
        else:
            initial["recharge_below"] = trigger
    limit = (params.get("limit") or "").strip()[:30]
    if limit:
        try:
            recharge_settings_check(
                RechargeSettings(enabled=False, monthly_limit=Decimal(limit)), currency=currency
            )
        except (InvalidRechargeSettings, ArithmeticError, ValueError):
            pass
        else:
            initial["monthly_limit"] = limit
    if initial:
        initial["auto_recharge"] = True
    return initial
