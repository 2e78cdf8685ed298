"""``seed_demo --calls N``: N more calls for Contoso over the past year, through the usage
import, funded month by month, in time order with the credit history, idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from credits.demo.bulk_calls import DAYS, MAX_CALLS, bulk_days, calls_per_day
from credits.ledger.verification import account_verify
from credits.models import CallRecord, CreditAccount, LedgerEntry, Order, OrderKind, OrderStatus


def _noon() -> datetime:
    """A fixed, recent ``now`` for the seed: today's noon once it has passed, else
    yesterday's. (The demo's auto-recharge crossing puts its calls in the 7 hours before
    ``now``; shortly after midnight they would fall before yesterday's evening calls.)"""
    real = timezone.now().astimezone(UTC)
    noon = real.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon <= real else noon - timedelta(days=1)


def _seed(*args: str, now: datetime) -> str:
    out = StringIO()
    with mock.patch("accounts.management.commands.seed_demo.timezone.now", return_value=now):
        call_command("seed_demo", "--password", "demo-password-1", *args, stdout=out)
    return out.getvalue()


def test_calls_are_spread_over_the_year_weighted_to_working_days():
    days = bulk_days(date(2026, 3, 10))
    counts = calls_per_day(1000, days)
    assert len(days) == DAYS and days[-1] == date(2026, 3, 9) and days[0] == date(2025, 3, 10)
    assert sum(counts) == 1000
    workdays = [c for day, c in zip(days, counts, strict=True) if day.weekday() < 5]
    weekends = [c for day, c in zip(days, counts, strict=True) if day.weekday() >= 5]
    assert sum(workdays) / len(workdays) == pytest.approx(4 * sum(weekends) / len(weekends), 0.1)
    assert sum(calls_per_day(0, days)) == 0 and sum(calls_per_day(7, days)) == 7


@pytest.mark.django_db
def test_seed_demo_calls_gives_contoso_n_charged_calls_over_a_year_once():
    now = _noon()
    first = _seed("--calls", "500", now=now)
    seeded = CallRecord.objects.filter(tenant__slug="contoso", usage_id__startswith="seed-")
    counts = (CallRecord.objects.count(), LedgerEntry.objects.count())

    assert "Seeded calls (--calls): Contoso 500 in" in first
    assert seeded.count() == 500
    days = {moment.date() for moment in seeded.values_list("start_time", flat=True)}
    assert len(days) >= 300
    assert min(days) >= now.date() - timedelta(days=DAYS) and max(days) < now.date()
    assert seeded.filter(capability="MCOPSTNPP").exists()  # some paid from credits
    assert seeded.exclude(capability="MCOPSTNPP").exists()  # most covered by pools
    # Every credits-paid call has its ledger entry, at its end.
    for call in seeded.filter(charge__gt=0).select_related("entry")[:50]:
        assert call.entry.created_at == call.end_time
        assert call.entry.idempotency_key == f"usage:{call.usage_id}"
    # Funded by one Add funds order a month, each before that month's calls, listed in
    # its month's statement.
    orders = Order.objects.filter(idempotency_key__startswith="demo:contoso:calls:")
    assert 1 <= orders.count() <= 13
    for order in orders.select_related("ledger_entry"):
        assert order.status == OrderStatus.SUCCEEDED and order.kind == OrderKind.TOP_UP
        month = order.completed_at
        assert order.ledger_entry.created_at == month
        assert month.day == 1 or month.date() == min(days)
    for account in CreditAccount.objects.all():
        assert account_verify(account) == []
    entries = list(
        LedgerEntry.objects.filter(account__tenant__slug="contoso")
        .order_by("id").values_list("created_at", flat=True)
    )
    assert entries == sorted(entries)  # time order kept with the fundings
    contoso = CreditAccount.objects.get(tenant__slug="contoso")
    assert Decimal("0") < contoso.balance < Decimal("400")

    again = _seed("--calls", "500", now=now)
    assert "Contoso has its 500 seeded calls already." in again
    assert (CallRecord.objects.count(), LedgerEntry.objects.count()) == counts
    out = StringIO()
    call_command("ledger_verify", stdout=out, stderr=StringIO())
    assert "reconcile" in out.getvalue()


@pytest.mark.parametrize("calls", ["-1", str(MAX_CALLS + 1)])
def test_seed_demo_refuses_a_number_of_calls_out_of_bounds(db, calls):
    with pytest.raises(CommandError, match="--calls must be between 0 and 2,000,000"):
        call_command("seed_demo", "--calls", calls, stdout=StringIO())
    assert not CallRecord.objects.exists()


@pytest.mark.django_db
def test_seed_demo_users_and_calls_lose_no_call_when_the_pools_run_out():
    """Pools run out at scale (here: empty from the start); a call a pool would have paid
    is then charged to credits, which needs the caller's credits license. The generator
    makes only calls that stay chargeable: every one asked for is imported."""
    out, err = StringIO(), StringIO()
    with mock.patch(
        "accounts.management.commands.seed_demo.timezone.now", return_value=_noon()
    ), mock.patch("credits.usage.selectors.pool_sizes_for", return_value={}):
        call_command(
            "seed_demo", "--password", "demo-password-1", "--users", "40", "--calls", "400",
            stdout=out, stderr=err,
        )

    seeded = CallRecord.objects.filter(tenant__slug="contoso", usage_id__startswith="seed-")
    assert "Seeded calls (--calls): Contoso 400 in" in out.getvalue()
    assert "were not imported" not in err.getvalue()
    assert seeded.count() == 400  # generated == imported
    assert set(seeded.values_list("usage_id", flat=True)) == {f"seed-{n}" for n in range(1, 401)}
    assert not seeded.filter(pool_minutes__gt=0).exists()  # no pool paid anything
    for account in CreditAccount.objects.all():
        assert account_verify(account) == []
