"""Reads of Reports > PSTN usage: the selected calls, their totals, the chart series, one
page of rows and the export rows.

Each read is one query over the tenant's calls in a range of start times, which the index
(tenant, start_time) serves: the page costs the same number of queries however many calls
there are (the sums, one page), and the exports iterate in chunks rather than loading the
rows.

The totals, the daily series and the top destinations are sums, so unless the selection
names a user (a user filter or a search) or asks for the restricted calls, they are read
from the per-day rollup ``CallDaySummary`` (``usage_aggregated``), whose size follows the
days, not the calls. ``usage_summed`` reads the three at once: on PostgreSQL, from the
rollup or from the selected calls (a user, a search, the restricted calls), in one query
whose ``GROUPING SETS`` (day and what paid; the rated country, whose rows also add up to
the totals) scan the selected rows once; on SQLite, which has no grouping sets, by
``usage_totals``, ``usage_daily`` and ``usage_top_destinations``, one query each, the
last two skipped when nothing was called.
Both ways turn the rows into the same figures (``_daily_series``,
``_destinations_listed``), so calls and rollup, one query or three, give identical
results.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from accounts.countries import country_code_of, country_name
from accounts.models import Tenant
from credits.common.dates import UTCDate
from credits.common.money import ZERO, sum_quantize
from credits.reports.choices import DEFAULT_SORT, PAID_FREE, SORTS
from credits.usage.choices import CallType, Capability, Reach
from credits.usage.models.calls import CallDaySummary, CallRecord
from credits.usage.selectors import calls_searched
from credits.usage.telephony.controls import ControlCode
from credits.usage.telephony.masking import call_numbers_masked

TOP_DESTINATIONS = 10
EXPORT_CHUNK_SIZE = 2000

# What paid, in the order the charts stack it; "" is a free call (no capability).
PAID_BY_ORDER: tuple[tuple[str, str], ...] = (
    (Capability.CREDITS.value, Capability.CREDITS.label),
    (Capability.DOMESTIC.value, Capability.DOMESTIC.label),
    (Capability.INTERNATIONAL.value, Capability.INTERNATIONAL.label),
    (Capability.CONFERENCING.value, Capability.CONFERENCING.label),
    ("", _("Free")),
)

# The same, in the few words a table cell has room for.
PAID_BY_SHORT: dict[str, str] = {
    Capability.CREDITS.value: _("Credits"),
    Capability.DOMESTIC.value: _("Domestic pool"),
    Capability.INTERNATIONAL.value: _("International pool"),
    Capability.CONFERENCING.value: _("Conferencing pool"),
    "": _("Free"),
}

# The calling restriction a call broke, as the table's badge says it.
RESTRICTION_LABELS: dict[str, str] = {
    ControlCode.PREMIUM: _("Premium-rate number blocked"),
    ControlCode.INTERNATIONAL: _("International call blocked"),
}

PAGE_FIELDS = (
    "id", "usage_id", "start_time", "user_id", "upn", "user_display_name", "call_type",
    "caller_id", "destination_number", "destination_dialed", "rated_country", "reach",
    "duration_seconds", "billed_minutes", "charge", "currency", "capability", "restriction",
)

# The call-record header (docs/file-formats.md) and the field each column comes from.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("UsageId", "usage_id"),
    ("Call ID", "call_id"),
    ("Conference ID", "conference_id"),
    ("User Location", "user_location"),
    ("AAD ObjectId", "aad_object_id"),
    ("UPN", "upn"),
    ("User Display Name", "user_display_name"),
    ("Caller ID", "caller_id"),
    ("Call Type", "call_type"),
    ("Number Type", "number_type"),
    ("Domestic/International", "reach"),
    ("Destination Dialed", "destination_dialed"),
    ("Destination Number", "destination_number"),
    ("Start Time", "start_time"),
    ("End Time", "end_time"),
    ("Duration Seconds", "duration_seconds"),
    ("Connection Fee", "connection_fee"),
    ("Charge", "charge"),
    ("Currency", "currency"),
    ("Capability", "capability"),
)
EXPORT_HEADER = tuple(name for name, _column in EXPORT_COLUMNS)


@dataclass(frozen=True)
class UsageSelection:
    """Which calls the report shows: a tenant, whole UTC days, and the filters."""

    tenant: Tenant
    first: date
    last: date
    search: str = ""
    user_id: int | None = None
    call_type: str = ""
    paid_by: str = ""  # a Capability value, PAID_FREE, or "" for anything
    restricted: bool = False  # only the calls flagged by the calling restrictions

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight UTC after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class UsageTotals:
    calls: int
    minutes: int
    amount: Decimal


def _type_and_payer_filtered(rows: QuerySet, selection: UsageSelection) -> QuerySet:
    """The call type and paid-by filters, which calls and summaries share by column."""
    if selection.call_type:
        rows = rows.filter(call_type=selection.call_type)
    if selection.paid_by == PAID_FREE:
        rows = rows.filter(capability="")
    elif selection.paid_by:
        rows = rows.filter(capability=selection.paid_by)
    return rows.order_by()


def calls_selected(selection: UsageSelection) -> QuerySet[CallRecord]:
    """The tenant's calls that started in the selected days and pass the filters."""
    calls = CallRecord.objects.for_tenant(selection.tenant).between(
        selection.start, selection.end
    )
    if selection.user_id is not None:
        calls = calls.filter(user_id=selection.user_id)
    if selection.search:
        calls = calls_searched(calls, tenant=selection.tenant, search=selection.search)
    if selection.restricted:
        calls = calls.exclude(restriction="")
    return _type_and_payer_filtered(calls, selection)


