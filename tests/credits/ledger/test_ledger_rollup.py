"""The ledger's day rollup (``LedgerDaySummary``): every posting adds its entries to its
UTC day's spent, funded and entry count in the same transaction; the sums always equal
the raw entries' (reversals, expiries, adjustments, batches); ``ledger_verify`` finds a
rollup that disagrees; the migration's backfill rebuilds it; the Funding advice reads it
at a cost that does not grow with the entries; a single posting is at most five round
trips on PostgreSQL."""

from __future__ import annotations

import contextlib
import importlib
from collections import defaultdict
from datetime import UTC, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits.billing.selectors.funding_advice import funding_advice
from credits.common.money import ZERO
from credits.exceptions import EntryNotReversible, IdempotencyConflict, InsufficientCredits
from credits.ledger import services as ledger
from credits.ledger.services import UsageCharge
from credits.ledger.verification import account_verify
from credits.models import EntryKind, FundSource, LedgerDaySummary, LedgerEntry
from tests.accounts.factories import TenantFactory
from tests.credits.factories import T0, CreditAccountFactory, charge, fund, next_key
from tests.hypothesis_budget import examples

backfill_migration = importlib.import_module("credits.migrations.0013_ledger_day_rollup")


def raw_days(account) -> dict:
    """{day: (spent, funded, entries)} summed from the entries themselves."""
    days: dict = defaultdict(lambda: (ZERO, ZERO, 0))
    for kind, amount, created_at, reversed_kind in LedgerEntry.objects.filter(
        account=account
    ).values_list("kind", "amount", "created_at", "reverses__kind"):
        counted = reversed_kind if kind == EntryKind.REVERSAL else kind
        spent = -amount if counted == EntryKind.USAGE else ZERO
        funded = amount if counted in (
            EntryKind.PURCHASE, EntryKind.TOP_UP, EntryKind.RECHARGE
        ) else ZERO
        day = created_at.astimezone(UTC).date()
        before = days[day]
        days[day] = (before[0] + spent, before[1] + funded, before[2] + 1)
    return dict(days)


def rollup(account) -> dict:
    return {
        day: (spent, funded, count)
        for day, spent, funded, count in LedgerDaySummary.objects.filter(
            account=account
        ).values_list("day", "spent", "funded", "entries")
    }


@pytest.fixture
def acct(db):
    return CreditAccountFactory(tenant=TenantFactory())


def test_rollup_counts_spend_and_funding_per_utc_day(acct):
    fund(acct, "100", at=T0)
    fund(acct, "20", at=T0 + timedelta(hours=1), source=FundSource.TOP_UP)
    charge(acct, "1.2345", at=T0 + timedelta(hours=2))
    charge(acct, "2", at=T0 + timedelta(days=1))

    days = rollup(acct)
    assert days == {
        T0.date(): (Decimal("1.2345"), Decimal("120"), 3),
        (T0 + timedelta(days=1)).date(): (Decimal("2"), ZERO, 1),
    }
    assert account_verify(acct) == []


def test_rollup_equals_raw_entries_across_reversals_expiries_adjustments_and_batches(acct):
    funding = fund(acct, "50", at=T0)
    used = charge(acct, "10", at=T0 + timedelta(hours=1))
    # A reversal counts on its own day, against the kind it reverses.
    ledger.entry_reverse(
        entry=used, memo="Disputed call", idempotency_key=next_key(),
        at=T0 + timedelta(days=2),
    )
    ledger.entry_adjust(
        account=acct, amount=Decimal("5"), currency="USD", memo="Goodwill",
        idempotency_key=next_key(), at=T0 + timedelta(days=2, hours=1),
    )
    ledger.entry_adjust(
        account=acct, amount=Decimal("-3"), currency="USD", memo="Correction",
        idempotency_key=next_key(), at=T0 + timedelta(days=2, hours=2),
    )
    ledger.usage_charge_many(account=acct, charges=[
        UsageCharge(amount=Decimal("0.25"), currency="USD", idempotency_key=f"batch-{n}",
                    at=T0 + timedelta(days=3, minutes=n))
        for n in range(40)
    ])
    ledger.entry_reverse(
        entry=funding, memo="Refunded", idempotency_key=next_key(),
        at=T0 + timedelta(days=4),
    )
    # Funds bought later expire in a year: a posting after that writes the expiry first.
    fund(acct, "30", at=T0 + timedelta(days=5))
    charge(acct, "1", at=T0 + timedelta(days=400))
    ledger.funds_expire(account=acct, at=T0 + timedelta(days=401))

    assert LedgerEntry.objects.filter(account=acct, kind=EntryKind.EXPIRY).exists()
    assert rollup(acct) == raw_days(acct)
    day_2 = rollup(acct)[(T0 + timedelta(days=2)).date()]
    assert day_2 == (Decimal("-10"), ZERO, 3)  # the reversed charge, two adjustments
    assert rollup(acct)[(T0 + timedelta(days=4)).date()] == (ZERO, Decimal("-50"), 1)
    assert account_verify(acct) == []


def test_replayed_or_refused_postings_leave_the_rollup_alone(acct):
    fund(acct, "10", at=T0)
    charge(acct, "1", at=T0, key="call-1")
    before = rollup(acct)
    charge(acct, "1", at=T0, key="call-1")  # a replay: nothing new
    with pytest.raises(IdempotencyConflict):
        charge(acct, "2", at=T0, key="call-1")
    assert rollup(acct) == before


