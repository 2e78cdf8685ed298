"""Withdrawing a lot: what is left of one lot is taken back as an adjustment (a voided
invoice's funds), drawn from that lot only; idempotent by key, audited."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from credits.exceptions import IdempotencyConflict, LedgerError
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import EntryKind, LedgerEntry
from tests.credits.factories import T0, charge, fund, ledger_snapshot, lot_remaining


def withdraw(lot, *, key="void-1", memo="Invoice void", **kwargs):
    kwargs.setdefault("at", T0 + timedelta(days=1))
    return ledger.lot_withdraw(lot=lot, memo=memo, idempotency_key=key, **kwargs)


def test_takes_what_is_left_of_the_lot_and_nothing_else(account, billing_admin):
    older = fund(account, "40", at=T0 - timedelta(days=3)).lot
    lot = fund(account, "100", at=T0).lot
    charge(account, "55", at=T0)  # 40 from the older lot (expiring first), 15 from this one
    entry = withdraw(lot, acting_user=billing_admin, reference_type="invoice",
                     reference_id="7")
    assert (entry.kind, entry.amount, entry.lot) == (EntryKind.ADJUSTMENT, Decimal("-85"), lot)
    assert (entry.reference_type, entry.reference_id, entry.memo) == ("invoice", "7",
                                                                       "Invoice void")
    assert (lot_remaining(lot), lot_remaining(older)) == (0, 0)
    account.refresh_from_db()
    assert (account.balance, account.deficit) == (Decimal("0"), Decimal("0"))
    assert [m.amount for m in entry.movements.all()] == [Decimal("-85")]
    event = AuditEvent.objects.get(action="credits.lot_withdraw")
    assert event.actor == billing_admin and event.after["amount"] == "-85.0000"
    assert account_verify(account) == []


def test_the_same_key_again_returns_the_first_entry_and_writes_nothing(account):
    lot = fund(account, "100", at=T0).lot
    first = withdraw(lot)
    before = ledger_snapshot(account)
    assert withdraw(lot).pk == first.pk
    assert ledger_snapshot(account) == before
    with pytest.raises(IdempotencyConflict):
        withdraw(fund(account, "10", at=T0 + timedelta(days=2)).lot,
                 at=T0 + timedelta(days=2))


def test_a_spent_lot_has_nothing_to_take(account):
    lot = fund(account, "50", at=T0).lot
    charge(account, "50", at=T0)
    before = ledger_snapshot(account)
    assert withdraw(lot) is None
    assert ledger_snapshot(account) == before


def test_an_expired_lot_is_forfeited_first_and_has_nothing_left(account):
    lot = fund(account, "50", at=T0).lot
    assert withdraw(lot, at=lot.expires_at) is None
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.EXPIRY).count() == 1
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUSTMENT).exists()
    assert account_verify(account) == []


def test_a_deficit_is_left_as_it_is(account):
    lot = fund(account, "30", at=T0).lot
    charge(account, "40", at=T0)  # 30 from the lot, 10 of deficit
    topped = fund(account, "25", at=T0 + timedelta(hours=1)).lot  # covers the 10 first
    entry = withdraw(topped)
    assert entry.amount == Decimal("-15") and lot_remaining(lot) == 0
    account.refresh_from_db()
    assert (account.balance, account.deficit) == (Decimal("0"), Decimal("0"))
    assert account_verify(account) == []


@pytest.mark.parametrize("memo", ["", "   ", None])
def test_a_reason_is_required(account, memo):
    lot = fund(account, "50", at=T0).lot
    before = ledger_snapshot(account)
    with pytest.raises(LedgerError, match="needs a reason"):
        withdraw(lot, memo=memo)
    assert ledger_snapshot(account) == before
