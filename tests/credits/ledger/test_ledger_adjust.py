"""Adjustments: corrections by an admin, with a reason, audited."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from credits.exceptions import InsufficientCredits, InvalidAmount, LedgerError
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import EntryKind, FundSource
from tests.credits.factories import T0, charge, fund, ledger_snapshot, lot_remaining


def adjust(account, amount, *, key="adj", memo="Goodwill credit", **kwargs):
    kwargs.setdefault("at", T0)
    return ledger.entry_adjust(
        account=account, amount=Decimal(amount), currency=account.currency, memo=memo,
        idempotency_key=key, **kwargs,
    )


def test_credit_adjustment_adds_an_adjustment_lot(account, billing_admin):
    entry = adjust(account, "15.50", acting_user=billing_admin)
    assert (entry.kind, entry.amount, entry.memo) == (EntryKind.ADJUSTMENT, 15.5, "Goodwill credit")
    assert (entry.lot.source, entry.lot.remaining) == (FundSource.ADJUSTMENT, Decimal("15.5"))
    event = AuditEvent.objects.get(action="credits.entry_adjust")
    assert event.actor == billing_admin and event.after["amount"] == "15.5000"


def test_credit_adjustment_covers_the_deficit_first(account):
    charge(account, "4", at=T0)
    entry = adjust(account, "10")
    assert entry.lot.remaining == 6 and account.deficit == 0


def test_debit_adjustment_draws_from_the_lot_expiring_first(account):
    first = fund(account, "10", at=T0).lot
    second = fund(account, "10", at=T0 + timedelta(days=1)).lot
    entry = adjust(account, "-12", memo="Duplicate top-up", at=T0 + timedelta(days=2))
    assert entry.amount == Decimal("-12") and entry.lot is None
    assert (lot_remaining(first), lot_remaining(second)) == (0, 8)
    assert account_verify(account) == []


def test_debit_adjustment_cannot_create_a_deficit(account):
    fund(account, "10", at=T0)
    before = ledger_snapshot(account)
    with pytest.raises(InsufficientCredits, match="only 10.0000 USD"):
        adjust(account, "-10.01", at=T0)
    assert ledger_snapshot(account) == before


def test_debit_adjustment_cannot_take_expired_funds(account):
    lot = fund(account, "10", at=T0).lot
    before = ledger_snapshot(account)
    with pytest.raises(InsufficientCredits):
        adjust(account, "-5", at=lot.expires_at)
    assert ledger_snapshot(account) == before  # the expiry it would have written is undone too


def test_system_adjustment_is_audited_without_an_actor(account):
    adjust(account, "5")
    assert AuditEvent.objects.get(action="credits.entry_adjust").actor is None


@pytest.mark.parametrize("memo", ["", "   "])
def test_adjustment_needs_a_reason(account, memo):
    with pytest.raises(LedgerError, match="reason"):
        adjust(account, "5", memo=memo)


def test_zero_adjustment_is_refused(account):
    with pytest.raises(InvalidAmount, match="greater than zero"):
        adjust(account, "0")


def test_adjustment_uses_the_currency_minor_unit(account):
    with pytest.raises(InvalidAmount, match="at most 2 decimal places"):
        adjust(account, "-1.001")
