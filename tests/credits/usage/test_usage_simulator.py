"""The traffic simulator and ``manage.py simulate_calls``."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credits.ledger.verification import account_verify
from credits.models import CallRecord, LedgerEntry
from credits.usage.selectors import simulation_tenant
from credits.usage.telephony.numbers import number_classify
from credits.usage.telephony.simulator import calls_simulate
from tests.credits.calls import (
    CONFERENCING,
    CREDITS,
    DOMESTIC,
    E5,
    INTERNATIONAL,
    PHONE,
    T0,
    import_rows,
    person,
    test_rates,  # noqa: F401 - fixture
    toll_free_number,
)
from tests.credits.factories import fund

MONDAY = date(2025, 1, 13)
AFTER_THE_WEEK = datetime.combine(MONDAY + timedelta(days=7), time(), tzinfo=UTC)
RECENT_MONDAY = T0.date() - timedelta(days=T0.weekday())  # inside the import's window


@pytest.fixture
def company(tenant, account, test_rates):  # noqa: F811
    fund(account, "500.00")
    for n in range(12):
        codes = [PHONE]
        if n % 2 == 0:
            codes.append(CREDITS)
        if n % 3 == 0:
            codes.append(DOMESTIC)
        if n % 4 == 1:
            codes.append(INTERNATIONAL)
        if n % 5 == 0:
            codes.append(E5)
        if n % 5 == 1:
            codes.append(CONFERENCING)
        person(tenant, f"user{n:02d}", *codes, location="GB" if n == 7 else "US")
    toll_free_number(tenant)
    return tenant


def week(tenant, **kwargs) -> list[dict[str, str]]:
    sim = simulation_tenant(tenant=tenant)
    return [row for n in range(7)
            for row in calls_simulate(tenant=sim, day=MONDAY + timedelta(days=n), calls=60,
                                      **kwargs)]


def test_the_same_day_gives_the_same_calls(company):
    assert week(company) == week(company)
    assert week(company) != week(company, seed="other")


def test_the_traffic_is_mixed_and_realistic(company):
    rows = week(company)
    types = Counter(row["Call Type"] for row in rows)
    assert set(types) >= {"user_out", "user_in", "conf_in", "conf_out", "user_out_conf",
                          "user_out_transfer", "user_out_forwarding", "ucap_in"}
    assert types["user_out"] > types["conf_out"]
    countries = {number_classify(row["Destination Number"]).country for row in rows
                 if row["Call Type"] == "user_out"}
    assert len(countries) >= 5
    toll_free_inbound = [row for row in rows if row["Destination Number"] == "+18005550123"]
    assert toll_free_inbound
    durations = [int(row["Duration Seconds"]) for row in rows]
    assert min(durations) == 0 and max(durations) > 600
    weekdays = Counter(date.fromisoformat(row["Start Time"][:10]).weekday() for row in rows)
    assert weekdays[0] > weekdays[5]  # quieter at weekends
    assert len({row["UsageId"] for row in rows}) == len(rows)


def test_simulated_calls_are_calls_the_platform_allows(company, account):
    result = import_rows(company, week(company), now=AFTER_THE_WEEK)
    assert (result.rejected, result.conflicts) == ([], [])
    assert result.calls_charged > 0 and result.pool_minutes > 0
    assert account_verify(account) == []


def test_without_paid_calls_nothing_is_charged(company):
    result = import_rows(company, week(company, allow_paid=False), now=AFTER_THE_WEEK)
    assert result.imported > 0
    assert (result.rejected, result.calls_charged) == ([], 0)


def run(*args) -> str:
    out = StringIO()
    call_command("simulate_calls", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_command_imports_the_days_once(company, account):
    end = RECENT_MONDAY + timedelta(days=3)
    args = ("--tenant", "contoso", "--days", "3", "--calls-per-day", "20", "--end", f"{end}")
    first = run(*args)
    count = CallRecord.objects.count()
    charged = LedgerEntry.objects.filter(reference_type="call").count()
    again = run(*args)

    assert f"Simulated {RECENT_MONDAY} to {end - timedelta(days=1)} for Contoso:" in first
    assert f"{count} imported" in first and count >= 45
    assert "0 imported" in again
    assert (CallRecord.objects.count(), charged) == (
        count, LedgerEntry.objects.filter(reference_type="call").count()
    )
    assert set(CallRecord.objects.values_list("source", flat=True)) == {"simulator"}
    assert account_verify(account) == []


def test_command_can_write_the_csv_instead(company, tmp_path):
    path = tmp_path / "calls.csv"
    out = run("--tenant", "contoso", "--days", "1", "--calls-per-day", "10", "--end",
              f"{RECENT_MONDAY + timedelta(days=1)}", "--output", str(path))
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert f"Wrote {len(rows)} call records" in out
    assert not CallRecord.objects.exists()
    assert import_rows(company, rows).imported == len(rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nowhere", "--days", "1", "--calls-per-day", "1"], "No tenant"),
        (["--tenant", "contoso", "--days", "0", "--calls-per-day", "1"], "--days must be"),
        (["--tenant", "contoso", "--days", "1", "--calls-per-day", "0"], "--calls-per-day"),
    ],
)
def test_command_refusals(company, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
