"""Call records are checked, not trusted: times in the future, beyond the retention window
or before the organization existed (API), and a Duration Seconds that does not match
End Time - Start Time are refused, by line (files) or by index (API), and the valid rows
still go in."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Tenant
from credits.common.dates import months_add
from credits.models import CallRecord, LedgerEntry, UsageSource
from credits.usage.services.api_tokens import api_token_create
from credits.usage.services.imports import usage_import_csv
from credits.usage.services.simulation import MAX_DAYS, calls_simulate_import
from credits.usage.telephony.records import CALL_RETENTION_MONTHS
from tests.credits.calls import (
    CREDITS,
    GB_FIXED,
    T0,
    call_of,
    csv_text,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import fund

NOW = T0 + timedelta(days=1)  # the import's clock in the service tests


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timed(upn: str, start: datetime, seconds: int, duration: int | None = None) -> dict:
    """A call to a GB fixed line from ``start`` for ``seconds``; Duration Seconds says
    ``duration`` (default: ``seconds``)."""
    return record(upn=upn, destination=GB_FIXED, start=start, seconds=seconds, **{
        "End Time": stamp(start + timedelta(seconds=seconds)),
        "Duration Seconds": str(seconds if duration is None else duration),
    })


@pytest.fixture
def cy(tenant, account, test_rates):  # noqa: F811
    fund(account, "100.00")
    return person(tenant, "cy", CREDITS)


def import_csv(tenant, rows, **kwargs):
    return usage_import_csv(
        tenant=tenant, text=csv_text(rows), source=UsageSource.FILE, **kwargs
    )


# ------------------------------------------------------------------ Duration Seconds


def test_a_duration_of_zero_for_a_90_second_call_is_refused_not_billed_zero(tenant, cy):
    good = timed(cy.username, T0, 90)
    zero = timed(cy.username, T0 + timedelta(hours=1), 90, duration=0)

    result = import_csv(tenant, [good, zero], now=NOW)

    assert result.imported == 1 and call_of(tenant, good).charge == Decimal("0.0900")
    [problem] = result.rejected
    assert (problem.line, problem.usage_id, problem.code) == (3, zero["UsageId"],
                                                              "invalid_record")
    assert problem.reason == (
        "Duration Seconds (0) is shorter than the time between Start Time and End Time "
        "(90 s) by more than 2 seconds"
    )
    assert call_of(tenant, zero) is None
    assert LedgerEntry.objects.filter(reference_type="call").count() == 1


@pytest.mark.parametrize(
    ("duration", "accepted"),
    [(87, False), (88, True), (90, True), (92, True), (93, False)],
)
def test_duration_seconds_may_differ_from_the_times_by_two_seconds(tenant, cy, duration,
                                                                    accepted):
    row = timed(cy.username, T0, 90, duration=duration)
    result = import_csv(tenant, [row], now=NOW)
    assert result.imported == (1 if accepted else 0)
    if not accepted:
        longer = "longer" if duration > 90 else "shorter"
        assert result.rejected[0].reason.startswith(f"Duration Seconds ({duration}) is {longer}")


def test_an_empty_duration_is_taken_from_the_times(tenant, cy):
    row = dict(timed(cy.username, T0, 150), **{"Duration Seconds": ""})
    assert import_csv(tenant, [row], now=NOW).imported == 1
    assert call_of(tenant, row).duration_seconds == 150


def test_an_end_before_the_start_is_refused(tenant, cy):
    row = dict(timed(cy.username, T0, 60), **{"End Time": stamp(T0 - timedelta(seconds=1))})
    result = import_csv(tenant, [row], now=NOW)
    assert [(p.line, p.reason) for p in result.rejected] == [(2, "End Time is before Start Time")]


# --------------------------------------------------------------------------- the clock


def test_a_start_more_than_five_minutes_ahead_of_the_import_is_refused(tenant, cy):
    soon = timed(cy.username, NOW + timedelta(minutes=5), 0)
    late = timed(cy.username, NOW + timedelta(minutes=5, seconds=1), 0)

    result = import_csv(tenant, [soon, late], now=NOW)

    assert result.imported == 1 and call_of(tenant, soon) is not None
    [problem] = result.rejected
    assert (problem.line, problem.code) == (3, "start_in_future")
    assert problem.reason == (
        f"Start Time {stamp(NOW + timedelta(minutes=5, seconds=1))} is in the future: more "
        f"than 5 minutes after the import's time ({stamp(NOW)})"
    )


def test_a_call_ending_in_the_future_is_refused(tenant, cy):
    row = timed(cy.username, NOW - timedelta(minutes=1), 3600)
    result = import_csv(tenant, [row], now=NOW)
    assert [p.code for p in result.rejected] == ["end_in_future"]
    assert result.rejected[0].reason.startswith(
        f"End Time {stamp(NOW + timedelta(minutes=59))} is in the future"
    )


def test_the_default_clock_is_the_current_time(tenant, cy):
    row = timed(cy.username, timezone.now() + timedelta(hours=1), 60)
    result = import_csv(tenant, [row])
    assert [p.code for p in result.rejected] == ["start_in_future"]


def test_calls_older_than_the_retention_window_are_refused(tenant, cy):
    assert CALL_RETENTION_MONTHS == 13
    kept_since = months_add(NOW, -13)
    inside = timed(cy.username, kept_since + timedelta(seconds=1), 60)
    outside = timed(cy.username, kept_since - timedelta(seconds=1), 60)

    result = import_csv(tenant, [inside, outside], now=NOW)

    assert result.imported == 1 and call_of(tenant, inside) is not None
    [problem] = result.rejected
    assert (problem.line, problem.code) == (3, "start_too_old")
    assert problem.reason == (
        f"Start Time {stamp(kept_since - timedelta(seconds=1))} is older than the 13 months "
        f"of call records the console accepts (from {stamp(kept_since)})"
    )


def test_the_retention_window_covers_the_reports_longest_range(tenant, cy):
    """Reports > PSTN usage offers up to 366 days: a call that long ago still goes in."""
    row = timed(cy.username, NOW - timedelta(days=366), 60)
    assert import_csv(tenant, [row], now=NOW).imported == 1


# ------------------------------------------------------------ before the organization


def test_a_file_may_bring_history_from_before_the_organization_was_set_up(tenant, cy):
    """An export of another console re-imports into a new organization (README)."""
    assert tenant.created_at > T0
    row = timed(cy.username, T0, 60)
    assert import_csv(tenant, [row]).imported == 1


def test_simulated_history_of_a_new_organization_goes_in(tenant, cy):
    """The simulator (``simulate_calls``, the demo) backdates calls by design."""
    first_day = timezone.now().date() - timedelta(days=3)
    result = calls_simulate_import(tenant=tenant, first_day=first_day, days=2,
                                   calls_per_day=10)
    assert result.imported > 0 and result.rejected == []
    assert CallRecord.objects.filter(tenant=tenant, start_time__lt=tenant.created_at).exists()


def test_the_simulator_takes_at_most_the_reports_longest_range():
    assert MAX_DAYS == 366
    with pytest.raises(ValueError, match="days must be between 1 and 366"):
        calls_simulate_import(tenant=Tenant(), first_day=date.today(), days=367,
                              calls_per_day=1)


def test_the_simulators_rows_keep_their_duration_and_times_together(tenant, cy):
    from credits.usage.selectors import simulation_tenant
    from credits.usage.telephony.simulator import calls_simulate

    rows = calls_simulate(tenant=simulation_tenant(tenant=tenant), day=T0.date(), calls=80)
    assert rows
    for row in rows:
        span = (datetime.fromisoformat(row["End Time"])
                - datetime.fromisoformat(row["Start Time"])).total_seconds()
        assert span == int(row["Duration Seconds"]), row


# ---------------------------------------------------------------------- the command


def test_the_command_lists_refused_rows_by_line(tenant, cy, tmp_path):
    now = timezone.now().replace(microsecond=0)
    rows = [
        timed(cy.username, now - timedelta(days=2), 120),
        timed(cy.username, now - timedelta(days=2), 90, duration=0),
        timed(cy.username, now + timedelta(hours=2), 60),
        timed(cy.username, months_add(now, -14), 60),
    ]
    path = tmp_path / "usage.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="3 rejected and 0 conflicting records"):
        call_command("import_usage", "--tenant", "contoso", str(path), stdout=out, stderr=err)

    lines = err.getvalue().splitlines()
    assert [line.split(": rejected: ")[0] for line in lines] == [
        f"{path}:3", f"{path}:4", f"{path}:5"
    ]
    assert "Duration Seconds (0) is shorter" in lines[0]
    assert "is in the future" in lines[1]
    assert "older than the 13 months" in lines[2]
    assert "1 imported, 0 duplicates, 0 conflicts, 3 rejected (of 4 records)" in out.getvalue()
    assert call_of(tenant, rows[0]) is not None


# -------------------------------------------------------------------------- the API


def post(client, token, body):
    return client.post("/api/v1/usage", data=json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


def test_the_api_refuses_calls_from_before_the_organization_was_set_up(client, tenant, cy):
    created = tenant.created_at
    token = api_token_create(tenant=tenant, name="PBX")[1]
    before = timed(cy.username, created - timedelta(minutes=10), 60)
    after = timed(cy.username, (created + timedelta(seconds=1)).replace(microsecond=0), 0)

    response = post(client, token, [before, after])

    assert response.status_code == 200
    body = response.json()
    assert body["imported"] == 1 and call_of(tenant, after) is not None
    assert body["rejected"] == [{
        "line": 1, "usage_id": before["UsageId"], "code": "start_before_tenant",
        "reason": f"Start Time {stamp(created - timedelta(minutes=10))} is before the "
                  f"organization was set up in the console ({stamp(created)})",
    }]


def test_the_api_reports_each_refused_record_by_index(client, tenant, cy):
    Tenant.objects.filter(pk=tenant.pk).update(created_at=timezone.now() - timedelta(days=30))
    token = api_token_create(tenant=tenant, name="PBX")[1]
    now = timezone.now().replace(microsecond=0)
    body = [
        timed(cy.username, now - timedelta(days=1), 60),
        timed(cy.username, now - timedelta(days=1), 90, duration=0),
        timed(cy.username, now + timedelta(days=1), 60),
        timed(cy.username, now - timedelta(days=400), 60),
        timed(cy.username, now - timedelta(days=45), 60),
    ]

    response = post(client, token, body)

    assert response.status_code == 200
    assert [(r["line"], r["code"]) for r in response.json()["rejected"]] == [
        (2, "invalid_record"), (3, "start_in_future"), (4, "start_too_old"),
        (5, "start_before_tenant"),
    ]
    assert response.json()["imported"] == 1
    assert CallRecord.objects.filter(tenant=tenant).count() == 1
