"""Reports > PSTN usage's sums read at once (``usage_summed``): the totals, daily series
and top destinations equal those of ``usage_totals``, ``usage_daily`` and
``usage_top_destinations`` for every selection, on either database, from the calls or from
the per-day rollup; on PostgreSQL they cost one query (grouping sets), from either."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from credits.models import CallDaySummary, CallRecord
from credits.reports.selectors.pstn_usage import (
    UsageSelection,
    calls_selected,
    summaries_selected,
    usage_aggregated,
    usage_daily,
    usage_summed,
    usage_top_destinations,
    usage_totals,
)
from credits.usage.services.summaries import call_summaries_rebuild
from tests.credits.calls import test_rates  # noqa: F401 - fixture
from tests.credits.report_data import URL
from tests.credits.usage.test_call_summaries import (
    FIRST,
    TODAY,
    mixed,  # noqa: F401 - fixture
    selections,
    staff,  # noqa: F401 - fixture
)

POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def mix(tenant, mixed):  # noqa: F811
    """The mix, its calls to India (charged, by credits) with no rated country, as records
    from before the rated country was kept have; the rollup summed again from them."""
    assert CallRecord.objects.filter(tenant=tenant, rated_country="IN").update(rated_country="")
    call_summaries_rebuild(tenant=tenant)
    return mixed


def three(rows, selection: UsageSelection, limit: int = 10) -> tuple:
    """What the three one-sum selectors give."""
    return (usage_totals(rows), usage_daily(rows, days=selection.days),
            usage_top_destinations(rows, limit=limit))


def summed_queries(rows, selection: UsageSelection, **kwargs) -> tuple[tuple, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        summed = usage_summed(rows, days=selection.days, **kwargs)
    return tuple(summed), [query["sql"] for query in queries]


def test_the_mix_has_pooled_calls_and_calls_with_no_rated_country(tenant, mix):
    everything = UsageSelection(tenant=tenant, first=FIRST, last=TODAY)
    totals, daily, destinations = usage_summed(summaries_selected(everything),
                                               days=everything.days)
    unrated = [row for row in destinations if row["country"] == ""]
    assert unrated and unrated[0]["amount"] > 0 and unrated[0]["name"] == ""
    assert {"MCOPSTN1", "MCOPSTN2", "MCOMEETADD", "MCOPSTNPP", "free"} <= {
        series["key"] for series in daily["minutes"]
    }
    assert totals.calls > 300 and totals.amount > 0


def test_one_read_equals_the_three_for_every_selection(tenant, mix):
    custom = [
        UsageSelection(tenant=tenant, first=TODAY - timedelta(days=12),
                       last=TODAY - timedelta(days=3)),
        UsageSelection(tenant=tenant, first=TODAY - timedelta(days=12),
                       last=TODAY - timedelta(days=3), call_type="conf_out",
                       paid_by="MCOMEETADD"),
        UsageSelection(tenant=tenant, first=TODAY, last=TODAY),  # 1 day
    ]
    checked = 0
    for selection in selections(tenant) + custom:
        expected = three(calls_selected(selection), selection)
        assert three(summaries_selected(selection), selection) == expected, selection
        summed, queries = summed_queries(usage_aggregated(selection), selection)
        assert summed == expected, selection
        if POSTGRESQL:
            assert len(queries) == 1 and "GROUPING SETS" in queries[0], selection
        else:  # no grouping sets: the three, or the totals alone when nothing was called
            assert len(queries) == (3 if expected[0].calls else 1), selection
        checked += expected[0].calls > 0
    assert checked > 40  # most selections have calls: the comparison is not of empties


def test_selections_of_the_calls_read_them_at_once_too(tenant, staff, mix):  # noqa: F811
    checked = 0
    for selection in (
        UsageSelection(tenant=tenant, first=FIRST, last=TODAY, search="cy"),
        UsageSelection(tenant=tenant, first=FIRST, last=TODAY, user_id=staff["ana"].pk,
                       paid_by="MCOPSTNPP"),
        UsageSelection(tenant=tenant, first=FIRST, last=TODAY, restricted=True),
        UsageSelection(tenant=tenant, first=FIRST - timedelta(days=9),
                       last=FIRST - timedelta(days=1), search="cy"),  # nothing
    ):
        calls = usage_aggregated(selection)
        expected = three(calls, selection)
        summed, queries = summed_queries(calls, selection)
        assert summed == expected, selection
        assert all("credits_callrecord" in sql for sql in queries)
        if POSTGRESQL:  # a search, a user, the restricted calls: one read of the calls
            assert len(queries) == 1 and "GROUPING SETS" in queries[0], selection
        else:
            assert len(queries) == (3 if expected[0].calls else 1), selection
        checked += expected[0].calls > 0
    assert checked >= 2  # not only empty selections


def summary(tenant, day: date, country: str, *, calls: int, minutes: int, charge: str,
            capability: str = "MCOPSTNPP", pool: str = "", pooled: int = 0,
            call_type: str = "user_out") -> CallDaySummary:
    return CallDaySummary.objects.create(
        tenant=tenant, day=day, call_type=call_type, capability=capability,
        pool_capability=pool, rated_country=country, calls=calls, billed_minutes=minutes,
        pool_minutes=pooled, charge=Decimal(charge),
    )


# (country, billed minutes, charge) of one day, with ties on amount and on both.
RANKED = [
    ("AT", 6, "1.2500"), ("BE", 6, "2.2500"), ("CH", 5, "2.2500"), ("DK", 6, "2.2500"),
    ("ES", 7, "1.2500"), ("FR", 6, "3.2500"), ("IE", 6, "1.2500"), ("IT", 8, "0.7500"),
    ("NL", 5, "3.2500"), ("PL", 4, "0.7500"), ("PT", 8, "0.7500"), ("SE", 5, "3.2500"),
]
# Amount, then minutes, both descending, then the country; FR's other day counts too,
# and "" (free calls, no country) and the pool's ZA come last with nothing charged.
RANK = ["FR", "NL", "SE", "BE", "DK", "CH", "ES", "AT", "IE", "IT", "PT", "PL", "", "ZA"]


@pytest.mark.parametrize("limit", [1, 3, 10, 20])
def test_top_destinations_keep_their_order_and_limit_with_ties(tenant, limit):
    day = TODAY - timedelta(days=2)
    for n, (country, minutes, charge) in enumerate(RANKED):
        summary(tenant, day, country, calls=n + 1, minutes=minutes, charge=charge)
    summary(tenant, day, "", calls=4, minutes=40, charge="0.0000", capability="",
            call_type="user_in")
    summary(tenant, day, "ZA", calls=1, minutes=9, charge="0.0000", capability="MCOPSTN2",
            pool="MCOPSTN2", pooled=9)
    summary(tenant, day - timedelta(days=1), "FR", calls=2, minutes=3, charge="0.5050",
            call_type="conf_out")
    selection = UsageSelection(tenant=tenant, first=day - timedelta(days=6), last=day)
    expected = three(summaries_selected(selection), selection, limit=limit)
    summed, _queries = summed_queries(summaries_selected(selection), selection, limit=limit)
    assert summed == expected
    destinations = expected[2]
    assert [row["country"] for row in destinations] == RANK[:limit]
    assert (destinations[0]["calls"], destinations[0]["minutes"],
            destinations[0]["amount"]) == (8, 9, Decimal("3.7550"))


def test_an_empty_range_sums_to_nothing(tenant, db):
    selection = UsageSelection(tenant=tenant, first=TODAY - timedelta(days=27), last=TODAY)
    totals, daily, destinations = usage_summed(summaries_selected(selection),
                                               days=selection.days)
    assert (totals.calls, totals.minutes, totals.amount) == (0, 0, Decimal("0.00"))
    assert daily == {"labels": [day.isoformat() for day in selection.days],
                     "minutes": [], "amount": []}
    assert destinations == []
    assert (totals, daily, destinations) == three(summaries_selected(selection), selection)


@pytest.mark.skipif(not POSTGRESQL, reason="grouping sets: PostgreSQL only")
def test_the_page_reads_the_rollup_sums_in_one_query(client, reports_reader, tenant, mix):
    client.force_login(reports_reader)
    client.get(URL)  # warm the session
    everything = {"range": "custom", "start": FIRST.isoformat(), "end": TODAY.isoformat()}
    for params in (everything, {**everything, "call_type": "user_out", "paid_by": "MCOPSTNPP"},
                   {"range": "28"}):  # the last: no calls in the range
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, params)
        assert response.status_code == 200
        sums = [q["sql"] for q in queries if "credits_calldaysummary" in q["sql"]]
        assert len(sums) == 1 and "GROUPING SETS" in sums[0], params
    assert response.context["totals"].calls == 0
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, everything)
    assert response.context["totals"].calls > 300
    assert response.context["daily"]["minutes"] and len(response.context["destinations"]) >= 4
    assert not [q for q in queries if "credits_calldaysummary" in q["sql"]
                and "GROUPING SETS" not in q["sql"]]


@pytest.mark.skipif(not POSTGRESQL, reason="covering index: PostgreSQL only")
def test_the_one_read_can_be_answered_from_the_covering_index(tenant, mix):
    """The migration's (tenant, day) INCLUDE (...) index holds every column the one read
    uses, so PostgreSQL can answer it by an index-only scan (the plan a large rollup
    gets; a few rows get a table scan, hence the planner is steered here)."""
    rows = CallDaySummary.objects.for_tenant(tenant).values(
        "day", "call_type", "capability", "pool_capability", "rated_country", "calls",
        "billed_minutes", "pool_minutes", "charge",
    ).filter(day__gte=FIRST, day__lte=TODAY).order_by()
    sql, params = rows.query.sql_with_params()
    steered = ("enable_seqscan", "enable_bitmapscan", "enable_indexscan")
    with connection.cursor() as cursor:
        # Plain index scans off too (a few rows may take the unique index that way): an
        # index-only scan is left, which only the covering index can give.
        for setting in steered:
            cursor.execute(f"SET LOCAL {setting} = off")
        try:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            # Back on before the test's teardown checks the deferred foreign keys of the
            # calls it made: without scans those checks took 20 s.
            for setting in steered:
                cursor.execute(f"RESET {setting}")
    assert "Index Only Scan using credits_call_day_cover_idx" in plan, plan
