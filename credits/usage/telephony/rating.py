"""Rating: who pays for a call, how many minutes come from a pool, what credits pay.

The rules, applied by ``call_payment`` before a call (authorization) and by
``call_rate`` after it (import):

- ``user_out``, ``user_out_transfer``, ``user_out_forwarding`` (and ``ucap_out``),
  **domestic**: the Domestic pool (``MCOPSTN1``) of the user's country if the user has a
  calling plan, while it has minutes; the rest from credits.
- the same, **international**: the international pool (``MCOPSTN2``) if the user has the
  Domestic and International plan; else credits.
- any call to a **premium-rate** number: credits, at the premium rate.
- calls **to toll-free numbers**, ``user_in`` to a user's number, ``conf_in`` to a toll
  number: free.
- ``conf_out``, ``user_out_conf``: the conferencing pool (``MCOMEETADD``) for Zone A
  non-premium destinations when the organizer has Audio Conferencing; else credits.
- ``user_in``, ``conf_in``, ``ucap_in`` **to one of the tenant's toll-free numbers**:
  credits, at the caller country's ``toll_free_inbound`` rate.

Billing is per started minute. A call partly covered by a pool takes what the pool has
left and charges the rest, plus the connection fee once; a call with nothing charged
pays no fee, and an unanswered call (0 seconds) costs nothing. Charging credits needs the
Communications Credits license of the user (the organizer, for conferences), except
toll-free inbound, which the organization pays. Domestic means the destination is in
the user's usage location.

Numbers: for outbound calls ``Destination Number`` is the number dialed and ``Caller ID``
the organization's; for inbound calls ``Caller ID`` is the outside caller and
``Destination Number`` the organization's number that was called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

from django.utils.translation import get_language

from accounts.choices import ProductCode
from accounts.countries import country_name
from credits.common.dates import month_of
from credits.common.money import MONEY_QUANTUM, ZERO
from credits.usage.choices import (
    CONFERENCE_OUT_CALL_TYPES,
    INBOUND_CALL_TYPES,
    Capability,
    DestinationType,
    NumberType,
    Reach,
)
from credits.usage.telephony.controls import RestrictionPolicy, call_restriction
from credits.usage.telephony.numbers import InvalidNumber, NumberInfo, number_classify
from credits.usage.telephony.pools import CALLING_PLANS, TENANT_WIDE
from credits.usage.telephony.records import CallInput


class RefusalCode:
    """Stable codes of why a call is refused (authorization) or a record rejected."""

    INVALID_NUMBER = "invalid_number"
    UNSUPPORTED_COUNTRY = "unsupported_country"
    UNKNOWN_USER = "unknown_user"
    NO_LICENSE = "no_license"
    NOT_COVERED = "not_covered"
    BALANCE = "balance_not_positive"
    ACCOUNT_SUSPENDED = "account_suspended"


class RatingRefused(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A directory user as rating sees them: where they are and what they hold."""

    pk: int
    upn: str
    display_name: str
    usage_location: str
    products: frozenset[str]  # effective product codes (what E5 includes added)

    @property
    def has_credits(self) -> bool:
        return ProductCode.COMMUNICATIONS_CREDITS in self.products

    @property
    def has_calling_plan(self) -> bool:
        return not CALLING_PLANS.isdisjoint(self.products)

    @property
    def has_international_plan(self) -> bool:
        return ProductCode.DOMESTIC_INTERNATIONAL_CALLING_PLAN in self.products

    @property
    def has_conferencing(self) -> bool:
        return ProductCode.AUDIO_CONFERENCING in self.products


@dataclass(frozen=True, slots=True)
class RateRow:
    pk: int
    per_minute: Decimal
    connection_fee: Decimal
    effective_from: date


class RateTable:
    """The rates of one currency, each (country, number type) with its versions."""

    def __init__(self, rows) -> None:
        table: dict[tuple[str, str], list[RateRow]] = {}
        for pk, country, number_type, effective_from, per_minute, fee in rows:
            table.setdefault((country, number_type), []).append(
                RateRow(pk, per_minute, fee, effective_from)
            )
        for versions in table.values():
            versions.sort(key=lambda r: r.effective_from, reverse=True)
        self._table = table

    def lookup(self, country: str, number_type: str, day: date) -> RateRow | None:
        for row in self._table.get((country, number_type), ()):
            if row.effective_from <= day:
                return row
        return None

    def __bool__(self) -> bool:
        return bool(self._table)


