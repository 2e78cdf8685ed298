"""The payment gateway interface.

The console talks to a card processor only through ``PaymentGateway``; which one is used
is chosen by ``settings.PAYMENT_GATEWAY`` (a dotted path), so a real provider can be
plugged in without touching the purchase or recharge code. The default is the sandbox
(``credits.billing.gateway.sandbox.SandboxGateway``), which behaves like a processor's test mode.

Card numbers and security codes pass through ``tokenize_card`` and are never stored or
logged: the console keeps only the token, brand, last four digits and expiry.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class CardError(Exception):
    """The gateway refused a card or a charge; ``code`` is stable, ``message`` is for people."""

    MESSAGES = {
        "invalid_number": _("The card number is not valid. Check it and try again."),
        "invalid_expiry": _("The expiry date is not valid."),
        "invalid_cvc": _("The security code must be 3 or 4 digits."),
        "expired_card": _("The card has expired. Use another card or update its expiry date."),
        "card_declined": _("The card was declined. Use another card or contact your card issuer."),
        "insufficient_funds": _("The card has insufficient funds. Use another card."),
        "processing_error": _(
            "The card could not be charged because of a processing error. Try again in a few "
            "minutes, or use another card."
        ),
        "unsupported_currency": _("The payment provider does not accept this currency."),
    }

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        self.message = str(message or self.MESSAGES.get(code, _("The payment failed.")))
        super().__init__(f"{code}: {self.message}")


@dataclass(frozen=True, repr=False)
class CardDetails:
    """What a person typed. Never persisted; ``repr`` hides the number and code."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder: str = ""

    def __repr__(self) -> str:
        return f"CardDetails(number='…{self.number[-4:]}', exp={self.exp_month}/{self.exp_year})"


@dataclass(frozen=True)
class TokenizedCard:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class SavedCard:
    """A saved card as the gateway needs it to charge."""

    token: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    charge_id: str = ""
    failure_code: str = ""
    failure_message: str = ""
    replayed: bool = field(default=False, compare=False)


def card_expired(exp_month: int, exp_year: int, *, today: dt.date) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (exp_year, exp_month) < (today.year, today.month)


class GatewayUnavailable(Exception):
    """The gateway could not be reached or did not answer: the outcome is unknown."""


class PaymentGateway(ABC):
    @abstractmethod
    def tokenize_card(self, card: CardDetails, *, today: dt.date | None = None) -> TokenizedCard:
        """Validate a card and return a token; raises ``CardError``."""

    @abstractmethod
    def verify_card(self, card: SavedCard, *, today: dt.date | None = None) -> None:
        """A zero-amount authorization of a card about to be saved: raises ``CardError``
        (declined, insufficient funds, processing error, expired) with the same codes and
        messages a charge would give, so a card that can't pay is never saved."""

    @abstractmethod
    def charge_status(self, idempotency_key: str) -> ChargeResult | None:
        """What became of the charge made with ``idempotency_key``: its result, or
        ``None`` when the gateway holds no charge with that key (nothing was charged).
        Raises ``GatewayUnavailable`` when the gateway can't tell now."""

    @abstractmethod
    def charge(
        self,
        *,
        card: SavedCard,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        description: str = "",
        today: dt.date | None = None,
    ) -> ChargeResult:
        """Charge a saved card once per idempotency key.

        A retry with the same key returns the first result and charges nothing more.
        Declines are results (``succeeded=False``), not exceptions.
        """


@lru_cache(maxsize=4)
def _gateway_class(path: str) -> type[PaymentGateway]:
    return import_string(path)


def get_gateway() -> PaymentGateway:
    path = getattr(settings, "PAYMENT_GATEWAY", "credits.billing.gateway.sandbox.SandboxGateway")
    return _gateway_class(path)()