def summaries_selected(selection: UsageSelection) -> QuerySet[CallDaySummary]:
    """The per-day summaries of the selected days that pass the call type and paid-by
    filters (``calls_selected``'s, mapped to the summaries' columns). Their sums are those
    of the calls, as long as the selection has no user filter and no search."""
    if selection.user_id is not None or selection.search or selection.restricted:
        raise ValueError("The per-day summaries cannot filter by user or restriction.")
    summaries = CallDaySummary.objects.for_tenant(selection.tenant).between_days(
        selection.first, selection.last
    )
    return _type_and_payer_filtered(summaries, selection)


def usage_aggregated(
    selection: UsageSelection, *, calls: QuerySet[CallRecord] | None = None
) -> QuerySet[CallRecord] | QuerySet[CallDaySummary]:
    """What the totals, daily series and top destinations sum: the per-day summaries
    when the selection allows it, else the selected calls (restricted calls only: the
    partial index of flagged calls serves them). ``calls``: the selection's calls when
    the caller has them already (``calls_selected``; a search reads its callers once)."""
    if selection.user_id is None and not selection.search and not selection.restricted:
        return summaries_selected(selection)
    return calls if calls is not None else calls_selected(selection)


def _calls_counted(rows: QuerySet) -> Sum | Count:
    """The number of calls of calls (a row each) or of summaries (their ``calls``)."""
    return Sum("calls") if rows.model is CallDaySummary else Count("*")


# The rows the sums become figures from, as the database answers them (a SUM of no rows
# is None; SQLite sums decimals as floats):
# (day, capability, pool capability, billed minutes, pool minutes, charge)
DailyRow = tuple[date, str, str, int | None, int | None, object]
# (rated country, calls, billed minutes, charge)
DestinationRow = tuple[str, int | None, int | None, object]


def _totals_of(calls: int | None, minutes: int | None, amount: object) -> UsageTotals:
    return UsageTotals(calls=calls or 0, minutes=minutes or 0, amount=sum_quantize(amount))


def usage_totals(calls: QuerySet[CallRecord] | QuerySet[CallDaySummary]) -> UsageTotals:
    """Calls, billed minutes and amount charged of the selection, in one query."""
    row = calls.aggregate(
        calls=_calls_counted(calls), minutes=Sum("billed_minutes"), amount=Sum("charge")
    )
    return _totals_of(row["calls"], row["minutes"], row["amount"])


def _daily_series(rows: Iterable[DailyRow], *, days: list[date]) -> dict[str, object]:
    """The daily chart's series from sums per day, what paid and the pool drawn.

    A call partly covered by a pool counts its pool minutes to the pool and the rest to
    what paid for it (credits); a call nothing paid for counts as free. Days outside
    ``days`` are left out.
    """
    index = {day: n for n, day in enumerate(days)}
    minutes = {key: [0] * len(days) for key, _text in PAID_BY_ORDER}
    amount = {key: [ZERO] * len(days) for key, _text in PAID_BY_ORDER}
    for day, capability, pool_capability, billed, pool, charged in rows:
        position = index.get(day)
        if position is None:
            continue
        paid = capability if capability in minutes else ""
        pool = pool or 0
        minutes[paid][position] += (billed or 0) - pool
        if pool:
            pool_key = pool_capability if pool_capability in minutes else paid
            minutes[pool_key][position] += pool
        amount[paid][position] += sum_quantize(charged)

    def series(values: dict[str, list]) -> list[dict[str, object]]:
        return [
            {"key": key or PAID_FREE, "label": str(label),
             "values": [str(value) if isinstance(value, Decimal) else value
                        for value in values[key]]}
            for key, label in PAID_BY_ORDER
            if any(values[key])
        ]

    return {
        "labels": [day.isoformat() for day in days],
        "minutes": series(minutes),
        "amount": series(amount),
    }