@dataclass
class RatingContext:
    """Everything rating needs, read in batches before a chunk of calls is rated."""

    tenant_country: str
    currency: str
    credits_enabled: bool
    subscribers: dict[str, Subscriber]  # by lower-case UPN
    toll_free: dict[str, str]  # the tenant's toll-free numbers (E.164) -> country
    rates: RateTable
    pool_sizes: dict[tuple[str, str], int]  # (country, capability) -> minutes
    zone_a: frozenset[str]
    pool_used: dict[tuple[date, str, str], int] = field(default_factory=dict)
    pool_touched: set[tuple[date, str, str]] = field(default_factory=set)
    restrictions: RestrictionPolicy | None = None  # the tenant's calling restrictions

    def pool_left(self, key: tuple[date, str, str]) -> int:
        size = self.pool_sizes.get((key[1], key[2]), 0)
        return max(0, size - self.pool_used.get(key, 0))


class Payment(NamedTuple):
    """Who pays a call, decided before its length is known (a named tuple, built once
    per call: ``records.CallInput`` says why)."""

    free: bool
    reach: str
    rated_country: str
    rated_number_type: str
    pool_capability: str = ""  # the pool that pays first ('' when none)
    pool_country: str = ""
    rate_type: str = ""  # the NumberType credits pay at ('' when free)
    needs_license: bool = True  # credits need the user's Communications Credits license


@dataclass(slots=True)
class Rating:
    """The outcome of rating one call."""

    subscriber: Subscriber | None
    home_country: str
    payment: Payment
    billed_minutes: int
    pool_minutes: int = 0
    pool_key: tuple[date, str, str] | None = None
    rate: RateRow | None = None
    connection_fee: Decimal = ZERO
    charge: Decimal = ZERO
    restriction: str = ""  # the calling restriction the call broke (it is still rated)

    @property
    def capability(self) -> str:
        if self.charge:
            return Capability.CREDITS
        if self.pool_minutes:
            return self.payment.pool_capability
        return ""

    @property
    def charged_minutes(self) -> int:
        return self.billed_minutes - self.pool_minutes if self.charge else 0

    @property
    def destination_dialed(self) -> str:
        return _country_name(get_language() or "en", self.payment.rated_country)


@lru_cache(maxsize=2048)
def _country_name(language: str, code: str) -> str:
    return country_name(code)


