"""Spend controls and calling restrictions: the pure rules (no model, no query).

**Spend alert.** A day's spend (what the day's calls charged to Communications Credits, the
day in the organization's time zone) is *unusual* when it exceeds ``k`` times the daily
average of the 28 days before it (``k`` from 1.5 to 100, one decimal; 3 by default; no
alert without spend in those days), or the daily amount when one is set. The admins hear
of it once per day.

**Daily cap.** With "Stop paid calls when the daily cap is reached" on, a day's spend at or
above the daily amount refuses new paid calls (``daily_cap_reached``) until the next day
in the organization's time zone, or until an admin lifts the cap for the rest of the day.

**Calling restrictions.** A policy may block calls to premium-rate numbers
(``premium_blocked``) and international calls (``international_blocked``): all of them, or
those to a list of countries. Users named as exceptions may call anyway. Only outbound
calls are restricted (inbound calls are never refused); a call is international when the
number dialed is outside the caller's usage location (the rating rule). Authorization
refuses a restricted call; the usage import still rates a restricted call (it happened) and
flags it with the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from credits.common.money import amount_parse, decimal_places
from credits.exceptions import AmountNotReadable
from credits.usage.choices import INBOUND_CALL_TYPES, DestinationType, Reach

BASELINE_DAYS = 28
DEFAULT_MULTIPLIER = Decimal("3.0")
MIN_MULTIPLIER = Decimal("1.5")
MAX_MULTIPLIER = Decimal("100")
MULTIPLIER_DECIMALS = 1
MIN_DAILY_AMOUNT = Decimal("1")
MAX_DAILY_AMOUNT = Decimal("100000")
MAX_BLOCKED_COUNTRIES = 250


class ControlCode:
    """Stable codes of the refusals these rules add to call authorization, and of the
    flags on imported call records."""

    DAILY_CAP = "daily_cap_reached"
    PREMIUM = "premium_blocked"
    INTERNATIONAL = "international_blocked"


class InternationalPolicy:
    """What the restrictions do with international calls."""

    ALLOW = "allow"
    BLOCK_ALL = "block_all"
    BLOCK_COUNTRIES = "block_countries"

    VALUES = (ALLOW, BLOCK_ALL, BLOCK_COUNTRIES)


@dataclass(frozen=True)
class RestrictionPolicy:
    """A tenant's calling restrictions as rating sees them."""

    block_premium: bool = False
    international: str = InternationalPolicy.ALLOW
    countries: frozenset[str] = frozenset()
    exempt: frozenset[int] = frozenset()  # user ids allowed anyway

    @property
    def restricts(self) -> bool:
        return self.block_premium or self.international != InternationalPolicy.ALLOW


NO_RESTRICTIONS = RestrictionPolicy()


@dataclass(frozen=True)
class Restriction:
    code: str
    reason: str


def call_restriction(
    *,
    policy: RestrictionPolicy | None,
    call_type: str,
    reach: str,
    rated_country: str,
    rated_number_type: str,
    user_id: int | None,
) -> Restriction | None:
    """The restriction a call breaks (premium first), or None."""
    if policy is None or not policy.restricts or call_type in INBOUND_CALL_TYPES:
        return None
    if user_id is not None and user_id in policy.exempt:
        return None
    if policy.block_premium and rated_number_type == DestinationType.PREMIUM:
        return Restriction(
            ControlCode.PREMIUM,
            "Calls to premium-rate numbers are blocked by the organization's calling "
            "restrictions.",
        )
    if reach == Reach.INTERNATIONAL:
        if policy.international == InternationalPolicy.BLOCK_ALL:
            return Restriction(
                ControlCode.INTERNATIONAL,
                "International calls are blocked by the organization's calling restrictions.",
            )
        if (
            policy.international == InternationalPolicy.BLOCK_COUNTRIES
            and rated_country in policy.countries
        ):
            return Restriction(
                ControlCode.INTERNATIONAL,
                f"Calls to {rated_country} are blocked by the organization's calling "
                "restrictions.",
            )
    return None


@dataclass(frozen=True)
class SpendVerdict:
    """What a day's spend means: over the k-times average, over the daily amount, and the
    cap reached (refusing paid calls)."""

    over_average: bool
    over_amount: bool
    cap_reached: bool

    @property
    def unusual(self) -> bool:
        return self.over_average or self.over_amount


def spend_verdict(
    *,
    spend: Decimal,
    average: Decimal,
    multiplier: Decimal,
    daily_amount: Decimal | None,
    stop_at_cap: bool,
) -> SpendVerdict:
    """Judge a day's ``spend`` against the daily ``average`` of the days before it."""
    over_average = average > 0 and spend > multiplier * average
    over_amount = daily_amount is not None and spend > daily_amount
    cap_reached = stop_at_cap and daily_amount is not None and spend >= daily_amount
    return SpendVerdict(over_average, over_amount, cap_reached)


def zone_of(name: str) -> ZoneInfo:
    """The tenant's time zone; UTC when its name is unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day_of(moment: datetime, zone: ZoneInfo) -> date:
    """The day ``moment`` falls on in ``zone``."""
    return moment.astimezone(zone).date()


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first moment of ``day`` in ``zone`` and of the day after (exclusive), in UTC."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def baseline_days(day: date, zone: ZoneInfo) -> tuple[date, date]:
    """The 28 whole UTC days (first, last) before the UTC day ``day`` starts in: the
    per-day rollup's days the average is read from."""
    first_utc = day_bounds(day, zone)[0].date()
    return first_utc - timedelta(days=BASELINE_DAYS), first_utc - timedelta(days=1)


# ------------------------------------------------------------------------------ the checks


def multiplier_problem(value: object) -> str | None:
    """Why ``value`` is not a multiplier of the daily average (1.5 to 100, one decimal):
    a Decimal, or text typed in the active language's conventions; None if it is."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return _("Enter how many times the daily average, for example 3.")
    number = None
    if isinstance(value, str):
        try:
            number = amount_parse(value)
        except AmountNotReadable as error:
            return error.message
    elif isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
    if number is None or not number.is_finite():
        return _("Enter how many times the daily average, for example 3.")
    if decimal_places(number) > MULTIPLIER_DECIMALS:
        return _("Use at most one decimal place, for example 2.5.")
    if number < MIN_MULTIPLIER or number > MAX_MULTIPLIER:
        return _("Enter a number from %(minimum)s to %(maximum)s.") % {
            "minimum": MIN_MULTIPLIER, "maximum": MAX_MULTIPLIER,
        }
    return None


def multiplier_read(value: object) -> Decimal:
    """A checked multiplier as a Decimal with one decimal (check it first)."""
    number = amount_parse(value) if isinstance(value, str) else Decimal(value)
    return number.quantize(Decimal("0.1"))


def countries_problem(codes: object, *, known: frozenset[str]) -> str | None:
    """Why ``codes`` is not a list of countries or regions to block; None if it is."""
    if not isinstance(codes, list | tuple) or not all(isinstance(c, str) for c in codes):
        return _("Choose countries or regions from the list.")
    if not codes:
        return _("Choose at least one country or region to block.")
    if len(codes) > MAX_BLOCKED_COUNTRIES:
        return _("Choose at most %(n)d countries or regions.") % {"n": MAX_BLOCKED_COUNTRIES}
    unknown = sorted({c for c in codes if c not in known})
    if unknown:
        return _("Not a country or region code: %(codes)s.") % {"codes": ", ".join(unknown[:5])}
    return None
