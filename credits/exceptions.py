"""Domain errors of the credits app. Services raise them; views turn them into messages.

Every error's message is written for the person who will read it (an operator in a log,
an admin in a form error), and says what was refused and why. Nothing is written to the
database when one of them is raised from a ledger service.
"""

from __future__ import annotations


class CreditsError(Exception):
    """Base of every credits error; ``code`` is stable for views and tests to match on."""

    code = "credits_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PurchaseNotAllowed(CreditsError):
    """Credits cannot be set up or bought for this tenant (e.g. its country)."""

    code = "purchase_not_allowed"


class LedgerError(CreditsError):
    """A posting was refused: it would break a ledger rule."""

    code = "ledger_error"


class InvalidAmount(LedgerError):
    """Zero, negative, too many decimals, over the maximum, or not a Decimal."""

    code = "invalid_amount"


class AmountNotReadable(CreditsError):
    """Typed text that is not an amount as people write one (``1e3``, ``NaN``, ``１２３``,
    ``25,5`` where the decimal point is a point): the message says how to type it."""

    code = "amount_not_readable"


class CurrencyMismatch(LedgerError):
    """The amount is not in the credit account's currency."""

    code = "currency_mismatch"


class IdempotencyConflict(LedgerError):
    """The idempotency key was already used on this account for a different posting."""

    code = "idempotency_conflict"

    def __init__(self, message: str, *, key: str, entry_id: int) -> None:
        super().__init__(message)
        self.key = key
        self.entry_id = entry_id


class InsufficientCredits(LedgerError):
    """A debit that may not create a deficit is larger than the usable balance."""

    code = "insufficient_credits"


class AccountClosed(LedgerError):
    """The credit account is closed: it takes no new funds and no new charges."""

    code = "account_closed"


class EntryNotReversible(LedgerError):
    """This entry cannot be reversed (its kind, already reversed, or its lot expired)."""

    code = "entry_not_reversible"


# Orders and payments ------------------------------------------------------------------
# Their messages are shown to admins as they are, so they are translated.


class OrderError(CreditsError):
    """An order or a payment setting was refused before anything was charged or written."""

    code = "order_error"


class InvalidOrderAmount(OrderError):
    """Empty, not a number, negative, below the minimum, above the maximum, too precise."""

    code = "invalid_order_amount"


class InvalidRechargeSettings(OrderError):
    """Recharge settings that break a rule; ``errors`` maps each field to its problem."""

    code = "invalid_recharge_settings"

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class AgreementRegionMismatch(PurchaseNotAllowed):
    """The Enterprise Agreement is billed in another region than the tenant is located in."""

    code = "ea_region_mismatch"

    def __init__(self, message: str, *, agreement) -> None:
        super().__init__(message)
        self.agreement = agreement


class CreditsAlreadySetUp(OrderError):
    code = "already_set_up"


class CreditsNotSetUp(OrderError):
    code = "not_set_up"


class PaymentMethodUnavailable(OrderError):
    """The chosen card, invoice or agreement can't pay for this tenant (removed, not its
    own, inactive, or no volume licensing)."""

    code = "payment_method_unavailable"


class InvoicingNotApproved(PaymentMethodUnavailable):
    """Paying by invoice needs an invoicing approval from platform staff, and the tenant
    has none (or it was revoked)."""

    code = "invoicing_not_approved"


class InvoiceOverdue(PaymentMethodUnavailable):
    """An invoice of the tenant is past its due date and unpaid: no more invoice
    purchases until it is paid. ``number`` and ``due_on`` name it."""

    code = "invoice_overdue"

    def __init__(self, message: str, *, number: str, due_on) -> None:
        super().__init__(message)
        self.number = number
        self.due_on = due_on


class CreditLimitExceeded(PaymentMethodUnavailable):
    """The order would bring the tenant's unpaid invoices (open invoices and pending
    invoice orders) over its credit limit. ``outstanding`` and ``limit`` are the figures."""

    code = "credit_limit_exceeded"

    def __init__(self, message: str, *, outstanding, limit) -> None:
        super().__init__(message)
        self.outstanding = outstanding
        self.limit = limit


class InvalidCreditLimit(OrderError):
    """A credit limit typed by platform staff: empty, not a number, not above zero, too
    many decimals for the currency, or over the maximum."""

    code = "invalid_credit_limit"


class CardRefused(OrderError):
    """The gateway refused the card itself (invalid, expired): nothing was charged.
    ``card_code`` is the gateway's ``CardError.code``."""

    code = "card_refused"

    def __init__(self, message: str, *, card_code: str) -> None:
        super().__init__(message)
        self.card_code = card_code


class OrderConflict(OrderError):
    """The idempotency key was already used by an order with different details."""

    code = "order_conflict"


class NotificationSettingsInvalid(CreditsError):
    """Billing notification settings that break a rule (too many addresses, an invalid
    one, another tenant's admin, an opt-out of a critical kind); ``errors`` maps each
    field to its problem."""

    code = "notification_settings_invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class PaymentDeclined(CreditsError):
    """The payment failed; the order is recorded as failed with the reason, and no funds
    were added. ``order`` is that order."""

    code = "payment_declined"

    def __init__(self, message: str, *, order, failure_code: str) -> None:
        super().__init__(message)
        self.order = order
        self.failure_code = failure_code


class PaymentPending(CreditsError):
    """The gateway didn't answer (a timeout, an outage, an error of its own), so the
    payment's outcome is unknown and the order stays pending. Trying again with the same
    order charges at most once; the workers' recovery settles it within minutes
    (docs/operations.md). ``order`` is that order."""

    code = "payment_pending"

    def __init__(self, message: str, *, order) -> None:
        super().__init__(message)
        self.order = order


class InvoiceError(CreditsError):
    """An operation on an invoice was refused (no reason given, for example); nothing
    was written."""

    code = "invoice_error"


class InvoiceClosed(InvoiceError):
    """A paid or void invoice can't change again."""

    code = "invoice_closed"


class PaymentMethodInUse(CreditsError):
    """A card that pays for the subscription can't be removed until another one does."""

    code = "payment_method_in_use"


class UsageInvalid(CreditsError):
    """A usage import (file or API request) cannot be read at all: not the call-record
    CSV header, not a JSON list of records, too many records. Nothing was imported."""

    code = "usage_invalid"


class InvalidControls(CreditsError):
    """Spend controls or calling restrictions that break a rule; ``errors`` maps each
    field to its problem."""

    code = "invalid_controls"

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class RatesInvalid(CreditsError):
    """A rate file has bad lines; ``problems`` lists them as (line, reason). Nothing was
    imported (rate imports are all-or-nothing)."""

    code = "rates_invalid"

    def __init__(self, message: str, *, problems: list[tuple[int, str]]) -> None:
        super().__init__(message)
        self.problems = problems


class ExportRefused(CreditsError):
    """A report export was not started: its filters are not valid, or it selects more
    rows than the format holds. Nothing was recorded."""

    code = "export_refused"