def billed_minutes(duration_seconds: int) -> int:
    """Per started minute: 1 s is a minute, 60 s one, 61 s two."""
    return -(-duration_seconds // 60)


def _classify(number: str, what: str) -> NumberInfo:
    try:
        return number_classify(number)
    except InvalidNumber as error:
        raise RatingRefused(RefusalCode.INVALID_NUMBER, f"{what}: {error.reason}") from None


def _caller_country(caller_id: str, *, default: str) -> str:
    """The country an inbound call came from; ``default`` when the caller is anonymous
    or not a valid number (callers' numbers are not always E.164)."""
    if not caller_id:
        return default
    try:
        return number_classify(caller_id).country
    except InvalidNumber:
        return default


def subscriber_for(upn: str, context: RatingContext) -> Subscriber | None:
    if not upn:
        return None
    subscriber = context.subscribers.get(upn)
    if subscriber is None:
        raise RatingRefused(
            RefusalCode.UNKNOWN_USER, f"{upn} is not a user of this organization"
        )
    return subscriber


def home_country_of(subscriber: Subscriber | None, location: str, context: RatingContext) -> str:
    if subscriber is not None and subscriber.usage_location:
        return subscriber.usage_location
    return location or context.tenant_country


def call_payment(
    *,
    call_type: str,
    destination_number: str,
    caller_id: str,
    subscriber: Subscriber | None,
    home_country: str,
    context: RatingContext,
) -> Payment:
    """Apply the table of rules to a call; raises ``RatingRefused`` for a bad number or
    an outbound call without a user."""
    if call_type in INBOUND_CALL_TYPES:
        called = _classify(destination_number, "Destination Number")
        toll_free_country = context.toll_free.get(called.e164)
        if toll_free_country is None:
            caller_country = _caller_country(caller_id, default=called.country)
            reach = Reach.DOMESTIC if caller_country == called.country else Reach.INTERNATIONAL
            return Payment(
                free=True, reach=reach, rated_country=caller_country,
                rated_number_type=called.number_type,
            )
        # Toll-free inbound: the organization pays at the caller's country's rate; an
        # anonymous caller is rated as calling from the toll-free number's country.
        caller_country = _caller_country(caller_id, default=toll_free_country)
        reach = Reach.DOMESTIC if caller_country == toll_free_country else Reach.INTERNATIONAL
        return Payment(
            free=False, reach=reach, rated_country=caller_country,
            rated_number_type=DestinationType.TOLL_FREE, rate_type=NumberType.TOLL_FREE_INBOUND,
            needs_license=False,
        )

    dialed = _classify(destination_number, "Destination Number")
    reach = Reach.DOMESTIC if dialed.country == home_country else Reach.INTERNATIONAL
    common = {
        "reach": reach, "rated_country": dialed.country, "rated_number_type": dialed.number_type
    }
    if dialed.number_type == DestinationType.TOLL_FREE:
        return Payment(free=True, **common)
    if subscriber is None:
        raise RatingRefused(
            RefusalCode.UNKNOWN_USER,
            "an outbound call needs the UPN of the user who made it (the organizer, for "
            "a conference)",
        )
    if dialed.number_type == DestinationType.PREMIUM:
        return Payment(free=False, rate_type=NumberType.PREMIUM, **common)
    mobile = dialed.number_type == DestinationType.MOBILE
    rate_type = NumberType.MOBILE if mobile else NumberType.FIXED
    if call_type in CONFERENCE_OUT_CALL_TYPES:
        if subscriber.has_conferencing and dialed.country in context.zone_a:
            return Payment(
                free=False, rate_type=rate_type, pool_capability=Capability.CONFERENCING,
                pool_country=TENANT_WIDE, **common,
            )
        return Payment(free=False, rate_type=rate_type, **common)
    if reach == Reach.DOMESTIC and subscriber.has_calling_plan:
        return Payment(
            free=False, rate_type=rate_type, pool_capability=Capability.DOMESTIC,
            pool_country=home_country, **common,
        )
    if reach == Reach.INTERNATIONAL and subscriber.has_international_plan:
        return Payment(
            free=False, rate_type=rate_type, pool_capability=Capability.INTERNATIONAL,
            pool_country=home_country, **common,
        )
    return Payment(free=False, rate_type=rate_type, **common)


def credits_check(payment: Payment, subscriber: Subscriber | None, context: RatingContext) -> None:
    """Refuse a call whose credits part cannot be paid: no license or no credits."""
    if payment.needs_license and (subscriber is None or not subscriber.has_credits):
        who = subscriber.upn if subscriber is not None else "The caller"
        raise RatingRefused(
            RefusalCode.NO_LICENSE,
            f"{who} has no Communications Credits license, and this call is not covered by "
            "a plan or a pool",
        )
    if not context.credits_enabled:
        raise RatingRefused(
            RefusalCode.NOT_COVERED,
            "this call is not covered by a plan or a pool, and Communications Credits are "
            "not set up for the organization",
        )


def rate_for(payment: Payment, day: date, context: RatingContext) -> RateRow:
    rate = context.rates.lookup(payment.rated_country, payment.rate_type, day)
    if rate is None:
        raise RatingRefused(
            RefusalCode.UNSUPPORTED_COUNTRY,
            f"there is no {NumberType(payment.rate_type).label.lower()} rate for "
            f"{country_name(payment.rated_country)} ({payment.rated_country}) in "
            f"{context.currency}",
        )
    return rate


def call_rate(*, call: CallInput, context: RatingContext) -> Rating:
    """Rate one call: pool minutes first, then credits. Takes the minutes from
    ``context``'s pools (so calls must be rated in time order) only when the call is
    accepted; raises ``RatingRefused`` with the reason otherwise."""
    subscriber = subscriber_for(call.upn, context)
    home = home_country_of(subscriber, call.user_location, context)
    payment = call_payment(
        call_type=call.call_type, destination_number=call.destination_number,
        caller_id=call.caller_id, subscriber=subscriber, home_country=home, context=context,
    )
    minutes = billed_minutes(call.duration_seconds)
    rating = Rating(
        subscriber=subscriber, home_country=home, payment=payment, billed_minutes=minutes
    )
    broken = call_restriction(
        policy=context.restrictions, call_type=call.call_type, reach=payment.reach,
        rated_country=payment.rated_country, rated_number_type=payment.rated_number_type,
        user_id=subscriber.pk if subscriber is not None else None,
    )
    rating.restriction = broken.code if broken is not None else ""
    if payment.free or not minutes:
        return rating
    taken = 0
    key = None
    if payment.pool_capability:
        key = (month_of(call.start_time), payment.pool_country, payment.pool_capability)
        taken = min(context.pool_left(key), minutes)
    rest = minutes - taken
    if rest:
        credits_check(payment, subscriber, context)
        rate = rate_for(payment, call.start_time.date(), context)
        rating.rate = rate
        rating.connection_fee = rate.connection_fee
        rating.charge = (rate.connection_fee + rate.per_minute * rest).quantize(
            MONEY_QUANTUM, rounding=ROUND_HALF_UP
        )
    if taken:
        context.pool_used[key] = context.pool_used.get(key, 0) + taken
        context.pool_touched.add(key)
        rating.pool_minutes, rating.pool_key = taken, key
    return rating
