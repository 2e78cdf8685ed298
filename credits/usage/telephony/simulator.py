"""A traffic simulator: realistic call records for a tenant, day by day.

Mixed call types (outbound calls by users, transfers and forwards, inbound calls to users,
conference dial-in and dial-out, auto-attendant calls to the tenant's toll-free
numbers), destinations (mostly domestic, some international, a few toll-free and
premium-rate numbers), business-hour start times and a spread of durations. Numbers are
valid for their country and type (built from ``phonenumbers``' examples).

Only calls the platform would let start are made: a call that credits would pay for is
skipped when the user has no Communications Credits license, when credits are not set
up, when no rate exists for it, or when ``allow_paid`` is false (the balance is at or
below zero: call authorization refuses paid calls). Pools are assumed to have minutes;
the import decides what they actually cover.

Deterministic: the same tenant, day, seed and directory give the same calls with the
same UsageIds, so importing a simulated day twice charges once.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from credits.usage.choices import CallType, DestinationType
from credits.usage.telephony.numbers import InvalidNumber, number_classify
from credits.usage.telephony.rating import RatingContext, RatingRefused, Subscriber, call_payment

NAMESPACE = uuid.UUID("6f1d7c1e-2a43-4f53-9a55-5c0a7ad1e0c6")

# Where international calls go, with weights.
INTERNATIONAL = (
    ("GB", 14), ("DE", 12), ("FR", 10), ("CA", 8), ("US", 14), ("IN", 8), ("MX", 5),
    ("JP", 4), ("AU", 4), ("ES", 4), ("IT", 4), ("NL", 4), ("BR", 3), ("CN", 3), ("SG", 2),
    ("IE", 3), ("ZA", 2), ("AE", 2), ("PL", 2), ("SE", 2),
)
# (call type, weight) of the traffic mix; toll-free inbound is drawn separately.
MIX = (
    (CallType.USER_OUT, 48), (CallType.USER_OUT_TRANSFER, 3), (CallType.USER_OUT_FORWARDING, 3),
    (CallType.USER_IN, 22), (CallType.CONF_IN, 9), (CallType.CONF_OUT, 5),
    (CallType.USER_OUT_CONF, 2),
)
TOLL_FREE_SHARE = 0.05  # of all calls: inbound to the tenant's toll-free numbers
_TYPES = {
    DestinationType.FIXED: PhoneNumberType.FIXED_LINE,
    DestinationType.MOBILE: PhoneNumberType.MOBILE,
    DestinationType.TOLL_FREE: PhoneNumberType.TOLL_FREE,
    DestinationType.PREMIUM: PhoneNumberType.PREMIUM_RATE,
}
_ATTEMPTS = 6


@lru_cache(maxsize=1024)
def sample_numbers(country: str, kind: str, count: int = 40) -> tuple[str, ...]:
    """Up to ``count`` valid E.164 numbers of ``country`` and type ``kind``."""
    example = phonenumbers.example_number_for_type(country, _TYPES[kind])
    if example is None:
        return ()
    national = str(example.national_number)
    found: list[str] = []
    for step in range(count * 6):
        tail = (int(national[-4:]) + step * 137) % 10000
        candidate = f"+{example.country_code}{national[:-4]}{tail:04d}"
        try:
            info = number_classify(candidate)
        except InvalidNumber:
            continue
        if info.number_type == kind and info.country == country and candidate not in found:
            found.append(candidate)
            if len(found) == count:
                break
    return tuple(found)


@dataclass(frozen=True)
class SimulationTenant:
    slug: str
    country: str
    callers: tuple[Subscriber, ...]  # sorted by UPN
    toll_free: tuple[str, ...]  # the tenant's toll-free numbers (E.164)
    context: RatingContext  # for the question "would this call be allowed?"


def _did(subscriber: Subscriber, index: int) -> str:
    numbers = sample_numbers(subscriber.usage_location or "US", DestinationType.FIXED, 200)
    return numbers[index % len(numbers)] if numbers else ""


def _duration(rng: random.Random, conference: bool) -> int:
    bucket = rng.random()
    if bucket < 0.06:
        return 0  # not answered
    if bucket < 0.34:
        return rng.randint(5, 60)
    if bucket < 0.76:
        return rng.randint(61, 360)
    if bucket < 0.96 or not conference:
        return rng.randint(361, 1200)
    return rng.randint(1201, 3600)


def _start(rng: random.Random, day: date) -> datetime:
    seconds = int(rng.triangular(7 * 3600, 20 * 3600, 14 * 3600))
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds)


def _destination(rng: random.Random, home: str) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        kind, country = DestinationType.TOLL_FREE, home
    elif roll < 0.051:
        kind, country = DestinationType.PREMIUM, home
    else:
        international = roll > 0.84
        country = home
        if international:
            countries, weights = zip(*INTERNATIONAL, strict=True)
            while country == home:
                country = rng.choices(countries, weights)[0]
        kind = DestinationType.MOBILE if rng.random() < 0.45 else DestinationType.FIXED
    numbers = sample_numbers(country, kind)
    return rng.choice(numbers) if numbers else None


def _allowed(
    tenant: SimulationTenant, row: dict[str, str], subscriber: Subscriber | None,
    day: date, allow_paid: bool,
) -> bool:
    context = tenant.context
    home = subscriber.usage_location if subscriber and subscriber.usage_location else tenant.country
    try:
        payment = call_payment(
            call_type=row["Call Type"], destination_number=row["Destination Number"],
            caller_id=row["Caller ID"], subscriber=subscriber, home_country=home,
            context=context,
        )
    except RatingRefused:
        return False
    if payment.free or payment.pool_capability:
        return True
    if not allow_paid or not context.credits_enabled:
        return False
    if payment.needs_license and (subscriber is None or not subscriber.has_credits):
        return False
    return context.rates.lookup(payment.rated_country, payment.rate_type, day) is not None


def _one_call(
    tenant: SimulationTenant, rng: random.Random, day: date, n: int, allow_paid: bool
) -> dict[str, str] | None:
    callers = tenant.callers
    index = rng.randrange(len(callers))
    subscriber = callers[index]
    if tenant.toll_free and rng.random() < TOLL_FREE_SHARE:
        call_type = rng.choices(
            (CallType.UCAP_IN, CallType.USER_IN, CallType.CONF_IN), (6, 2, 2)
        )[0]
        countries, weights = zip(*INTERNATIONAL, strict=True)
        origin = tenant.country if rng.random() < 0.75 else rng.choices(countries, weights)[0]
        origin_numbers = sample_numbers(origin, rng.choice(
            (DestinationType.FIXED, DestinationType.MOBILE)
        ))
        caller_id = rng.choice(origin_numbers) if origin_numbers else ""
        destination = rng.choice(tenant.toll_free)
        who = None if call_type == CallType.UCAP_IN else subscriber
    else:
        call_type = rng.choices(*zip(*MIX, strict=True))[0]
        who = subscriber
        home = subscriber.usage_location or tenant.country
        if call_type in (CallType.USER_IN, CallType.CONF_IN):
            countries, weights = zip(*INTERNATIONAL, strict=True)
            origin = home if rng.random() < 0.85 else rng.choices(countries, weights)[0]
            numbers = sample_numbers(origin, DestinationType.MOBILE if rng.random() < 0.5
                                     else DestinationType.FIXED)
            caller_id = rng.choice(numbers) if numbers else ""
            if call_type == CallType.USER_IN:
                destination = _did(subscriber, index)
            else:
                bridge = sample_numbers(tenant.country, DestinationType.FIXED, 200)
                destination = bridge[-1] if bridge else ""
        else:
            destination = _destination(rng, home)
            caller_id = _did(subscriber, index)
    if not destination:
        return None
    conference = call_type in (CallType.CONF_IN, CallType.CONF_OUT, CallType.USER_OUT_CONF)
    start = _start(rng, day)
    duration = _duration(rng, conference)
    # The times bracket the connected call (Duration Seconds is End Time - Start Time,
    # docs/file-formats.md): the ringing before it is answered delays the start.
    start += timedelta(seconds=rng.randint(0, 25))
    end = start + timedelta(seconds=duration)
    usage_id = str(uuid.uuid5(NAMESPACE, f"{tenant.slug}:{day.isoformat()}:{n}"))
    row = {
        "UsageId": usage_id,
        "Call ID": str(uuid.uuid5(NAMESPACE, f"call:{usage_id}")),
        "Conference ID": str(rng.randint(100000000, 999999999)) if conference else "",
        "User Location": who.usage_location if who else "",
        "AAD ObjectId": "",
        "UPN": who.upn if who else "",
        "User Display Name": who.display_name if who else "",
        "Caller ID": caller_id,
        "Call Type": call_type,
        "Number Type": "",
        "Domestic/International": "",
        "Destination Dialed": "",
        "Destination Number": destination,
        "Start Time": start.isoformat().replace("+00:00", "Z"),
        "End Time": end.isoformat().replace("+00:00", "Z"),
        "Duration Seconds": str(duration),
        "Connection Fee": "",
        "Charge": "",
        "Currency": "",
        "Capability": "",
    }
    if not _allowed(tenant, row, who, day, allow_paid):
        return None
    return row


def calls_simulate(
    *,
    tenant: SimulationTenant,
    day: date,
    calls: int,
    seed: str = "",
    allow_paid: bool = True,
) -> list[dict[str, str]]:
    """About ``calls`` call records (CSV column names) for ``day``: fewer on weekends, and
    without the calls the platform would refuse (see the module docstring)."""
    if not tenant.callers or calls <= 0:
        return []
    rng = random.Random(f"{seed}:{tenant.slug}:{day.isoformat()}")  # noqa: S311 - not security
    wanted = calls if day.weekday() < 5 else max(1, calls // 4)
    rows: list[dict[str, str]] = []
    for n in range(wanted):
        for attempt in range(_ATTEMPTS):
            row = _one_call(tenant, rng, day, n * _ATTEMPTS + attempt, allow_paid)
            if row is not None:
                rows.append(row)
                break
    rows.sort(key=lambda r: r["Start Time"])
    return rows


__all__ = ["SimulationTenant", "calls_simulate", "sample_numbers"]
