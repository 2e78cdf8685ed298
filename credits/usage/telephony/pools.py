"""Minute pools (docs/architecture.md, "Where each rule lives"): how big each pool is,
and which month a call belongs to.

- **Domestic Calling Plan** (``MCOPSTN1`` pool): 3,000 minutes per licensed user whose
  usage location is US, CA or PR, 1,200 elsewhere, pooled per country. Users with the
  Domestic and International plan hold the domestic minutes too.
- **Domestic and International Calling Plan** (``MCOPSTN2`` pool): 600 international
  minutes per licensed user, pooled per country.
- **Audio Conferencing** (``MCOMEETADD`` pool): 60 dial-out minutes per licensed user to
  Zone A countries, pooled for the whole tenant. Microsoft 365 E5 includes Audio
  Conferencing (and Phone System), so its users count too; a user is counted once.

Pools are sized from the *current* license assignments and reset on the 1st of each
calendar month (UTC); the minutes used are stored per tenant, month, country and pool.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings

from accounts.choices import ProductCode
from credits.usage.choices import Capability

DOMESTIC_MINUTES_NORTH_AMERICA = 3000
NORTH_AMERICA = frozenset({"US", "CA", "PR"})
DOMESTIC_MINUTES_ELSEWHERE = 1200
INTERNATIONAL_MINUTES = 600
CONFERENCING_MINUTES = 60
TENANT_WIDE = ""  # the country of the conferencing pool

CALLING_PLANS = frozenset(
    {ProductCode.DOMESTIC_CALLING_PLAN, ProductCode.DOMESTIC_INTERNATIONAL_CALLING_PLAN}
)

# Audio Conferencing dial-out destinations included in the pool ("Zone A"), defined
# here once. A non-empty CREDITS_ZONE_A_COUNTRIES setting replaces the list.
DEFAULT_ZONE_A_COUNTRIES = (
    "AU", "AT", "BE", "CA", "CH", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR",
    "HR", "HU", "IE", "IT", "JP", "LU", "NL", "NO", "NZ", "PL", "PR", "PT", "RO", "SE",
    "SG", "SI", "SK", "US",
)


def zone_a_countries() -> frozenset[str]:
    """The Zone A countries: the ``CREDITS_ZONE_A_COUNTRIES`` setting when it names any,
    otherwise ``DEFAULT_ZONE_A_COUNTRIES``."""
    return frozenset(
        getattr(settings, "CREDITS_ZONE_A_COUNTRIES", None) or DEFAULT_ZONE_A_COUNTRIES
    )


def domestic_minutes_per_user(country: str) -> int:
    if country in NORTH_AMERICA:
        return DOMESTIC_MINUTES_NORTH_AMERICA
    return DOMESTIC_MINUTES_ELSEWHERE


def effective_products(codes: Iterable[str], includes: dict[str, frozenset[str]]) -> frozenset[str]:
    """The product codes a user holds, with what their products include (E5 → Audio
    Conferencing and Phone System), one level deep as the catalog defines it."""
    held = set(codes)
    for code in list(held):
        held |= includes.get(code, frozenset())
    return frozenset(held)


def products_granting(code: str, includes: dict[str, frozenset[str]]) -> frozenset[str]:
    """Every product code that gives ``code``: itself and the products including it."""
    return frozenset({code, *(owner for owner, inner in includes.items() if code in inner)})


def pool_sizes(
    *,
    domestic_users: dict[str, int],
    international_users: dict[str, int],
    conferencing_users: int,
) -> dict[tuple[str, str], int]:
    """Pool sizes in minutes keyed by (country, capability), from licensed-user counts
    per usage location (domestic counts include the D&I plan's users)."""
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    for country, users in domestic_users.items():
        if users:
            sizes[(country, Capability.DOMESTIC)] += users * domestic_minutes_per_user(country)
    for country, users in international_users.items():
        if users:
            sizes[(country, Capability.INTERNATIONAL)] += users * INTERNATIONAL_MINUTES
    if conferencing_users:
        sizes[(TENANT_WIDE, Capability.CONFERENCING)] = conferencing_users * CONFERENCING_MINUTES
    return dict(sizes)