def usage_daily(
    calls: QuerySet[CallRecord] | QuerySet[CallDaySummary], *, days: list[date]
) -> dict[str, object]:
    """Minutes and amount per UTC day, split by what paid (``_daily_series``), in one
    GROUP BY query."""
    if calls.model is not CallDaySummary:  # the summaries have their day already
        calls = calls.annotate(day=UTCDate("start_time"))
    rows = (
        calls.values_list("day", "capability", "pool_capability")
        .annotate(billed=Sum("billed_minutes"), pool=Sum("pool_minutes"), charged=Sum("charge"))
        .order_by()
    )
    return _daily_series(rows, days=days)


def _destinations_listed(rows: Iterable[DestinationRow]) -> list[dict[str, object]]:
    """The top destinations' rows, in the order given; "" is the calls with no rated
    country."""
    return [
        {
            "country": country,
            "name": country_name(country) if country else "",
            "calls": calls,
            "minutes": minutes or 0,
            "amount": sum_quantize(amount),
        }
        for country, calls, minutes, amount in rows
    ]


def usage_top_destinations(
    calls: QuerySet[CallRecord] | QuerySet[CallDaySummary], *, limit: int = TOP_DESTINATIONS
) -> list[dict[str, object]]:
    """The countries called the most by amount charged (then minutes), in one query."""
    rows = (
        calls.values_list("rated_country")
        .annotate(
            count=_calls_counted(calls), minutes=Sum("billed_minutes"), amount=Sum("charge")
        )
        .order_by("-amount", "-minutes", "rated_country")[:limit]
    )
    return _destinations_listed(rows)


class UsageSums(NamedTuple):
    totals: UsageTotals
    daily: dict[str, object]
    destinations: list[dict[str, object]]


def _grouping_sets_available(rows: QuerySet) -> bool:
    """Whether ``usage_summed`` may read ``rows`` in one query: on a database with
    ``GROUPING SETS`` (PostgreSQL; SQLite has none)."""
    return connections[rows.db].vendor == "postgresql"


# GROUPING(day, rated_country) of each grouping set: a bit set for each column left out.
_BY_DAY, _BY_COUNTRY = 0b01, 0b10


