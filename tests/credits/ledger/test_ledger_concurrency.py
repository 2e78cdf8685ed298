"""Real concurrency on PostgreSQL: many workers posting to one account at the same time.

Each worker is a thread with its own database connection (PostgreSQL runs the
transactions truly in parallel; the row lock on the account is what serializes them), and
one test forks processes through ``bench_ledger``. The tests commit for real, so they use
a transactional database and restore the reference data afterwards.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from credits.exceptions import IdempotencyConflict
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import CreditAccount, EntryKind, FundLot, FundSource, LedgerEntry, LotMovement
from tests.accounts.factories import TenantFactory
from tests.concurrency import in_parallel
from tests.credits.factories import CreditAccountFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKERS = 8


@pytest.fixture
def shared_account():
    assert connection.vendor == "postgresql"
    return CreditAccountFactory(tenant=TenantFactory(name="Concurrent", slug="concurrent"))


def test_hundreds_of_concurrent_charges_and_fundings_lose_nothing(shared_account):
    account = shared_account
    ledger.funds_add(
        account=account, amount=Decimal("100.00"), currency="USD",
        source=FundSource.PURCHASE, idempotency_key="seed",
    )
    per_worker, charge, funding = 50, Decimal("1.2345"), Decimal("10.00")

    def work(n: int) -> Counter:
        mine = CreditAccount.objects.get(pk=account.pk)
        done = Counter()
        for i in range(per_worker):
            if i % 5 == 4:
                ledger.funds_add(
                    account=mine, amount=funding, currency="USD", source=FundSource.TOP_UP,
                    idempotency_key=f"w{n}-fund-{i}",
                )
                done["fund"] += 1
            else:
                ledger.usage_charge(
                    account=mine, amount=charge, currency="USD", idempotency_key=f"w{n}-call-{i}",
                )
                done["charge"] += 1
        return done

    results = in_parallel(work, WORKERS)

    assert not [r for r in results if isinstance(r, Exception)]
    total = sum(results, Counter())
    assert total == Counter(fund=WORKERS * 10, charge=WORKERS * 40)
    account.refresh_from_db()
    expected = Decimal("100") + total["fund"] * funding - total["charge"] * charge
    assert account.balance == expected  # 100 + 800 - 395.04
    assert LedgerEntry.objects.filter(account=account).count() == 1 + WORKERS * per_worker
    entries_sum = LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
    assert entries_sum == expected
    assert not FundLot.objects.filter(account=account, remaining__lt=0).exists()
    assert account_verify(account) == []
    out = StringIO()
    call_command("ledger_verify", stdout=out, stderr=StringIO())
    assert "reconcile" in out.getvalue()


def test_concurrent_charges_never_double_spend_a_lot(shared_account):
    account = shared_account
    lot = ledger.funds_add(
        account=account, amount=Decimal("100.00"), currency="USD",
        source=FundSource.PURCHASE, idempotency_key="seed",
    ).lot

    def work(n: int):
        mine = CreditAccount.objects.get(pk=account.pk)
        return ledger.usage_charge(
            account=mine, amount=Decimal("20"), currency="USD", idempotency_key=f"call-{n}"
        )

    results = in_parallel(work, WORKERS)

    assert not [r for r in results if isinstance(r, Exception)]
    lot.refresh_from_db()
    account.refresh_from_db()
    assert lot.remaining == 0
    drawn = LotMovement.objects.filter(lot=lot, entry__kind=EntryKind.USAGE)
    assert drawn.aggregate(s=Sum("amount"))["s"] == Decimal("-100")
    assert (account.balance, account.deficit) == (Decimal("-60"), Decimal("60"))
    # Every charge saw the balance the one before it left: no two saw the same.
    after = sorted(r.balance_after for r in results)
    assert after == [Decimal(80 - 20 * i) for i in range(WORKERS)][::-1]
    assert account_verify(account) == []


def test_same_key_from_many_workers_takes_effect_once(shared_account):
    account = shared_account

    def work(n: int):
        mine = CreditAccount.objects.get(pk=account.pk)
        return ledger.funds_add(
            account=mine, amount=Decimal("50.00"), currency="USD",
            source=FundSource.PURCHASE, idempotency_key="order-1",
        )

    results = in_parallel(work, WORKERS)

    assert not [r for r in results if isinstance(r, Exception)]
    assert len({entry.pk for entry in results}) == 1
    account.refresh_from_db()
    assert account.balance == Decimal("50")
    assert LedgerEntry.objects.filter(account=account).count() == 1
    assert FundLot.objects.filter(account=account).count() == 1


def test_same_key_with_different_amounts_at_once_one_wins_others_conflict(shared_account):
    account = shared_account

    def work(n: int):
        mine = CreditAccount.objects.get(pk=account.pk)
        return ledger.usage_charge(
            account=mine, amount=Decimal("1") + n % 2, currency="USD", idempotency_key="call-9",
        )

    results = in_parallel(work, WORKERS)

    entries = [r for r in results if isinstance(r, LedgerEntry)]
    conflicts = [r for r in results if isinstance(r, IdempotencyConflict)]
    assert len(entries) + len(conflicts) == WORKERS
    assert len({entry.pk for entry in entries}) == 1
    winner = entries[0].amount
    assert len(entries) == WORKERS // 2 and len(conflicts) == WORKERS // 2
    assert LedgerEntry.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert account.balance == winner


def test_concurrent_expiry_runs_forfeit_each_lot_once(shared_account):
    account = shared_account
    lot = ledger.funds_add(
        account=account, amount=Decimal("70.00"), currency="USD",
        source=FundSource.PURCHASE, idempotency_key="seed",
    ).lot
    moment = lot.expires_at + timedelta(seconds=1)

    results = in_parallel(lambda n: ledger.funds_expire(account=account, at=moment), WORKERS)

    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted(len(r) for r in results) == [0] * (WORKERS - 1) + [1]
    account.refresh_from_db()
    assert account.balance == 0
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.EXPIRY).count() == 1


def test_concurrent_processes_reconcile(shared_account):
    """Forked processes, each with its own connection, through the benchmark command."""
    out = StringIO()
    call_command("bench_ledger", "--postings", "25", "--processes", str(WORKERS), stdout=out)
    assert f"{WORKERS} processes, 1 shared account" in out.getvalue()
    assert "ledger verification clean" in out.getvalue()
