"""The sandbox gateway: a card processor's test mode, and the default gateway.

Test cards (any holder name, any future expiry date, any 3-digit security code):

==================== ==========================================================
4242 4242 4242 4242  succeeds
4000 0000 0000 0002  declined (``card_declined``)
4000 0000 0000 9995  insufficient funds (``insufficient_funds``)
4000 0000 0000 0119  processing error (``processing_error``)
==================== ==========================================================

Any other number that passes the Luhn check succeeds too; one that fails it is refused
when the card is added. A card whose expiry month has passed is refused as expired when
it is added and when it is charged. A card is verified (a zero-amount authorization)
before it is saved, so the declined, insufficient-funds and processing-error cards are
refused there with the messages a charge would give.

Tokens say how the card behaves (``tok_sandbox_declined_...``) and hold nothing else: the
number and the security code are dropped as soon as the card is checked. Every charge is
stored as a ``SandboxCharge`` keyed by its idempotency key, so a retried charge with the
same key returns the first result and charges once, across processes and workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from credits.billing.gateway.base import (
    CardDetails,
    CardError,
    ChargeResult,
    PaymentGateway,
    SavedCard,
    TokenizedCard,
    card_expired,
)
from credits.billing.gateway.cards import card_brand, luhn_valid, normalize_number
from credits.billing.models import SandboxCharge

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "tok_sandbox_"
SUCCEEDS = "ok"
# Test numbers that tokenize fine and then fail when charged, with the failure code.
FAILING_CARDS: dict[str, str] = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000119": "processing_error",
}
_OUTCOMES = {SUCCEEDS, *FAILING_CARDS.values()}


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _expiry_check(exp_month: int, exp_year: int) -> None:
    if not (isinstance(exp_month, int) and 1 <= exp_month <= 12):
        raise CardError("invalid_expiry")
    if not (isinstance(exp_year, int) and 2000 <= exp_year <= 2099):
        raise CardError("invalid_expiry")


def _outcome_of(token: str) -> str | None:
    """The behaviour a sandbox token was issued for; None for a token it never issued."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    outcome, _, rest = token.removeprefix(TOKEN_PREFIX).rpartition("_")
    return outcome if outcome in _OUTCOMES and rest else None


class SandboxGateway(PaymentGateway):
    """Behaves like a processor's test mode; see the module docstring for the test cards."""

    def tokenize_card(self, card: CardDetails, *, today: dt.date | None = None) -> TokenizedCard:
        number = normalize_number(card.number)
        if not luhn_valid(number):
            raise CardError("invalid_number")
        _expiry_check(card.exp_month, card.exp_year)
        cvc = (card.cvc or "").strip()
        if not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
            raise CardError("invalid_cvc")
        if card_expired(card.exp_month, card.exp_year, today=_today(today)):
            raise CardError("expired_card")
        outcome = FAILING_CARDS.get(number, SUCCEEDS)
        return TokenizedCard(
            token=f"{TOKEN_PREFIX}{outcome}_{secrets.token_hex(12)}",
            brand=card_brand(number),
            last4=number[-4:],
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

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
        if not isinstance(idempotency_key, str) or not idempotency_key.strip():
            raise ValueError("Every charge needs an idempotency key.")
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            raise ValueError(f"A charge needs a positive Decimal amount, not {amount!r}.")
        if len(currency or "") != 3:
            raise CardError("unsupported_currency")

        request = {"token": card.token, "amount": amount, "currency": currency}
        existing = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return self._replay(existing, request)

        outcome = _outcome_of(card.token)
        if outcome is None:
            failure = "processing_error"
        elif card_expired(card.exp_month, card.exp_year, today=_today(today)):
            failure = "expired_card"
        else:
            failure = "" if outcome == SUCCEEDS else outcome
        try:
            with transaction.atomic():
                charge = SandboxCharge.objects.create(
                    idempotency_key=idempotency_key,
                    charge_id=f"ch_sandbox_{secrets.token_hex(12)}",
                    token=card.token,
                    amount=amount,
                    currency=currency,
                    description=description[:200],
                    succeeded=not failure,
                    failure_code=failure,
                )
        except IntegrityError:
            # Another worker charged with this key first: its result is the result.
            existing = SandboxCharge.objects.get(idempotency_key=idempotency_key)
            return self._replay(existing, request)
        logger.info(
            "Sandbox charge %s: %s %s %s", charge.charge_id, amount, currency,
            "succeeded" if charge.succeeded else f"failed ({failure})",
        )
        return self._result(charge)

    def verify_card(self, card: SavedCard, *, today: dt.date | None = None) -> None:
        outcome = _outcome_of(card.token)
        if outcome is None:
            raise CardError("processing_error")
        if card_expired(card.exp_month, card.exp_year, today=_today(today)):
            raise CardError("expired_card")
        if outcome != SUCCEEDS:
            raise CardError(outcome)

    def charge_status(self, idempotency_key: str) -> ChargeResult | None:
        charge = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return None if charge is None else self._result(charge, replayed=True)

    @staticmethod
    def _result(charge, *, replayed: bool = False) -> ChargeResult:
        if charge.succeeded:
            return ChargeResult(succeeded=True, charge_id=charge.charge_id, replayed=replayed)
        return ChargeResult(
            succeeded=False,
            charge_id=charge.charge_id,
            failure_code=charge.failure_code,
            failure_message=CardError(charge.failure_code).message,
            replayed=replayed,
        )

    def _replay(self, charge, request: dict) -> ChargeResult:
        if (charge.token, charge.amount, charge.currency) != (
            request["token"], request["amount"], request["currency"],
        ):
            raise CardError(
                "idempotency_conflict",
                "This payment was already attempted with different details, so nothing was "
                "charged. Start the purchase again.",
            )
        return self._result(charge, replayed=True)