def _rows_grouped(rows: QuerySet[CallRecord] | QuerySet[CallDaySummary]) -> list[tuple]:
    """The selected summaries or calls summed by day and what paid, and by rated
    country, in one query: each row is ``(grouping, day, capability, pool_capability,
    rated_country, calls, billed_minutes, pool_minutes, charge)``, ``grouping`` telling
    the sets apart (the columns a set leaves out are NULL, never ``''``). The totals are
    the sums of the countries' rows: a third, empty grouping set would add its sums to
    every row read. A call counts one and has its UTC day (``usage_daily``'s)."""
    columns = ("day", "capability", "pool_capability", "rated_country",
               "billed_minutes", "pool_minutes", "charge")
    if rows.model is CallDaySummary:
        selected = rows.values(*columns, "calls").order_by()
    else:
        selected = rows.annotate(day=UTCDate("start_time")).values(*columns).order_by()
    try:
        inner, params = selected.query.get_compiler(using=selected.db).as_sql()
    except EmptyResultSet:  # a search no caller matches (``calls_searched``'s none())
        return []
    connection = connections[selected.db]
    day, capability, pool, country, billed, pooled, charge = (
        connection.ops.quote_name(column) for column in columns
    )
    counted = (
        f"SUM({connection.ops.quote_name('calls')})" if rows.model is CallDaySummary
        else "COUNT(*)"
    )
    # Quoted column names and the ORM's own SQL, whose values stay parameters.
    sql = (
        f"SELECT GROUPING({day}, {country}), {day}, {capability}, {pool}, {country}, "  # noqa: S608
        f"{counted}, SUM({billed}), SUM({pooled}), SUM({charge}) "
        f"FROM ({inner}) AS selected "
        f"GROUP BY GROUPING SETS (({day}, {capability}, {pool}), ({country}))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _destinations_ranked(rows: list[DestinationRow], *, limit: int) -> list[DestinationRow]:
    """``usage_top_destinations``'s order: amount, then minutes, both descending, then the
    country; the first ``limit``."""
    return sorted(rows, key=lambda row: (-(row[3] or 0), -(row[2] or 0), row[0]))[:limit]


def usage_summed(
    aggregated: QuerySet[CallRecord] | QuerySet[CallDaySummary], *, days: list[date],
    limit: int = TOP_DESTINATIONS,
) -> UsageSums:
    """The totals, daily series and top destinations of ``aggregated``
    (``usage_aggregated``), as ``usage_totals``, ``usage_daily`` and
    ``usage_top_destinations`` give them: in one query on PostgreSQL, else in those
    three (one when nothing was called)."""
    if not _grouping_sets_available(aggregated):
        totals = usage_totals(aggregated)
        if not totals.calls:
            return UsageSums(totals, _daily_series((), days=days), [])
        return UsageSums(
            totals, usage_daily(aggregated, days=days),
            usage_top_destinations(aggregated, limit=limit),
        )
    by_day: list[DailyRow] = []
    by_country: list[DestinationRow] = []
    for grouping, day, capability, pool, country, calls, billed, pooled, charge in (
        _rows_grouped(aggregated)
    ):
        if grouping == _BY_DAY:
            by_day.append((day, capability, pool, billed, pooled, charge))
        elif grouping == _BY_COUNTRY:
            by_country.append((country, calls, billed, charge))
    # Every summary and call has a country ("" for none): theirs add up to the totals,
    # exactly (integers, and decimals as PostgreSQL returns them).
    totals = _totals_of(
        sum(row[1] for row in by_country), sum(row[2] for row in by_country),
        sum((row[3] for row in by_country), ZERO),
    )
    return UsageSums(
        totals, _daily_series(by_day, days=days),
        _destinations_listed(_destinations_ranked(by_country, limit=limit)),
    )


def usage_page_rows(calls: QuerySet[CallRecord], *, sort: str = DEFAULT_SORT) -> QuerySet:
    """The rows of the table as dicts, sorted; slice it for a page (LIMIT/OFFSET)."""
    return calls.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])).values(*PAGE_FIELDS)


def duration_text(seconds: int) -> str:
    """``4:05`` or ``1:02:03``."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def rows_masked(rows) -> list[dict[str, object]]:
    """Page rows for the screen: the external number of each call masked, labels added."""
    call_types = dict(CallType.choices)
    reaches = dict(Reach.choices)
    paid_by = dict(PAID_BY_ORDER)
    shown = []
    for row in rows:
        caller, destination = call_numbers_masked(
            call_type=row["call_type"], caller_id=row["caller_id"],
            destination_number=row["destination_number"],
        )
        shown.append({
            **row,
            "caller_shown": caller,
            "destination_shown": destination,
            "duration_shown": duration_text(row["duration_seconds"]),
            "call_type_label": call_types.get(row["call_type"], row["call_type"]),
            # The report's English values, in the admin's language on screen (the exports
            # keep them as the report has them).
            "destination_label": (
                country_name(country_code_of(row["destination_dialed"]))
                or row["destination_dialed"]
            ),
            "reach_label": reaches.get(row["reach"], row["reach"]),
            "paid_by_label": paid_by.get(row["capability"], row["capability"]),
            "paid_by_short": PAID_BY_SHORT.get(row["capability"], row["capability"]),
            "restriction_label": RESTRICTION_LABELS.get(
                row.get("restriction", ""), row.get("restriction", "")
            ),
        })
    return shown


def usage_export_rows(
    calls: QuerySet[CallRecord], *, sort: str = DEFAULT_SORT
) -> Iterator[tuple]:
    """Every selected call in ``EXPORT_HEADER`` order, unmasked, read in chunks.

    AAD ObjectId is the record's own when it came with one, else the object ID of the
    directory user the call belongs to (``User.object_id``), so an export re-imports with
    the same facts."""
    rows = (
        calls.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))
        .values_list(*(column for _name, column in EXPORT_COLUMNS), "user__object_id")
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    return (_with_object_id(row) for row in rows)


_OBJECT_ID = EXPORT_HEADER.index("AAD ObjectId")


def _with_object_id(row: tuple) -> tuple:
    *values, user_object_id = row
    if not values[_OBJECT_ID] and user_object_id is not None:
        values[_OBJECT_ID] = str(user_object_id)
    return tuple(values)