def test_ledger_verify_reports_a_rollup_that_disagrees(acct):
    fund(acct, "10", at=T0)
    charge(acct, "1", at=T0 + timedelta(hours=1))
    LedgerDaySummary.objects.filter(account=acct).update(spent=Decimal("0.5"))

    problems = account_verify(acct)
    assert problems == [
        f"day rollup of {T0.date():%Y-%m-%d} says spent 0.5000, funded 10.0000, 2 entries, "
        "but the entries give 1.0000, 10.0000, 2"
    ]


def test_migration_backfill_rebuilds_the_rollup_from_the_entries(acct):
    fund(acct, "10", at=T0)
    used = charge(acct, "4", at=T0 + timedelta(days=1))
    ledger.entry_reverse(entry=used, memo="x", idempotency_key=next_key(),
                         at=T0 + timedelta(days=2))
    expected = rollup(acct)
    LedgerDaySummary.objects.all().delete()

    backfill_migration.rollup_backfill(apps, SimpleNamespace(connection=connection))

    assert rollup(acct) == expected == raw_days(acct)


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["fund", "charge", "batch", "reverse", "adjust", "expire"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("80"), places=2),
        st.integers(min_value=0, max_value=200),  # hours after the previous posting
    ),
    min_size=1, max_size=12,
)


@settings(
    max_examples=examples(25), deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_rollup_always_equals_the_raw_entries(db, operations):
    account = CreditAccountFactory(tenant=TenantFactory())
    now = T0
    posted: list[LedgerEntry] = []
    for operation, amount, hours in operations:
        now += timedelta(hours=hours)
        if operation == "fund":
            posted.append(fund(account, amount, at=now))
        elif operation == "charge":
            posted.append(charge(account, amount, at=now))
        elif operation == "batch":
            ledger.usage_charge_many(account=account, charges=[
                UsageCharge(amount=(amount / 3).quantize(Decimal("0.0001")), currency="USD",
                            idempotency_key=next_key(), at=now + timedelta(minutes=n))
                for n in range(3)
            ])
            now += timedelta(minutes=2)
        elif operation == "reverse" and posted:
            original = posted.pop(0)
            with contextlib.suppress(EntryNotReversible):  # expired funds: refused, fine
                ledger.entry_reverse(entry=original, memo="x", idempotency_key=next_key(),
                                     at=now)
        elif operation == "adjust":
            with contextlib.suppress(InsufficientCredits):  # more than the funds: refused
                ledger.entry_adjust(account=account, amount=-amount if hours % 2 else amount,
                                    currency="USD", memo="x", idempotency_key=next_key(),
                                    at=now)
        else:
            now += timedelta(days=120)
            ledger.funds_expire(account=account, at=now)
        account.refresh_from_db()
        assert rollup(account) == raw_days(account)
    assert account_verify(account) == []


def test_funding_advice_reads_the_same_number_of_queries_at_any_size(
    acct, django_assert_num_queries
):
    fund(acct, "5000", at=T0 - timedelta(days=100))
    charge(acct, "3", at=T0 - timedelta(days=1))
    acct.refresh_from_db()
    tenant = acct.tenant
    at = T0 + timedelta(days=1)
    with CaptureQueriesContext(connection) as small:
        few = funding_advice(tenant=tenant, account=acct, at=at)
    ledger.usage_charge_many(account=acct, charges=[
        UsageCharge(amount=Decimal("0.01"), currency="USD", idempotency_key=f"many-{n}",
                    at=T0 - timedelta(days=1) + timedelta(seconds=n))
        for n in range(500)
    ])
    acct.refresh_from_db()
    with django_assert_num_queries(len(small.captured_queries)):
        many = funding_advice(tenant=tenant, account=acct, at=at)
    assert len(small.captured_queries) == 1
    assert many.spend_28 == few.spend_28 + Decimal("5.00")


def test_funding_advice_before_the_latest_entry_counts_its_day_up_to_that_moment(acct):
    fund(acct, "5000", at=T0 - timedelta(days=100))
    charge(acct, "3", at=T0 - timedelta(hours=2))
    charge(acct, "7", at=T0 + timedelta(hours=2))  # same UTC day, after the moment asked
    acct.refresh_from_db()

    then = funding_advice(tenant=acct.tenant, account=acct, at=T0)
    later = funding_advice(tenant=acct.tenant, account=acct, at=T0 + timedelta(hours=3))

    assert then.spend_28 == Decimal("3.00")
    assert later.spend_28 == Decimal("10.00")


@pytest.mark.postgres
def test_a_single_posting_is_at_most_five_round_trips(acct):
    fund(acct, "100", at=T0)
    with CaptureQueriesContext(connection) as charged:
        charge(acct, "1.5", at=T0 + timedelta(hours=1))
    with CaptureQueriesContext(connection) as funded:
        fund(acct, "50", at=T0 + timedelta(hours=2), source=FundSource.TOP_UP)
    # Inside the test's transaction BEGIN/COMMIT are savepoints; the count is the same.
    assert len(charged.captured_queries) <= 5, [q["sql"][:80] for q in charged.captured_queries]
    assert len(funded.captured_queries) <= 5, [q["sql"][:80] for q in funded.captured_queries]
    assert account_verify(acct) == []
