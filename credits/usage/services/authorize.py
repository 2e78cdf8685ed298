"""Call authorization: may this call start, and who will pay for it?

``call_authorize`` applies the rating rules (``credits.usage.telephony.rating``) before the call,
when its length is not known yet:

- a free call (toll-free destination, inbound to a user or a conference number) is allowed;
- a call a pool pays for is allowed while that pool has a minute left this month;
- otherwise credits pay, and the call is allowed only when the user (the organizer, for
  conferences) holds the Communications Credits license (toll-free inbound needs none),
  credits are set up and not suspended, there is a rate for the destination, and the
  usable balance is **above zero** (negative balance policy: once allowed, the call is
  charged in full when it ends, even below zero), and the daily cap, when it stops paid
  calls, is not reached today (``daily_cap_reached``, until the next day in the
  organization's time zone or until an admin lifts it);
- before any of that, an outbound call the organization's calling restrictions block is
  refused (``premium_blocked``, ``international_blocked``), unless its user is an exception.

It reads only; it never charges. Refusals carry a stable ``code`` and a ``reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import Tenant
from credits.common.dates import month_of
from credits.common.formatting import format_money
from credits.ledger.choices import CreditAccountStatus
from credits.ledger.selectors import balance_at, credit_account_for_tenant
from credits.usage.choices import CallType, Capability
from credits.usage.selectors import pool_used_load, rating_context_load, spend_controls_of
from credits.usage.services.controls import spend_cap_status
from credits.usage.telephony.controls import ControlCode, call_restriction
from credits.usage.telephony.rating import (
    RatingRefused,
    RefusalCode,
    call_payment,
    credits_check,
    home_country_of,
    rate_for,
    subscriber_for,
)

ALLOWED = "allowed"


@dataclass(frozen=True)
class CallAuthorization:
    allowed: bool
    code: str
    reason: str
    capability: str = ""  # what pays first: a pool, credits, or '' (free)
    pool_minutes_left: int | None = None
    per_minute: Decimal | None = None
    connection_fee: Decimal | None = None
    currency: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "code": self.code,
            "reason": self.reason,
            "capability": self.capability,
            "pool_minutes_left": self.pool_minutes_left,
            "per_minute": None if self.per_minute is None else str(self.per_minute),
            "connection_fee": None if self.connection_fee is None else str(self.connection_fee),
            "currency": self.currency,
        }


def _refused(code: str, reason: str, currency: str) -> CallAuthorization:
    return CallAuthorization(allowed=False, code=code, reason=reason, currency=currency)


def call_authorize(
    *,
    tenant: Tenant,
    upn: str,
    call_type: str,
    destination_number: str,
    caller_id: str = "",
    at: datetime | None = None,
) -> CallAuthorization:
    """Decide whether a call may start; see the module docstring."""
    if call_type not in CallType.values:
        raise ValueError(f"{call_type!r} is not a call type.")
    at = at or timezone.now()
    currency = tenant.currency
    account = credit_account_for_tenant(tenant)
    upn = (upn or "").strip().lower()
    context = rating_context_load(tenant=tenant, upns=[upn], account=account)
    try:
        subscriber = subscriber_for(upn, context)
        home = home_country_of(subscriber, "", context)
        payment = call_payment(
            call_type=call_type, destination_number=destination_number, caller_id=caller_id,
            subscriber=subscriber, home_country=home, context=context,
        )
    except RatingRefused as refusal:
        return _refused(refusal.code, refusal.reason, currency)
    restriction = call_restriction(
        policy=context.restrictions, call_type=call_type, reach=payment.reach,
        rated_country=payment.rated_country, rated_number_type=payment.rated_number_type,
        user_id=subscriber.pk if subscriber is not None else None,
    )
    if restriction is not None:
        return _refused(restriction.code, restriction.reason, currency)
    if payment.free:
        return CallAuthorization(
            allowed=True, code=ALLOWED, reason="This call is free.", currency=currency
        )
    if payment.pool_capability:
        key = (month_of(at), payment.pool_country, payment.pool_capability)
        context.pool_used = pool_used_load(tenant=tenant, months=[key[0]])
        left = context.pool_left(key)
        if left > 0:
            return CallAuthorization(
                allowed=True, code=ALLOWED,
                reason=(
                    f"{Capability(payment.pool_capability).label} pays: {left:,} minutes "
                    "left this month; credits pay beyond them."
                ),
                capability=payment.pool_capability, pool_minutes_left=left, currency=currency,
            )
    try:
        rate = rate_for(payment, at.date(), context)
        credits_check(payment, subscriber, context)
    except RatingRefused as refusal:
        return _refused(refusal.code, refusal.reason, currency)
    if account.status == CreditAccountStatus.SUSPENDED:
        return _refused(
            RefusalCode.ACCOUNT_SUSPENDED,
            "Communications Credits are suspended for the organization: no paid call may start.",
            currency,
        )
    balance = balance_at(account=account)
    if balance <= 0:
        return _refused(
            RefusalCode.BALANCE,
            f"The Communications Credits balance is {format_money(balance, currency)}: paid "
            "calls can't start until funds are added.",
            currency,
        )
    controls = spend_controls_of(tenant=tenant)
    capped, spend = spend_cap_status(tenant=tenant, controls=controls, at=at)
    if capped:
        return _refused(
            ControlCode.DAILY_CAP,
            f"Today's spend of {format_money(spend, currency)} reached the daily cap of "
            f"{format_money(controls.daily_amount, currency)}: paid calls can't start until "
            "tomorrow (in the organization's time zone) or until an admin lifts the cap.",
            currency,
        )
    return CallAuthorization(
        allowed=True, code=ALLOWED,
        reason=f"Communications Credits pay: the balance is {format_money(balance, currency)}.",
        capability=Capability.CREDITS, per_minute=rate.per_minute,
        connection_fee=rate.connection_fee, currency=currency,
    )
