"""Reports > PSTN usage: the search by caller finds the same calls on SQLite and
PostgreSQL (where it reads the callers' index instead of every call of the range), and
(PostgreSQL) the search and the sort by charge can use the indexes written for them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from credits.reports.selectors.pstn_usage import UsageSelection, calls_selected, usage_page_rows
from credits.usage.models.calls import CallRecord
from credits.usage.selectors import _CALLERS_MATCHING_SQL

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the indexes are PostgreSQL's"
)

DAY = date(2026, 3, 10)

# (UPN, display name) of each call: a renamed caller (two names, one UPN), a caller with
# no UPN, LIKE's wildcards in names, and different cases.
CALLERS = (
    ("megan@contoso.example", "Megan Bowen"),
    ("megan@contoso.example", "Megan Bowen-Smith"),
    ("adele@contoso.example", "Adele Vance"),
    ("ALEX@contoso.example", "Alex Wilber"),
    ("", "Main line"),
    ("sales@contoso.example", "Sales 50% off"),
    ("a_b@contoso.example", "Under_score"),
    ("ab@contoso.example", "Plain ab"),
)


def _calls(tenant, callers=CALLERS, *, days: int = 3, prefix: str = "c") -> None:
    rows = []
    for day in range(days):
        for n, (upn, name) in enumerate(callers):
            start = datetime(2026, 3, 10, 9, n, tzinfo=UTC) + timedelta(days=day - 1)
            rows.append(CallRecord(
                tenant=tenant, usage_id=f"{prefix}-{day}-{n}", upn=upn, user_display_name=name,
                call_type="user_out", destination_number="+14255550100", start_time=start,
                end_time=start + timedelta(seconds=60), duration_seconds=60, billed_minutes=1,
                charge=Decimal("0"), currency="USD", fingerprint=f"{prefix}-{day}-{n}",
                source="file",
            ))
    CallRecord.objects.bulk_create(rows)


def _found(tenant, search: str, *, first=DAY, last=DAY) -> list[str]:
    selection = UsageSelection(tenant=tenant, first=first, last=last, search=search)
    return sorted(calls_selected(selection).values_list("usage_id", flat=True))


def _expected(tenant, search: str, *, first=DAY, last=DAY) -> list[str]:
    """A case-insensitive substring of the call's UPN or user display name, that day."""
    needle = search.casefold()
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return sorted(
        call.usage_id
        for call in CallRecord.objects.filter(tenant=tenant, start_time__gte=start,
                                              start_time__lt=end)
        if needle in call.upn.casefold() or needle in call.user_display_name.casefold()
    )


@pytest.mark.parametrize(
    "search",
    ["megan", "MEGAN", "Bowen-Smith", "smith", "alex@", "contoso", "main", "50%", "0% o",
     "a_b", "_", "%", "ab", "vance", "nobody"],
)
def test_search_finds_the_same_calls_as_a_substring_match(tenant, other_tenant, search):
    _calls(tenant)
    _calls(other_tenant, prefix="other")  # the same callers elsewhere: never found

    found = _found(tenant, search)

    assert found == _expected(tenant, search)
    assert all(usage_id.startswith("c-1-") for usage_id in found)  # the selected day only


def test_a_renamed_caller_is_found_by_either_name_only_for_that_names_calls(tenant):
    _calls(tenant)
    assert _found(tenant, "Bowen-Smith") == ["c-1-1"]
    assert _found(tenant, "Megan Bowen") == ["c-1-0", "c-1-1"]


def test_a_search_over_several_days_finds_each_days_calls(tenant):
    _calls(tenant)
    found = _found(tenant, "adele", first=DAY - timedelta(days=1), last=DAY + timedelta(days=1))
    assert found == ["c-0-2", "c-1-2", "c-2-2"]


def test_a_tenant_without_calls_finds_nothing(tenant):
    assert _found(tenant, "megan") == []


# --- PostgreSQL: the indexes the queries are written for --------------------------------


def _plan(queryset, *, without_sort: bool = False) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask what it can use
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        if without_sort:
            # On a few rows sorting them is cheaper than any walk; ask for the ordered
            # path a large range gets (docs/benchmarks.md, "Console pages").
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
def test_the_search_reads_the_callers_index(tenant):
    """The matching callers are read once by a skip scan of the callers' index, then
    every read of their calls is that index's ranges (their UPNs, the range's start
    times)."""
    _calls(tenant)
    # A busy day of other callers, with statistics: the day's range of (tenant,
    # start_time) is then far wider than one caller's, as in a real tenant, and the plan
    # does not depend on how the planner ranks two indexes over a handful of rows.
    for batch in range(20):
        others = [(f"user{batch}-{n}@contoso.example", f"Colleague {batch}-{n}")
                  for n in range(55)]
        _calls(tenant, others, days=3, prefix=f"busy{batch}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE credits_callrecord")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(
            f"EXPLAIN {_CALLERS_MATCHING_SQL}", (tenant.pk, tenant.pk, "%MEGAN%", "%MEGAN%")
        )
        lookup = "\n".join(row[0] for row in cursor.fetchall())
    assert "credits_call_tenant_caller_idx" in lookup
    selection = UsageSelection(tenant=tenant, first=DAY, last=DAY, search="megan")
    with CaptureQueriesContext(connection) as queries:
        calls = calls_selected(selection)
    assert len(queries) == 1  # the callers, once
    plan = _plan(calls.order_by())
    assert "credits_call_tenant_caller_idx" in plan
    assert "megan@contoso.example" in plan


@pytest.mark.parametrize("listed", [0, 1])
def test_more_matching_callers_than_listed_look_them_up_in_each_read(
    tenant, monkeypatch, listed
):
    _calls(tenant)
    monkeypatch.setattr("credits.usage.selectors.CALLERS_LISTED", listed)
    for search in ("megan", "contoso", "a", "nobody"):
        assert _found(tenant, search) == _expected(tenant, search)


@postgresql_only
def test_the_sort_by_charge_walks_the_charge_index(tenant):
    _calls(tenant)
    selection = UsageSelection(tenant=tenant, first=DAY, last=DAY)
    plan = _plan(
        usage_page_rows(calls_selected(selection), sort="-charge")[:50], without_sort=True
    )
    assert "credits_call_tenant_charge_idx" in plan
