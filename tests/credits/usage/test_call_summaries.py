"""The per-day rollup of call records (``CallDaySummary``): the usage import keeps it in
step with the calls (chunks, duplicates, rollback), ``call_summaries_rebuild`` and the
migration's backfill sum it from the calls, and the report's sums read from it equal the
sums of the calls for every selection that can use it."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits.models import CallDaySummary, CallRecord, CallType, MinutePool
from credits.reports.choices import PAID_BY_CHOICES
from credits.reports.selectors.pstn_usage import (
    UsageSelection,
    calls_selected,
    summaries_selected,
    usage_aggregated,
    usage_daily,
    usage_top_destinations,
    usage_totals,
)
from credits.usage.selectors import pool_sizes_for, product_includes
from credits.usage.services import imports as usage
from credits.usage.services.summaries import (
    call_summaries_add,
    call_summaries_add_rows,
    call_summaries_rebuild,
)
from tests.credits.calls import (
    CONFERENCING,
    CREDITS,
    DE_FIXED,
    DE_MOBILE,
    DOMESTIC,
    E5,
    GB_FIXED,
    GB_MOBILE,
    IN_FIXED,
    INTERNATIONAL,
    JP_FIXED,
    US_FIXED,
    US_FIXED_2,
    US_TOLL_FREE,
    csv_text,
    import_rows,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
    toll_free_number,
)
from tests.credits.factories import fund
from tests.hypothesis_budget import examples

backfill_migration = importlib.import_module("credits.migrations.0006_call_day_summary")

TODAY = date(2026, 3, 10)
FIRST = TODAY - timedelta(days=40)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def summaries(tenant) -> set[tuple]:
    """Every summary of ``tenant`` as a comparable tuple (no ids)."""
    return set(
        CallDaySummary.objects.filter(tenant=tenant).values_list(
            "day", "call_type", "capability", "pool_capability", "rated_country", "calls",
            "billed_minutes", "pool_minutes", "charge",
        )
    )


def rebuilt(tenant) -> set[tuple]:
    """What the summaries should be: summed again from the calls."""
    call_summaries_rebuild(tenant=tenant)
    return summaries(tenant)


@pytest.fixture
def staff(tenant, account, test_rates):  # noqa: F811
    fund(account, "500.00")
    toll_free_number(tenant)
    return {
        "ana": person(tenant, "ana", DOMESTIC, CREDITS),  # the Domestic pool, then credits
        "bo": person(tenant, "bo", INTERNATIONAL),  # the International pool only
        "cy": person(tenant, "cy", CREDITS),  # credits only
        "ed": person(tenant, "ed", E5, CONFERENCING, CREDITS),  # conference dial-outs
    }


def mixed_calls(staff) -> list[dict[str, str]]:
    """Forty days of every kind of call: pools, partly pooled, credits, free inbound,
    toll-free inbound, conference dial-in and dial-out, around UTC midnight, and calls to
    Japan, which the test rates cannot rate (refused: they count nowhere)."""
    ana, bo, cy, ed = (staff[name].username for name in ("ana", "bo", "cy", "ed"))
    rows = []
    for n in range(40):
        day = FIRST + timedelta(days=n)
        rows += [
            record(upn=ana, destination=US_FIXED, seconds=60 + 37 * n, start=at(day, 9)),
            record(upn=ana, destination=GB_MOBILE, seconds=150, start=at(day, 23, 59)),
            record(upn=bo, destination=DE_FIXED, seconds=300 + n, start=at(day, 0, 0)),
            record(upn=cy, destination=[GB_FIXED, DE_MOBILE, IN_FIXED][n % 3],
                   seconds=61 + n, start=at(day, 12, n % 60)),
            record(upn=cy, call_type="user_in", destination=US_FIXED_2, caller=DE_FIXED,
                   seconds=600, start=at(day, 14)),
            record(call_type="user_in", destination=US_TOLL_FREE, caller=GB_FIXED,
                   seconds=90 + n, start=at(day, 15), **{"Number Type": "toll_free"}),
            record(upn=ed, call_type="conf_out", destination=GB_FIXED, seconds=125,
                   start=at(day, 16)),
            record(upn=ed, call_type="conf_in", destination=US_FIXED, caller=GB_MOBILE,
                   seconds=200, start=at(day, 17)),
        ]
        if n % 7 == 0:
            rows.append(record(upn=cy, destination=JP_FIXED, seconds=30, start=at(day, 18)))
    return rows


@pytest.fixture
def mixed(tenant, staff):
    # A nearly used-up Domestic pool, so some calls are paid partly from it, partly by
    # credits.
    size = pool_sizes_for(tenant=tenant, includes=product_includes())[("US", "MCOPSTN1")]
    for month in (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)):
        MinutePool.objects.create(tenant=tenant, month=month, country="US",
                                  capability="MCOPSTN1", minutes_used=size - 150)
    rows = mixed_calls(staff)
    result = import_rows(tenant, rows, chunk_size=37)
    assert result.imported > 300 and len(result.rejected) == 6
    return rows


def selections(tenant) -> list[UsageSelection]:
    ranges = [
        (FIRST, TODAY),  # everything (and a day after the last call)
        (TODAY - timedelta(days=6), TODAY),
        (TODAY - timedelta(days=27), TODAY),
        (FIRST + timedelta(days=3), FIRST + timedelta(days=3)),  # a single day
        (FIRST - timedelta(days=30), FIRST - timedelta(days=1)),  # no calls at all
    ]
    found = []
    for first, last in ranges:
        found.append(UsageSelection(tenant=tenant, first=first, last=last))
        found += [UsageSelection(tenant=tenant, first=first, last=last, call_type=call_type)
                  for call_type in CallType.values]
        found += [UsageSelection(tenant=tenant, first=first, last=last, paid_by=paid_by)
                  for paid_by, _label in PAID_BY_CHOICES if paid_by]
        found.append(UsageSelection(tenant=tenant, first=first, last=last,
                                    call_type="user_out", paid_by="MCOPSTNPP"))
    return found


def test_the_mix_has_what_the_report_tells_apart(tenant, mixed):
    calls = CallRecord.objects.filter(tenant=tenant)
    assert set(calls.values_list("capability", flat=True)) == {
        "", "MCOPSTNPP", "MCOPSTN1", "MCOPSTN2", "MCOMEETADD"
    }
    partly = calls.filter(capability="MCOPSTNPP", pool_minutes__gt=0)
    assert partly.filter(pool_capability="MCOPSTN1").exists()
    assert len(set(calls.values_list("call_type", flat=True))) >= 4


def test_summary_sums_equal_the_sums_of_the_calls_for_every_selection(tenant, mixed):
    checked = 0
    for selection in selections(tenant):
        calls, summed = calls_selected(selection), summaries_selected(selection)
        assert usage_totals(summed) == usage_totals(calls), selection
        assert (usage_daily(summed, days=selection.days)
                == usage_daily(calls, days=selection.days)), selection
        assert usage_top_destinations(summed) == usage_top_destinations(calls), selection
        checked += usage_totals(calls).calls > 0
    assert checked > 40  # most selections have calls: the comparison is not of empties


def test_the_report_reads_the_summaries_unless_a_user_is_named(tenant, staff):
    plain = UsageSelection(tenant=tenant, first=FIRST, last=TODAY, call_type="user_out")
    assert usage_aggregated(plain).model is CallDaySummary
    for named in (UsageSelection(tenant=tenant, first=FIRST, last=TODAY, search="cy"),
                  UsageSelection(tenant=tenant, first=FIRST, last=TODAY,
                                 user_id=staff["cy"].pk)):
        assert usage_aggregated(named).model is CallRecord
        with pytest.raises(ValueError):
            summaries_selected(named)


def test_the_import_keeps_the_summaries_equal_to_the_sums_of_the_calls(tenant, mixed):
    kept = summaries(tenant)
    assert len(kept) > 200
    assert sum(row[5] for row in kept) == CallRecord.objects.filter(tenant=tenant).count()
    assert rebuilt(tenant) == kept


def test_re_importing_the_same_calls_changes_no_summary(tenant, mixed):
    kept = summaries(tenant)
    result = import_rows(tenant, mixed, chunk_size=11)
    assert (result.imported, result.duplicates, len(result.rejected)) == (0, len(mixed) - 6, 6)
    assert summaries(tenant) == kept


def test_conflicting_records_add_nothing(tenant, staff):
    row = record(upn=staff["cy"].username, destination=GB_FIXED, seconds=60,
                 start=at(TODAY, 9))
    import_rows(tenant, [row])
    kept = summaries(tenant)
    changed = {**row, "Destination Number": GB_MOBILE}
    result = import_rows(tenant, [changed, {**changed}])
    assert result.imported == 0 and result.conflicts
    assert summaries(tenant) == kept == {
        (TODAY, "user_out", "MCOPSTNPP", "", "GB", 1, 1, 0, usage_totals(
            calls_selected(UsageSelection(tenant=tenant, first=TODAY, last=TODAY))).amount)
    }


def test_summaries_roll_back_with_the_chunk(tenant, staff):
    rows = [record(upn=staff["cy"].username, destination=GB_FIXED, start=at(TODAY, h))
            for h in range(6)]

    def add_then_fail(**kwargs):
        call_summaries_add_rows(**kwargs)
        raise RuntimeError("after the summaries")

    with mock.patch.object(usage, "call_summaries_add_rows", add_then_fail), \
            pytest.raises(RuntimeError):
        import_rows(tenant, rows)
    assert not CallRecord.objects.filter(tenant=tenant).exists()
    assert not CallDaySummary.objects.filter(tenant=tenant).exists()

    import_rows(tenant, rows)
    assert summaries(tenant) == {(TODAY, "user_out", "MCOPSTNPP", "", "GB", 6, 6, 0,
                                  summaries(tenant).pop()[8])}
    assert rebuilt(tenant) == summaries(tenant)


def test_rebuild_replaces_one_tenants_summaries_only(tenant, other_tenant, mixed):
    other = CallDaySummary.objects.create(
        tenant=other_tenant, day=TODAY, call_type="user_out", calls=3, billed_minutes=7,
    )
    kept = summaries(tenant)
    CallDaySummary.objects.filter(tenant=tenant).update(calls=999)
    CallDaySummary.objects.create(tenant=tenant, day=TODAY + timedelta(days=300),
                                  call_type="user_in", calls=1)

    assert call_summaries_rebuild(tenant=tenant) == len(kept)

    assert summaries(tenant) == kept
    assert CallDaySummary.objects.get(pk=other.pk).calls == 3


def test_the_migration_backfills_the_summaries_of_existing_calls(tenant, mixed):
    kept = summaries(tenant)
    CallDaySummary.objects.all().delete()
    editor = SimpleNamespace(connection=connection)

    backfill_migration.summaries_backfill(apps, editor)
    assert summaries(tenant) == kept

    backfill_migration.summaries_delete(apps, editor)
    assert not CallDaySummary.objects.exists()


def test_the_migration_backfill_with_no_calls_writes_nothing(db):
    backfill_migration.summaries_backfill(apps, SimpleNamespace(connection=connection))
    assert not CallDaySummary.objects.exists()


# A call: (day offset, hour, minute, who, destination, seconds, call type).
CALLS = st.tuples(
    st.integers(0, 4), st.integers(0, 23), st.sampled_from([0, 59]),
    st.sampled_from(["ana", "bo", "cy"]),
    st.sampled_from([US_FIXED, GB_MOBILE, DE_FIXED, IN_FIXED, JP_FIXED]),
    st.integers(1, 400), st.sampled_from(["user_out", "user_in"]),
)


@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(batch=st.lists(CALLS, min_size=1, max_size=25), chunk_size=st.integers(1, 6),
       repeats=st.integers(0, 4))
def test_summaries_match_the_calls_across_chunks_and_re_imports(tenant, staff, batch,
                                                                chunk_size, repeats):
    """Whatever the calls and however they are chunked, the summaries are the sums of the
    calls; re-importing (whole or in part, with new calls) adds only the new calls."""
    rows = []
    for offset, hour, minute, who, destination, seconds, call_type in batch:
        caller = GB_FIXED if call_type == "user_in" else ""
        rows.append(record(upn=staff[who].username, destination=destination,
                           caller=caller, call_type=call_type, seconds=seconds,
                           start=at(TODAY - timedelta(days=offset), hour, minute)))
    import_rows(tenant, rows, chunk_size=chunk_size)
    kept = summaries(tenant)
    # Part of the same file again, with its calls repeated: nothing changes.
    again = rows[: repeats + 1] + rows[: repeats]
    import_rows(tenant, again, chunk_size=chunk_size)
    assert summaries(tenant) == kept
    assert rebuilt(tenant) == kept


def test_call_summaries_add_sums_by_utc_day_and_adds_to_existing_rows(tenant):
    def call(start, **changes):
        return {"start_time": start, "call_type": "user_out", "capability": "MCOPSTNPP",
                "pool_capability": "", "rated_country": "GB", "billed_minutes": 2,
                "pool_minutes": 0, "charge": Decimal("0.0500"), **changes}

    late = datetime(2026, 3, 9, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # 10 March UTC
    assert call_summaries_add(tenant=tenant, records=[call(late), call(at(TODAY, 1))]) == 1
    assert call_summaries_add(tenant=tenant, records=[
        call(at(TODAY, 2)), call(at(TODAY, 3), capability="", charge=Decimal("0")),
    ]) == 2
    assert call_summaries_add(tenant=tenant, records=[]) == 0
    assert summaries(tenant) == {
        (TODAY, "user_out", "MCOPSTNPP", "", "GB", 3, 6, 0, Decimal("0.1500")),
        (TODAY, "user_out", "", "", "GB", 1, 2, 0, Decimal("0")),
    }


def test_the_csv_path_keeps_the_summaries_too(tenant, staff):
    rows = [record(upn=staff["cy"].username, destination=GB_MOBILE, seconds=150,
                   start=at(TODAY, 8))]
    usage.usage_import_csv(tenant=tenant, text=csv_text(rows), source="file")
    assert rebuilt(tenant) == summaries(tenant) and len(summaries(tenant)) == 1
