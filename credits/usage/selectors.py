"""Reads for rating, authorization, the Rates page and Graph's getPstnCalls: batched,
never one query per call.

``rating_context_load`` reads what rating a set of calls needs in a fixed number of
queries (subscribers and their licenses, toll-free numbers, rates, pool sizes);
``pool_used_load`` reads the minutes already used from the pools the calls touch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL

from accounts.batching import in_batches
from accounts.countries import country_name
from accounts.models import LicenseAssignment, Product, Tenant, User
from credits.common.money import sum_quantize
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.selectors import credit_account_for_tenant
from credits.usage.choices import NumberType
from credits.usage.models.calls import CallDaySummary, CallRecord, MinutePool, TollFreeNumber
from credits.usage.models.controls import CallingRestrictions, SpendControls
from credits.usage.models.rates import Rate
from credits.usage.telephony.controls import (
    BASELINE_DAYS,
    RestrictionPolicy,
    baseline_days,
    day_bounds,
    zone_of,
)
from credits.usage.telephony.pools import (
    CALLING_PLANS,
    effective_products,
    pool_sizes,
    products_granting,
    zone_a_countries,
)
from credits.usage.telephony.rating import RateTable, RatingContext, Subscriber
from credits.usage.telephony.simulator import SimulationTenant

# The rate tables and the products' inclusions read inside a ``rating_reference_kept()``
# block: each is read once there instead of once per import.
_REFERENCE: ContextVar[dict | None] = ContextVar("rating_reference", default=None)


@contextmanager
def rating_reference_kept() -> Iterator[None]:
    """Within the block, each currency's rate table and the products' inclusions are read
    once and reused by every ``rating_context_load``, for a caller that imports many
    small batches one after the other (the demo's history, a day at a time). A rate
    import (``rates_import``) forgets them, so a call is never rated with rates older
    than the table's."""
    token = _REFERENCE.set({})
    try:
        yield
    finally:
        _REFERENCE.reset(token)


def rating_reference_forget() -> None:
    """The rates changed: a ``rating_reference_kept()`` block reads them again."""
    kept = _REFERENCE.get()
    if kept is not None:
        kept.clear()


def _kept(key: tuple, read: Callable[[], object]):
    kept = _REFERENCE.get()
    if kept is None:
        return read()
    if key not in kept:
        kept[key] = read()
    return kept[key]


def product_includes() -> dict[str, frozenset[str]]:
    """Product code -> the codes it includes (E5 -> Audio Conferencing, Phone System)."""
    return _kept(("includes",), _includes_read)


def _includes_read() -> dict[str, frozenset[str]]:
    through = Product.includes.through
    includes: dict[str, set[str]] = {}
    for outer, inner in through.objects.values_list("from_product__code", "to_product__code"):
        includes.setdefault(outer, set()).add(inner)
    return {code: frozenset(inner) for code, inner in includes.items()}


def subscribers_by_upn(
    *, tenant: Tenant, upns: Iterable[str], includes: dict[str, frozenset[str]]
) -> dict[str, Subscriber]:
    """The tenant's users with these UPNs (lower case) and their effective products."""
    wanted = sorted({upn for upn in upns if upn})
    users: dict[int, tuple[str, str, str]] = {}
    for batch in in_batches(wanted):
        users.update(
            (pk, (username, display_name, location))
            for pk, username, display_name, location in User.objects.filter(
                tenant=tenant, username__in=batch
            ).values_list("pk", "username", "display_name", "usage_location")
        )
    held: dict[int, set[str]] = {pk: set() for pk in users}
    ids = sorted(users)
    for batch in in_batches(ids):
        for user_id, code in LicenseAssignment.objects.filter(
            user_id__in=batch
        ).values_list("user_id", "product__code"):
            held[user_id].add(code)
    return {
        username: Subscriber(
            pk=pk, upn=username, display_name=display_name, usage_location=location,
            products=effective_products(held[pk], includes),
        )
        for pk, (username, display_name, location) in users.items()
    }


def pool_sizes_for(
    *, tenant: Tenant, includes: dict[str, frozenset[str]]
) -> dict[tuple[str, str], int]:
    """The tenant's pool sizes from its current license assignments, in one query."""
    domestic = set().union(*(products_granting(code, includes) for code in CALLING_PLANS))
    international = products_granting(Product.DOMESTIC_INTERNATIONAL_CALLING_PLAN, includes)
    conferencing = products_granting(Product.AUDIO_CONFERENCING, includes)
    rows = (
        LicenseAssignment.objects.filter(user__tenant=tenant)
        .values("user__usage_location")
        .annotate(
            domestic=Count("user", distinct=True, filter=Q(product__code__in=domestic)),
            international=Count("user", distinct=True, filter=Q(product__code__in=international)),
            conferencing=Count("user", distinct=True, filter=Q(product__code__in=conferencing)),
        )
        .order_by()
    )
    domestic_users: dict[str, int] = {}
    international_users: dict[str, int] = {}
    conferencing_users = 0
    for row in rows:
        country = row["user__usage_location"] or tenant.country
        domestic_users[country] = domestic_users.get(country, 0) + row["domestic"]
        international_users[country] = international_users.get(country, 0) + row["international"]
        conferencing_users += row["conferencing"]
    return pool_sizes(
        domestic_users=domestic_users,
        international_users=international_users,
        conferencing_users=conferencing_users,
    )


def rate_table(*, currency: str) -> RateTable:
    return _kept(
        ("rates", currency),
        lambda: RateTable(
            Rate.objects.in_currency(currency).values_list(
                "pk", "country", "number_type", "effective_from", "per_minute", "connection_fee"
            )
        ),
    )


def toll_free_numbers(*, tenant: Tenant) -> dict[str, str]:
    return dict(TollFreeNumber.objects.for_tenant(tenant).values_list("number", "country"))


def rating_context_load(
    *, tenant: Tenant, upns: Iterable[str], account: CreditAccount | None
) -> RatingContext:
    """Everything rating needs for calls by these users, in a fixed number of queries."""
    includes = product_includes()
    return RatingContext(
        tenant_country=tenant.country,
        currency=tenant.currency,
        credits_enabled=account is not None and not account.is_closed,
        subscribers=subscribers_by_upn(tenant=tenant, upns=upns, includes=includes),
        toll_free=toll_free_numbers(tenant=tenant),
        rates=rate_table(currency=tenant.currency),
        pool_sizes=pool_sizes_for(tenant=tenant, includes=includes),
        zone_a=zone_a_countries(),
        restrictions=restriction_policy_load(tenant=tenant),
    )


def pool_used_load(
    *, tenant: Tenant, months: Iterable[date]
) -> dict[tuple[date, str, str], int]:
    """Minutes used per (month, country, capability) for the given months."""
    return {
        (month, country, capability): used
        for month, country, capability, used in MinutePool.objects.filter(
            tenant=tenant, month__in=sorted(set(months))
        ).values_list("month", "country", "capability", "minutes_used")
    }


CALLING_PRODUCTS = frozenset(
    {
        Product.PHONE_SYSTEM, Product.DOMESTIC_CALLING_PLAN,
        Product.DOMESTIC_INTERNATIONAL_CALLING_PLAN, Product.AUDIO_CONFERENCING,
        Product.COMMUNICATIONS_CREDITS,
    }
)


def simulation_tenant(*, tenant: Tenant) -> SimulationTenant:
    """The tenant as the traffic simulator sees it: its enabled users who can make or
    take phone calls (a calling product, directly or through E5), its toll-free
    numbers, and the rating context that says which calls would be allowed."""
    upns = User.objects.filter(tenant=tenant, is_active=True).exclude(usage_location="")
    upns = list(upns.values_list("username", flat=True))
    context = rating_context_load(
        tenant=tenant, upns=upns, account=credit_account_for_tenant(tenant)
    )
    callers = tuple(
        sorted(
            (
                subscriber for subscriber in context.subscribers.values()
                if not CALLING_PRODUCTS.isdisjoint(subscriber.products)
            ),
            key=lambda subscriber: subscriber.upn,
        )
    )
    return SimulationTenant(
        slug=tenant.slug, country=tenant.country, callers=callers,
        toll_free=tuple(sorted(context.toll_free)), context=context,
    )


# ------------------------------------------------------------------------ Rates page


@dataclass(frozen=True)
class RatePrice:
    per_minute: Decimal
    connection_fee: Decimal
    effective_from: date


@dataclass(frozen=True)
class CountryRates:
    country: str
    name: str
    prices: dict[str, RatePrice]  # number type -> price in effect

    def price(self, number_type: str) -> RatePrice | None:
        return self.prices.get(number_type)

    @property
    def cells(self) -> list[RatePrice | None]:
        """The price of each number type, in ``NumberType`` order (the table's columns)."""
        return [self.prices.get(number_type) for number_type in NumberType.values]

    @property
    def fixed(self) -> RatePrice | None:
        return self.prices.get(NumberType.FIXED)

    @property
    def mobile(self) -> RatePrice | None:
        return self.prices.get(NumberType.MOBILE)

    @property
    def toll_free_inbound(self) -> RatePrice | None:
        return self.prices.get(NumberType.TOLL_FREE_INBOUND)

    @property
    def premium(self) -> RatePrice | None:
        return self.prices.get(NumberType.PREMIUM)


def rates_in_effect(*, currency: str, day: date, search: str = "") -> list[CountryRates]:
    """One row per country: the rate of each number type in effect on ``day``, in
    ``currency``, sorted by country name; ``search`` matches the name or the code."""
    latest: dict[tuple[str, str], RatePrice] = {}
    rows = (
        Rate.objects.in_currency(currency)
        .effective_on(day)
        .order_by("country", "number_type", "effective_from")
        .values_list("country", "number_type", "per_minute", "connection_fee", "effective_from")
    )
    for country, number_type, per_minute, fee, effective_from in rows:
        latest[(country, number_type)] = RatePrice(per_minute, fee, effective_from)
    by_country: dict[str, dict[str, RatePrice]] = {}
    for (country, number_type), price in latest.items():
        by_country.setdefault(country, {})[number_type] = price
    needle = search.strip().casefold()
    result = []
    for country, prices in by_country.items():
        name = country_name(country)
        if needle and needle not in name.casefold() and needle != country.casefold():
            continue
        result.append(CountryRates(country=country, name=name, prices=prices))
    result.sort(key=lambda row: row.name.casefold())
    return result


# ------------------------------------------------------------- searching calls by caller

# The tenant's distinct (UPN, display name) pairs of its calls, read as a "skip scan" of
# the (tenant, upn, user_display_name, start_time) index: one index descent per pair, so
# the cost follows the callers, not the calls. Then the pairs whose UPN or name contains
# the search (what ``icontains`` matches), as UPNs.
_CALLERS_MATCHING_SQL = """
WITH RECURSIVE callers (upn, name) AS (
    (SELECT upn, user_display_name FROM credits_callrecord
     WHERE tenant_id = %s ORDER BY upn, user_display_name LIMIT 1)
    UNION ALL
    SELECT later.upn, later.name FROM callers CROSS JOIN LATERAL (
        SELECT upn, user_display_name AS name FROM credits_callrecord
        WHERE tenant_id = %s AND (upn, user_display_name) > (callers.upn, callers.name)
        ORDER BY upn, user_display_name LIMIT 1
    ) AS later
)
SELECT DISTINCT upn FROM callers
WHERE UPPER(upn::text) LIKE UPPER(%s) OR UPPER(name::text) LIKE UPPER(%s)
"""


# More matching callers than this are looked up by the subquery in each read instead.
CALLERS_LISTED = 1000


def calls_searched(calls: QuerySet[CallRecord], *, tenant: Tenant, search: str) -> QuerySet:
    """``calls`` whose UPN or user display name contains ``search`` (case-insensitive).

    On PostgreSQL the calls are also narrowed to the UPNs of the tenant's callers that
    match (``_CALLERS_MATCHING_SQL``), so the (tenant, upn, ..., start_time) index reads
    only the matching callers' calls instead of every call of the range; the result is
    the same (every matching call has its UPN among them). The callers are read once,
    here (one query), and the UPNs given to the queryset as a list, so that each read of
    it (the totals, the chart, the top destinations, the page) is only the index ranges
    of those callers; with more than ``CALLERS_LISTED`` of them each read looks them up
    itself. SQLite keeps the plain scan.
    """
    calls = calls.filter(Q(upn__icontains=search) | Q(user_display_name__icontains=search))
    if connection.vendor != "postgresql":
        return calls
    pattern = f"%{connection.ops.prep_for_like_query(search)}%"
    params = (tenant.pk, tenant.pk, pattern, pattern)
    with connection.cursor() as cursor:
        cursor.execute(f"{_CALLERS_MATCHING_SQL} LIMIT {CALLERS_LISTED + 1}", params)
        upns = [row[0] for row in cursor.fetchall()]
    if not upns:
        return calls.none()
    if len(upns) <= CALLERS_LISTED:
        return calls.filter(upn__in=upns)
    # Fixed SQL; the tenant and the pattern are bound parameters.
    return calls.filter(upn__in=RawSQL(_CALLERS_MATCHING_SQL, params))  # noqa: S611


# What a pstnCallLogRow needs of a call (credits.usage.telephony.graph.graph_row).
PSTN_CALL_FIELDS = (
    "id", "usage_id", "call_id", "conference_id", "aad_object_id", "upn", "user_display_name",
    "start_time", "end_time", "duration_seconds", "charge", "connection_fee", "call_type",
    "currency", "destination_number", "caller_id", "user_location", "reach",
    "destination_dialed", "capability", "number_type",
)


def pstn_calls_page(
    *,
    tenant: Tenant,
    start: datetime,
    end: datetime,
    after: tuple[datetime, int] | None,
    size: int,
) -> list[dict[str, object]]:
    """Up to ``size + 1`` of ``tenant``'s calls that started from ``start`` to ``end`` (both
    included), in (start time, id) order, after the call ``after`` names: a keyset page
    (one query served by the (tenant, start_time) index, never an OFFSET, so every page
    costs the same however deep). The extra row says whether another page follows.
    ``user_object_id`` is the directory user's object ID."""
    calls = CallRecord.objects.for_tenant(tenant).filter(
        start_time__gte=start, start_time__lte=end
    )
    if after is not None:
        moment, pk = after
        calls = calls.filter(Q(start_time__gt=moment) | Q(start_time=moment, id__gt=pk))
    return list(
        calls.order_by("start_time", "id")
        .values(*PSTN_CALL_FIELDS, user_object_id=F("user__object_id"))[: size + 1]
    )


# ------------------------------------------------------------ spend controls, restrictions


def restriction_policy_load(*, tenant: Tenant) -> RestrictionPolicy | None:
    """The tenant's calling restrictions (None when it has none): one query, and one more
    for the users allowed anyway when something is restricted."""
    row = CallingRestrictions.objects.filter(tenant=tenant).first()
    if row is None:
        return None
    policy = row.policy(frozenset())
    if not policy.restricts:
        return None
    exempt = CallingRestrictions.exempt_users.through.objects.filter(
        callingrestrictions_id=row.pk
    ).values_list("user_id", flat=True)
    return row.policy(frozenset(exempt))


def calling_restrictions_of(*, tenant: Tenant) -> CallingRestrictions | None:
    return CallingRestrictions.objects.filter(tenant=tenant).first()


def spend_controls_of(*, tenant: Tenant) -> SpendControls | None:
    return SpendControls.objects.filter(tenant=tenant).first()


def day_spend(*, tenant: Tenant, day: date) -> Decimal:
    """What the calls that started on ``day`` (in the tenant's time zone) charged to
    credits: one sum the (tenant, start_time, ..., charge) index answers alone."""
    start, end = day_bounds(day, zone_of(tenant.time_zone))
    total = (
        CallRecord.objects.for_tenant(tenant).between(start, end).order_by()
        .aggregate(total=Sum("charge"))["total"]
    )
    return sum_quantize(total)


def daily_average_before(*, tenant: Tenant, day: date) -> Decimal:
    """The average daily spend of the 28 days before ``day``, from the per-day rollup
    (whole UTC days: 28 rows per kind of call at most, however many calls)."""
    first, last = baseline_days(day, zone_of(tenant.time_zone))
    total = (
        CallDaySummary.objects.for_tenant(tenant).between_days(first, last).order_by()
        .aggregate(total=Sum("charge"))["total"]
    )
    return (sum_quantize(total) / BASELINE_DAYS).quantize(Decimal("0.0001"))
