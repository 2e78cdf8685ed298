"""The purchase rules of Communications Credits, in one place (docs/architecture.md,
"Where each rule lives").

Pure checks that read no database: the forms call them to explain a problem next to the
field, and the services call them again before anything is charged or written, so a
request that skips the form is refused the same way.

- An order (a set-up purchase, Add funds, an auto-recharge) is at least
  ``MIN_ORDER_AMOUNT`` (50) and at most ``MAX_ORDER_AMOUNT`` (10,000) in the tenant's
  currency, with at most the currency's decimals (2 for USD and EUR, 0 for JPY).
- "Recharge with" follows the same rules; "When the balance falls below" is 0 to
  10,000 and, with auto-recharge on, less than "Recharge with", so one recharge lifts a
  non-negative balance above the trigger (a trigger at or above the recharge would buy
  again at every charge); the optional monthly recharge limit is at least one recharge
  and at most ``MAX_MONTHLY_RECHARGE_LIMIT``.
- Communications Credits can't be set up (nor bought, nor charged) for organizations
  located in Russia, South Korea or Taiwan (``CREDITS_UNAVAILABLE_COUNTRIES``).
- **Invoices and the credit line.** Paying by invoice needs an invoicing approval with a
  credit limit (above zero, at most ``MAX_CREDIT_LIMIT``, with the currency's decimals:
  ``credit_limit_check``). An invoice falls due ``INVOICE_NET_DAYS`` (30) days after it
  is issued (``invoice_due_on``) and is overdue from the day after. An invoice order is
  refused when it would bring the unpaid amount (open invoices and pending invoice
  orders) over the limit (``credit_line_check``), and while an invoice is overdue
  (``invoice_overdue_check``). The figures are read by
  ``credits.billing.services.checks.invoicing_check``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from credits.common.formatting import format_money
from credits.common.money import amount_parse, currency_decimals, decimal_places, quantize
from credits.exceptions import (
    AmountNotReadable,
    CreditLimitExceeded,
    InvalidCreditLimit,
    InvalidOrderAmount,
    InvalidRechargeSettings,
    InvoiceOverdue,
    OrderError,
    PurchaseNotAllowed,
)

MIN_ORDER_AMOUNT = Decimal("50")
MAX_ORDER_AMOUNT = Decimal("10000")
MAX_RECHARGE_TRIGGER = Decimal("10000")
MAX_MONTHLY_RECHARGE_LIMIT = Decimal("100000")
# The set-up proposes a monthly recharge limit of this many recharges (changeable, or
# cleared for no limit), so a fault or fraud can't drain the card.
PROPOSED_RECHARGES_PER_MONTH = 5
PO_NUMBER_MAX_LENGTH = 50
CREDITS_UNAVAILABLE_COUNTRIES = frozenset({"RU", "KR", "TW"})
# Invoices are payable net 30: they fall due this many days after the day they are issued.
INVOICE_NET_DAYS = 30
MAX_CREDIT_LIMIT = Decimal("1000000")
_PO_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/#-]*$")


def _read(value: object) -> tuple[Decimal | None, str | None]:
    """A finite Decimal from a Decimal, an int or the text a person typed (read by
    ``amount_parse``: thousands separators, the language's decimal point), or None and
    why not (None for a value of another type)."""
    if isinstance(value, (bool, float)):
        return None, None
    if isinstance(value, str):
        try:
            return amount_parse(value), None
        except AmountNotReadable as error:
            return None, error.message
    if not isinstance(value, Decimal | int):
        return None, None
    value = Decimal(value)
    return (value, None) if value.is_finite() else (None, None)


def _as_decimal(value: object) -> Decimal | None:
    """A finite Decimal from a Decimal, an int or typed text; None for anything else."""
    return _read(value)[0]


def _precision_error(value: Decimal, currency: str) -> str | None:
    decimals = currency_decimals(currency)
    if decimal_places(value) <= decimals:
        return None
    if decimals == 0:
        return _("Use whole amounts of %(currency)s, without decimals.") % {"currency": currency}
    return _("Use at most %(n)d decimal places for %(currency)s.") % {
        "n": decimals, "currency": currency,
    }


def amount_problem(
    value: object,
    *,
    currency: str,
    minimum: Decimal = MIN_ORDER_AMOUNT,
    maximum: Decimal = MAX_ORDER_AMOUNT,
    what: str | None = None,
) -> str | None:
    """Why ``value`` is not an amount between ``minimum`` and ``maximum``; None if it is."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return _("Enter an amount.")
    amount, unreadable = _read(value)
    if amount is None:
        return unreadable or _("Enter the amount as a number, for example 100.")
    low, high = format_money(minimum, currency), format_money(maximum, currency)
    if amount < 0:
        return _("The amount can't be negative. Enter at least %(minimum)s.") % {"minimum": low}
    precision = _precision_error(amount, currency)
    if precision:
        return precision
    if amount < minimum:
        if minimum == 0:  # pragma: no cover - covered by the negative check
            return None
        return _("The minimum is %(minimum)s.") % {"minimum": low}
    if amount > maximum:
        return (what or _("The maximum for one order is %(maximum)s.")) % {"maximum": high}
    return None


def order_amount_check(amount: object, *, currency: str) -> Decimal:
    """An order's amount as a 4-decimal Decimal, or ``InvalidOrderAmount`` saying why."""
    problem = amount_problem(amount, currency=currency)
    if problem:
        raise InvalidOrderAmount(problem)
    return quantize(_as_decimal(amount))


@dataclass(frozen=True)
class RechargeSettings:
    """Auto-recharge on or off, "Recharge with", "When the balance falls below" and the
    optional monthly recharge limit. Amounts are kept when auto-recharge is off."""

    enabled: bool
    amount: Decimal | None = None
    trigger: Decimal | None = None
    monthly_limit: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(quantize(value))

        return {
            "enabled": self.enabled,
            "amount": text(self.amount),
            "trigger": text(self.trigger),
            "monthly_limit": text(self.monthly_limit),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RechargeSettings:
        def number(key: str) -> Decimal | None:
            value = data.get(key)
            return None if value in (None, "") else Decimal(value)

        return cls(
            enabled=bool(data.get("enabled")),
            amount=number("amount"),
            trigger=number("trigger"),
            monthly_limit=number("monthly_limit"),
        )

    @classmethod
    def of_account(cls, account) -> RechargeSettings:
        return cls(
            enabled=account.auto_recharge_enabled,
            amount=account.recharge_amount,
            trigger=account.recharge_trigger,
            monthly_limit=account.monthly_recharge_limit,
        )


def recharge_settings_check(settings: RechargeSettings, *, currency: str) -> RechargeSettings:
    """The settings with amounts at 4 decimals, or ``InvalidRechargeSettings`` with one
    message per field (``amount``, ``trigger``, ``monthly_limit``)."""
    errors: dict[str, str] = {}
    values: dict[str, Decimal | None] = {}

    amount = settings.amount
    if amount is None:
        if settings.enabled:
            errors["amount"] = _("Enter how much each recharge adds (at least %(min)s).") % {
                "min": format_money(MIN_ORDER_AMOUNT, currency)
            }
    else:
        problem = amount_problem(
            amount, currency=currency,
            what=_("A recharge can add at most %(maximum)s."),
        )
        if problem:
            errors["amount"] = problem
    values["amount"] = (
        None if amount is None or "amount" in errors else quantize(_as_decimal(amount))
    )

    trigger = settings.trigger
    if trigger is None:
        if settings.enabled:
            errors["trigger"] = _("Enter the balance below which auto-recharge buys more funds.")
    else:
        value, unreadable = _read(trigger)
        if value is None:
            errors["trigger"] = unreadable or _("Enter the amount as a number, for example 20.")
        elif value < 0:
            errors["trigger"] = _("The amount can't be negative; enter 0 or more.")
        elif problem := _precision_error(value, currency):
            errors["trigger"] = problem
        elif value > MAX_RECHARGE_TRIGGER:
            errors["trigger"] = _("Enter at most %(maximum)s.") % {
                "maximum": format_money(MAX_RECHARGE_TRIGGER, currency)
            }
    values["trigger"] = (
        None if trigger is None or "trigger" in errors else quantize(_as_decimal(trigger))
    )
    if (
        settings.enabled
        and values["amount"] is not None
        and values["trigger"] is not None
        and values["trigger"] >= values["amount"]
    ):
        errors["trigger"] = _(
            "“When the balance falls below” must be less than “Recharge with” (%(amount)s), "
            "so that one recharge lifts the balance above it."
        ) % {"amount": format_money(values["amount"], currency)}

    limit = settings.monthly_limit
    if limit is not None:
        value, unreadable = _read(limit)
        if value is None:
            errors["monthly_limit"] = (
                unreadable or _("Enter the amount as a number, for example 500.")
            )
        elif value <= 0:
            errors["monthly_limit"] = _(
                "Enter a limit greater than zero, or leave it empty for no limit."
            )
        elif problem := _precision_error(value, currency):
            errors["monthly_limit"] = problem
        elif values["amount"] is not None and value < values["amount"]:
            errors["monthly_limit"] = _(
                "The monthly limit must be at least the recharge amount (%(amount)s), or no "
                "recharge could ever happen."
            ) % {"amount": format_money(values["amount"], currency)}
        elif value > MAX_MONTHLY_RECHARGE_LIMIT:
            errors["monthly_limit"] = _("Enter at most %(maximum)s.") % {
                "maximum": format_money(MAX_MONTHLY_RECHARGE_LIMIT, currency)
            }
    values["monthly_limit"] = (
        None if limit is None or "monthly_limit" in errors else quantize(_as_decimal(limit))
    )

    if errors:
        raise InvalidRechargeSettings(errors)
    return RechargeSettings(
        enabled=bool(settings.enabled),
        amount=values["amount"],
        trigger=values["trigger"],
        monthly_limit=values["monthly_limit"],
    )


MIN_BALANCE_ALERT = Decimal("1")
MAX_BALANCE_ALERT = MAX_RECHARGE_TRIGGER


def balance_alert_check(value: object, *, currency: str) -> Decimal | None:
    """The low-balance alert's threshold at 4 decimals, None for empty (the alert is
    off), or ``InvalidRechargeSettings`` (key ``threshold``) saying why not: not a
    number, negative, below ``MIN_BALANCE_ALERT``, more decimals than the currency, over
    ``MAX_BALANCE_ALERT``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    problem = amount_problem(
        value, currency=currency, minimum=MIN_BALANCE_ALERT, maximum=MAX_BALANCE_ALERT,
        what=_("Enter at most %(maximum)s."),
    )
    if problem:
        raise InvalidRechargeSettings({"threshold": problem})
    return quantize(_as_decimal(value))


def po_number_check(value: object, *, required: bool) -> str:
    """A purchase order number: letters, digits and . _ / # - (at most 50)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise OrderError(_("Enter the purchase order (PO) number for this agreement."))
        return ""
    if len(text) > PO_NUMBER_MAX_LENGTH or not _PO_NUMBER.match(text):
        raise OrderError(
            _(
                "A PO number has at most %(n)d characters: letters, digits, spaces and "
                ". _ / # -"
            )
            % {"n": PO_NUMBER_MAX_LENGTH}
        )
    return text


def credits_available(country: str) -> bool:
    """Whether an organization located in ``country`` may use Communications Credits."""
    return country not in CREDITS_UNAVAILABLE_COUNTRIES


def credits_available_check(tenant) -> None:
    """``PurchaseNotAllowed`` for an organization located where Communications Credits
    aren't available: nothing may be set up, bought or charged for it."""
    if not credits_available(tenant.country):
        raise PurchaseNotAllowed(
            _(
                "Communications Credits aren't available for organizations located in "
                "%(country)s, so nothing can be bought or charged."
            )
            % {"country": tenant.country_name}
        )


# ---------------------------------------------------------------- invoices, credit line


def invoice_due_on(issued_on: dt.date) -> dt.date:
    """The day an invoice issued on ``issued_on`` falls due (net ``INVOICE_NET_DAYS``);
    it is overdue from the day after, while unpaid."""
    return issued_on + dt.timedelta(days=INVOICE_NET_DAYS)


def invoice_is_overdue(*, due_on: dt.date, today: dt.date) -> bool:
    """Whether an open invoice due on ``due_on`` is overdue on ``today``."""
    return today > due_on


def credit_limit_check(value: object, *, currency: str) -> Decimal:
    """A credit limit as a 4-decimal Decimal, or ``InvalidCreditLimit`` saying why not:
    empty, not a number, zero or negative, more decimals than the currency has, over
    ``MAX_CREDIT_LIMIT``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidCreditLimit(_("Enter a credit limit."))
    amount, unreadable = _read(value)
    if amount is None:
        raise InvalidCreditLimit(
            unreadable or _("Enter the credit limit as a number, for example 5000.")
        )
    if amount < 0:
        raise InvalidCreditLimit(_("The credit limit can't be negative."))
    if amount == 0:
        raise InvalidCreditLimit(
            _("The credit limit must be greater than zero (revoke the approval instead).")
        )
    precision = _precision_error(amount, currency)
    if precision:
        raise InvalidCreditLimit(precision)
    if amount > MAX_CREDIT_LIMIT:
        raise InvalidCreditLimit(
            _("The credit limit can be at most %(maximum)s.")
            % {"maximum": format_money(MAX_CREDIT_LIMIT, currency)}
        )
    return quantize(amount)


def credit_line_check(
    *, amount: Decimal, outstanding: Decimal, limit: Decimal, currency: str
) -> None:
    """``CreditLimitExceeded`` when an invoice order of ``amount`` would bring the unpaid
    invoiced amount (``outstanding``: open invoices and pending invoice orders) over the
    credit ``limit``. Reaching the limit exactly is allowed."""
    if outstanding + amount <= limit:
        return
    available = max(limit - outstanding, Decimal(0))
    raise CreditLimitExceeded(
        _(
            "Paying %(amount)s by invoice would pass your credit limit: %(outstanding)s is "
            "already invoiced and unpaid, and the limit is %(limit)s, so at most "
            "%(available)s more can be invoiced. Pay an open invoice, choose another way to "
            "pay, or ask for a higher limit."
        )
        % {
            "amount": format_money(amount, currency),
            "outstanding": format_money(outstanding, currency),
            "limit": format_money(limit, currency),
            "available": format_money(available, currency),
        },
        outstanding=outstanding,
        limit=limit,
    )


def invoice_overdue_check(*, number: str | None, due_on: dt.date | None) -> None:
    """``InvoiceOverdue`` naming the overdue invoice (``number``, ``due_on``), if any:
    no invoice purchase while one is overdue."""
    if number is None or due_on is None:
        return
    raise InvoiceOverdue(
        _(
            "Invoice %(number)s was due on %(due)s and is still unpaid, so nothing more can "
            "be bought by invoice until it is paid. Pay it, or choose another way to pay."
        )
        % {"number": number, "due": date_format(due_on, "DATE_FORMAT")},
        number=number,
        due_on=due_on,
    )
