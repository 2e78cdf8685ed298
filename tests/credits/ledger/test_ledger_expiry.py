"""Expiry: exactly each expired lot's remaining funds, once; the balance never counts them."""

from datetime import timedelta
from decimal import Decimal

import pytest

from credits.exceptions import LedgerError
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import EntryKind, LedgerEntry
from tests.credits.factories import T0, charge, fund, lot_remaining


def test_expiry_forfeits_exactly_the_remaining_amount_once(account):
    lot = fund(account, "100", at=T0).lot
    charge(account, "36.25", at=T0 + timedelta(days=10))
    keeper = fund(account, "50", at=T0 + timedelta(days=100)).lot

    entries = ledger.funds_expire(account=account, at=lot.expires_at)

    assert [(e.kind, e.amount, e.lot) for e in entries] == [
        (EntryKind.EXPIRY, Decimal("-63.75"), lot)
    ]
    assert entries[0].balance_after == Decimal("50")
    assert lot_remaining(lot) == 0 and lot_remaining(keeper) == 50
    assert account.balance == Decimal("50")
    assert account_verify(account) == []


def test_running_the_expiry_twice_writes_nothing(account):
    lot = fund(account, "100", at=T0).lot
    ledger.funds_expire(account=account, at=lot.expires_at)
    count = LedgerEntry.objects.count()

    assert ledger.funds_expire(account=account, at=lot.expires_at) == []
    assert ledger.funds_expire(account=account, at=lot.expires_at + timedelta(days=90)) == []
    assert LedgerEntry.objects.count() == count


def test_expiry_before_the_moment_writes_nothing(account):
    lot = fund(account, "100", at=T0).lot
    assert ledger.funds_expire(account=account, at=lot.expires_at - timedelta(seconds=1)) == []
    assert lot_remaining(lot) == 100


def test_used_up_lot_writes_no_expiry_entry(account):
    lot = fund(account, "10", at=T0).lot
    charge(account, "10", at=T0 + timedelta(days=1))
    assert ledger.funds_expire(account=account, at=lot.expires_at) == []


def test_several_lots_expire_in_order_with_one_entry_each(account):
    first = fund(account, "10", at=T0).lot
    second = fund(account, "20", at=T0 + timedelta(days=1)).lot
    entries = ledger.funds_expire(account=account, at=second.expires_at)
    assert [(e.lot, e.amount) for e in entries] == [(first, -10), (second, -20)]
    assert account.balance == 0


def test_expiry_keeps_the_deficit(account):
    lot = fund(account, "10", at=T0).lot
    charge(account, "15", at=T0 + timedelta(days=1))
    fund(account, "20", at=T0 + timedelta(days=2))
    assert account.deficit == 0
    ledger.funds_expire(account=account, at=lot.expires_at + timedelta(days=2))
    assert (account.balance, account.deficit) == (0, 0)
    assert account_verify(account) == []


def test_expiry_as_of_a_moment_before_the_latest_entry_is_dated_after_it(account):
    lot = fund(account, "10", at=T0).lot
    late = lot.expires_at + timedelta(days=5)
    fund(account, "1", at=late)  # this posting already forfeits the lot
    assert ledger.funds_expire(account=account, at=lot.expires_at) == []
    expiry = account.entries.get(kind=EntryKind.EXPIRY)
    assert expiry.created_at == late


def test_balance_never_counts_expired_funds_even_before_the_run(account):
    lot = fund(account, "100", at=T0).lot
    fund(account, "30", at=T0 + timedelta(days=100))

    assert ledger.balance_at(account=account, at=lot.expires_at - timedelta(seconds=1)) == 130
    assert ledger.balance_at(account=account, at=lot.expires_at) == 30
    account.refresh_from_db()
    assert account.balance == 130  # the cached sum of entries: the run has not happened
    ledger.funds_expire(account=account, at=lot.expires_at)
    assert ledger.balance_at(account=account, at=lot.expires_at) == 30 == account.balance


def test_balance_in_the_past_is_rebuilt_from_the_ledger(account):
    lot = fund(account, "100", at=T0).lot
    charge(account, "40", at=T0 + timedelta(days=10))
    after = lot.expires_at + timedelta(days=10)
    fund(account, "25", at=after)  # writes the expiry (60) first

    assert ledger.balance_at(account=account, at=T0 - timedelta(days=1)) == 0
    assert ledger.balance_at(account=account, at=T0) == 100
    assert ledger.balance_at(account=account, at=T0 + timedelta(days=20)) == 60
    # Past the expiry but before the posting that wrote it: already not counted.
    assert ledger.balance_at(account=account, at=lot.expires_at + timedelta(days=1)) == 0
    assert ledger.balance_at(account=account, at=after) == 25


def test_balance_includes_the_deficit(account):
    charge(account, "12", at=T0)
    assert ledger.balance_at(account=account, at=T0) == Decimal("-12")


def test_balance_of_an_account_without_entries_is_zero(account):
    assert ledger.balance_at(account=account) == 0


def test_expire_due_covers_every_account(account, other_account):
    mine = fund(account, "10", at=T0).lot
    theirs = fund(other_account, "20", at=T0 + timedelta(days=3)).lot
    moment = theirs.expires_at

    assert ledger.funds_expire_due(at=moment) == 2
    assert ledger.funds_expire_due(at=moment) == 0
    assert lot_remaining(mine) == 0 and lot_remaining(theirs) == 0


def test_expiry_needs_an_aware_moment(account):
    with pytest.raises(LedgerError, match="aware"):
        ledger.funds_expire(account=account, at=T0.replace(tzinfo=None))
