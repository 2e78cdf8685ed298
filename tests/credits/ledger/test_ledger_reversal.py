"""Reversals: an opposite entry pointing at the original, at most once, audited."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from credits.exceptions import EntryNotReversible, IdempotencyConflict, LedgerError
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import EntryKind, FundSource
from tests.credits.factories import T0, charge, fund, ledger_snapshot, lot_remaining


def reverse(entry, *, key="rev", at=None, **kwargs):
    """Reverse ``entry``; the service updates ``entry.account``, so tests re-read theirs."""
    kwargs.setdefault("memo", "Disputed")
    return ledger.entry_reverse(entry=entry, idempotency_key=key, at=at, **kwargs)


def test_reversing_a_charge_puts_the_funds_back_into_its_lots(account, billing_admin):
    first = fund(account, "10", at=T0).lot
    second = fund(account, "50", at=T0 + timedelta(days=1)).lot
    call = charge(account, "25", at=T0 + timedelta(days=2))

    reversal = reverse(call, at=T0 + timedelta(days=3), acting_user=billing_admin)

    assert (reversal.kind, reversal.amount, reversal.reverses) == (
        EntryKind.REVERSAL, Decimal("25"), call
    )
    assert reversal.reference == f"entry:{call.pk}"
    assert call.reversed_by == reversal
    assert (lot_remaining(first), lot_remaining(second)) == (10, 50)
    account.refresh_from_db()
    assert account.balance == Decimal("60")
    assert account_verify(account) == []


def test_reversal_is_audited_with_the_balance_before_and_after(account, billing_admin):
    call = charge(account, "5", at=T0)
    reverse(call, at=T0, acting_user=billing_admin, memo="Test call")
    event = AuditEvent.objects.get(action="credits.entry_reverse")
    assert event.actor == billing_admin
    assert event.before == {"balance": "-5.0000"}
    assert event.after["balance"] == "0.0000" and event.after["memo"] == "Test call"


def test_refund_covers_the_deficit_before_going_back_to_lots(account):
    lot = fund(account, "10", at=T0).lot
    call = charge(account, "8", at=T0 + timedelta(hours=1))
    charge(account, "5", at=T0 + timedelta(hours=2))  # 2 from the lot, 3 deficit
    assert account.deficit == 3

    reverse(call, at=T0 + timedelta(hours=3))

    account.refresh_from_db()
    assert (account.balance, account.deficit) == (Decimal("5"), 0)
    assert lot_remaining(lot) == 5
    assert account_verify(account) == []


def test_refund_of_a_charge_whose_lot_expired_becomes_a_new_adjustment_lot(account):
    old = fund(account, "10", at=T0).lot
    call = charge(account, "4", at=T0 + timedelta(days=1))
    later = old.expires_at + timedelta(days=1)

    reversal = reverse(call, at=later)

    assert lot_remaining(old) == 0  # its 6 expired; the refund does not revive it
    assert reversal.lot.source == FundSource.ADJUSTMENT
    assert (reversal.lot.amount, reversal.lot.remaining) == (4, 4)
    assert reversal.lot.purchased_at == later
    account.refresh_from_db()
    assert account.balance == Decimal("4")
    assert account_verify(account) == []


def test_reversing_a_funding_takes_its_lot_and_then_other_funds(account):
    first = fund(account, "30", at=T0).lot
    purchase = fund(account, "50", at=T0 + timedelta(days=1))
    charge(account, "40", at=T0 + timedelta(days=2))  # 30 from first, 10 from purchase

    reversal = reverse(purchase, at=T0 + timedelta(days=3), memo="Chargeback")

    assert reversal.amount == Decimal("-50")
    assert lot_remaining(purchase.lot) == 0 and lot_remaining(first) == 0
    account.refresh_from_db()
    assert (account.balance, account.deficit) == (Decimal("-10"), Decimal("10"))
    assert account_verify(account) == []


def test_funding_whose_lot_expired_cannot_be_reversed(account):
    purchase = fund(account, "50", at=T0)
    before = ledger_snapshot(account)
    with pytest.raises(EntryNotReversible, match="expired"):
        reverse(purchase, at=purchase.lot.expires_at)
    assert ledger_snapshot(account) == before


def test_an_entry_is_reversed_at_most_once(account):
    call = charge(account, "5", at=T0)
    first = reverse(call, key="rev-1", at=T0)
    before = ledger_snapshot(account)
    with pytest.raises(EntryNotReversible, match=f"already reversed by entry #{first.pk}"):
        reverse(call, key="rev-2", at=T0)
    assert ledger_snapshot(account) == before


def test_replaying_a_reversal_returns_it(account):
    call = charge(account, "5", at=T0)
    first = reverse(call, key="rev-1", at=T0)
    assert reverse(call, key="rev-1", at=T0 + timedelta(days=1)) == first
    account.refresh_from_db()
    assert account.balance == 0


def test_reversal_key_reused_for_another_entry_conflicts(account):
    one = charge(account, "5", at=T0)
    two = charge(account, "6", at=T0)
    reverse(one, key="rev-1", at=T0)
    with pytest.raises(IdempotencyConflict):
        reverse(two, key="rev-1", at=T0)


@pytest.mark.parametrize("kind", ["expiry", "reversal"])
def test_expiries_and_reversals_are_not_reversible(account, kind):
    lot = fund(account, "50", at=T0).lot
    if kind == "expiry":
        target = ledger.funds_expire(account=account, at=lot.expires_at)[0]
    else:
        target = reverse(charge(account, "1", at=T0), key="first", at=T0)
    with pytest.raises(EntryNotReversible, match="cannot be reversed"):
        reverse(target, key="again", at=lot.expires_at + timedelta(days=1))


def test_reversal_needs_a_reason(account):
    call = charge(account, "5", at=T0)
    with pytest.raises(LedgerError, match="reason"):
        reverse(call, memo="  ")


def test_reversing_a_credit_adjustment_and_a_debit_adjustment(account, billing_admin):
    credit = ledger.entry_adjust(
        account=account, amount=Decimal("20"), currency="USD", memo="Goodwill",
        idempotency_key="adj-1", acting_user=billing_admin, at=T0,
    )
    debit = ledger.entry_adjust(
        account=account, amount=Decimal("-5"), currency="USD", memo="Correction",
        idempotency_key="adj-2", acting_user=billing_admin, at=T0,
    )
    reverse(debit, key="r1", at=T0)
    reverse(credit, key="r2", at=T0)
    account.refresh_from_db()
    assert account.balance == 0
    assert account_verify(account) == []
